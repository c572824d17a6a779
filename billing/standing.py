"""Where an invoice stands on a given day, and how old a consortium's unpaid debt is.

Overdue is not stored: an invoice still owed after its due date is overdue from the next day,
so the same stored invoice reads "issued" on its due date and "overdue, 1 day" the day after.
`standing` is the one place that decides what state an invoice shows. Pure: statuses arrive
as their stored values ("issued", "part_paid", "paid", "credited").
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from datetime import date
from typing import Generic, TypeVar

UNPAID = ("issued", "part_paid")  # stored statuses with money still owed
STATES = ("issued", "part_paid", "overdue", "paid", "credited")
FILTERS = ("unpaid", *STATES)  # what a list of invoices can be narrowed to


@dataclass(frozen=True)
class Standing:
    state: str
    days_overdue: int  # 0 unless overdue

    @property
    def label(self) -> str:
        if self.state == "overdue":
            return f"overdue {self.days_overdue} day{'' if self.days_overdue == 1 else 's'}"
        return self.state.replace("_", " ")


def standing(status: str, due_date: date, today: date) -> Standing:
    """Overdue when still owed after the due date; otherwise the stored status."""
    late = (today - due_date).days
    if status in UNPAID and late > 0:
        return Standing("overdue", late)
    return Standing(status, 0)


def held_as_credit(total_pence: int, paid_pence: int, credited_pence: int) -> int:
    """What was paid and credited beyond the invoice's total: kept as credit on the member's account."""
    return max(paid_pence + credited_pence - total_pence, 0)


# Aged debt: what is owed, by how many days past its due date.

BANDS = ("current", "1-30 days", "31-60 days", "61-90 days", "over 90 days")
BAND_KEYS = ("current_pence", "days_1_30_pence", "days_31_60_pence", "days_61_90_pence", "over_90_days_pence")


# The first day past due of each band after "current": the one statement of the bands' boundaries, which the
# aged-debt report's SQL is built from too (billing.services), so Python and the database cannot disagree.
BAND_STARTS = (1, 31, 61, 91)


def band(days_past_due: int) -> int:
    """The band's index: not yet due (or due today) is current, then 1-30, 31-60, 61-90 and over 90 days."""
    return bisect_right(BAND_STARTS, days_past_due)


K = TypeVar("K", bound=Hashable)


@dataclass(frozen=True)
class AgedRow(Generic[K]):
    key: K  # whose debt (a member id); None for the totals
    bands: tuple[int, ...]  # pence per band, in BANDS order

    @property
    def total_pence(self) -> int:
        return sum(self.bands)


@dataclass(frozen=True)
class AgedDebt(Generic[K]):
    rows: list[AgedRow[K]]
    totals: AgedRow[None]

    @property
    def total_pence(self) -> int:
        return self.totals.total_pence


def aged_debt(debts: Iterable[tuple[K, date, int]], today: date) -> AgedDebt[K]:
    """(whose, due date, pence owed) per invoice into one row per debtor, rows in first-seen order.

    Each band of the totals is the sum of that band's rows, so the totals equal the sum of the rows.
    """
    by_key: dict[K, list[int]] = {}
    for key, due_date, pence in debts:
        if pence > 0:
            by_key.setdefault(key, [0] * len(BANDS))[band((today - due_date).days)] += pence
    rows = [AgedRow(key, tuple(bands)) for key, bands in by_key.items()]
    totals = tuple(sum(row.bands[i] for row in rows) for i in range(len(BANDS)))
    return AgedDebt(rows, AgedRow(None, totals))
