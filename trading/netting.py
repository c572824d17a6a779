"""Monthly clearing: what each member is owed and owes among the month's invoices, and one net amount each.

Each invoice adds its total to its seller's "owed" and its buyer's "owes"; a member's net is
owed - owes (positive: the clearing account pays it; negative: it pays in). Every invoice adds
the same pence to one net and takes them from another, so the nets sum to zero exactly.
"""

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Trade:
    """One invoice as clearing sees it: who sold, who bought, its total in pence."""

    seller_id: int
    buyer_id: int
    total_pence: int


@dataclass(frozen=True)
class Position:
    member_id: int
    owed_pence: int
    owes_pence: int

    @property
    def net_pence(self) -> int:
        """Positive: the member receives this from the clearing account; negative: it pays this in."""
        return self.owed_pence - self.owes_pence


def positions(trades: Iterable[Trade]) -> list[Position]:
    """One position per member that sold or bought, ordered by member id."""
    owed: dict[int, int] = {}
    owes: dict[int, int] = {}
    for trade in trades:
        if trade.seller_id == trade.buyer_id:
            raise ValueError("a member does not trade with itself")
        if trade.total_pence < 0:
            raise ValueError("an invoice's total is never negative")
        owed[trade.seller_id] = owed.get(trade.seller_id, 0) + trade.total_pence
        owes[trade.buyer_id] = owes.get(trade.buyer_id, 0) + trade.total_pence
    members = sorted(owed.keys() | owes.keys())
    return [Position(m, owed.get(m, 0), owes.get(m, 0)) for m in members]


def net_debit_pence(owed_pence: int, owes_pence: int) -> int:
    """How far a member is in debit (0 when in credit): what a clearing limit is measured against."""
    return max(owes_pence - owed_pence, 0)
