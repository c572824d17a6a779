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
class PackPlan:
    pack_size: int
    packs: int
    units: int  # packs * pack_size
    allocated: list[int]  # each pledge's units, in the order the pledges were given

    def reason(self, pledged: int, units: int) -> str:
        """Why a member pledging `pledged` units is allocated `units`, in the words it reads next to them."""
        if units == pledged:
            return "As pledged."
        if units > pledged:
            return f"{_counted(units - pledged, 'flexible unit')} added to fill the last pack of {self.pack_size}."
        if self.packs == 0:
            return f"None ordered: the pledges did not fill a pack of {self.pack_size}."
        return f"{_counted(pledged - units, 'unit')} less: the last pack of {self.pack_size} could not be filled."


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


def plan_packs(
    quantities: Sequence[int], flexible_extras: Sequence[int], pack_size: int, ranks: Sequence[int] | None = None
) -> PackPlan:
    """Whole packs for the pledges (pledge i: `quantities[i]` units, and `flexible_extras[i]` more it
    accepts), and each pledge's units, in the order given.

    Ties between equal claims go to the lowest rank (0 = the earliest pledge), then to the one given
    first; without `ranks`, the pledges are given earliest first. The pledges come as columns, not an
    object each: a national pool's close plans thousands.
    """
    _check(quantities, flexible_extras)
    pledged = sum(quantities)
    packs = packs_for(pledged, sum(flexible_extras), pack_size)
    units = packs * pack_size
    earliest_first = range(len(quantities)) if ranks is None else ranks

    if units >= pledged:
        added = largest_remainder(units - pledged, flexible_extras, earliest_first)
        allocated = [quantity + more for quantity, more in zip(quantities, added, strict=True)]
    else:
        # Splitting the kept units by pledge is splitting the shortfall by pledge; a tie
        # for a kept unit goes to the earliest pledge, so it is the one that loses less.
        allocated = largest_remainder(units, quantities, earliest_first)
    return PackPlan(pack_size=pack_size, packs=packs, units=units, allocated=allocated)


def _check(quantities: Sequence[int], flexible_extras: Sequence[int]) -> None:
    if len(quantities) != len(flexible_extras):
        raise ValueError(f"{len(quantities)} pledged quantities for {len(flexible_extras)} flexible extras.")
    if quantities and min(quantities) < 1:
        index = next(i for i, quantity in enumerate(quantities) if quantity < 1)
        raise ValueError(f"Pledge {index + 1}: the quantity must be at least 1, not {quantities[index]}.")
    if flexible_extras and min(flexible_extras) < 0:
        index = next(i for i, extra in enumerate(flexible_extras) if extra < 0)
        raise ValueError(f"Pledge {index + 1}: flexible extras cannot be negative ({flexible_extras[index]}).")


def _counted(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"
