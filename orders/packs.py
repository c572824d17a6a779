"""Pack rounding at closing: how many whole packs to order and who gets which units.

A supplier sells in packs, members pledge in units. Flexible extras (units a member
will also take) may complete the last pack but never make a pack on their own. When
the packs hold more than was pledged, the extra units go to members with flexible
extras in proportion to their extras; when they hold less, every member gives up units
in proportion to their pledge. This is fair share, deliberately not first come first
served; only exact ties favour the earliest pledge.
"""

from collections.abc import Sequence
from dataclasses import dataclass

from kernel.allocation import largest_remainder


@dataclass(frozen=True)
class PledgedDemand:
    key: int  # the pledge id
    quantity: int  # > 0
    flexible_extra: int  # >= 0
    rank: int  # 0 = the earliest pledge; ties favour the earliest


@dataclass(frozen=True)
class MemberAllocation:
    key: int
    pledged: int
    flexible_extra: int
    units: int
    reason: str  # what the member reads next to their allocation


@dataclass(frozen=True)
class PackPlan:
    pack_size: int
    packs: int
    units: int  # packs * pack_size
    allocations: list[MemberAllocation]  # same order as the demands given


def packs_for(total_quantity: int, total_flexible: int, pack_size: int) -> int:
    """packs = Q // U, plus one more if Q % U > 0 and Q % U + T >= U (flexible extras complete the last
    pack; they never make a pack on their own)."""
    if pack_size < 1:
        raise ValueError(f"A pack holds at least 1 unit, not {pack_size}.")
    if total_quantity < 0 or total_flexible < 0:
        raise ValueError("Pledged quantities and flexible extras cannot be negative.")
    packs, part = divmod(total_quantity, pack_size)
    if part and part + total_flexible >= pack_size:
        packs += 1
    return packs


def plan_packs(demands: Sequence[PledgedDemand], pack_size: int) -> PackPlan:
    """Whole packs for the pledges, and each pledge's units with the reason in plain words.

    Allocations come back in the order of `demands`; ties between equal claims go to the
    lowest rank (then to the one given first).
    """
    _check(demands)
    quantities = [demand.quantity for demand in demands]
    extras = [demand.flexible_extra for demand in demands]
    earliest_first = [(demand.rank, index) for index, demand in enumerate(demands)]
    pledged = sum(quantities)
    packs = packs_for(pledged, sum(extras), pack_size)
    units = packs * pack_size

    if units >= pledged:
        added = largest_remainder(units - pledged, extras, earliest_first)
        allocated = [quantity + more for quantity, more in zip(quantities, added, strict=True)]
    else:
        # Splitting the kept units by pledge is splitting the shortfall by pledge; a tie
        # for a kept unit goes to the earliest pledge, so it is the one that loses less.
        allocated = largest_remainder(units, quantities, earliest_first)

    allocations = [
        MemberAllocation(
            key=demand.key,
            pledged=demand.quantity,
            flexible_extra=demand.flexible_extra,
            units=share,
            reason=_reason(demand.quantity, share, pack_size, packs),
        )
        for demand, share in zip(demands, allocated, strict=True)
    ]
    return PackPlan(pack_size=pack_size, packs=packs, units=units, allocations=allocations)


def _check(demands: Sequence[PledgedDemand]) -> None:
    keys = set()
    for demand in demands:
        if demand.quantity < 1:
            raise ValueError(f"Pledge {demand.key}: the quantity must be at least 1, not {demand.quantity}.")
        if demand.flexible_extra < 0:
            raise ValueError(f"Pledge {demand.key}: flexible extras cannot be negative ({demand.flexible_extra}).")
        if demand.key in keys:
            raise ValueError(f"Pledge {demand.key} appears twice.")
        keys.add(demand.key)


def _counted(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def _reason(pledged: int, units: int, pack_size: int, packs: int) -> str:
    if units == pledged:
        return "As pledged."
    if units > pledged:
        return f"{_counted(units - pledged, 'flexible unit')} added to fill the last pack of {pack_size}."
    if packs == 0:
        return f"None ordered: the pledges did not fill a pack of {pack_size}."
    return f"{_counted(pledged - units, 'unit')} less: the last pack of {pack_size} could not be filled."
