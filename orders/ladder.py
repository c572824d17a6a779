"""A pool's tier ladder: the steps from the list price down, where the pool stands, what the next step saves.

Pure: tiers, the list price and quantities in, steps out; the pool page draws it and its tests
check it for every ladder hypothesis makes up.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from catalogue.pricing import Tier
from kernel.money import line_pence


@dataclass(frozen=True)
class Step:
    """One rung: from `min_quantity` units every unit costs `unit_price` (the first rung is the list price, from 0)."""

    min_quantity: int
    unit_price: Decimal
    reached: bool
    current: bool
    is_next: bool


@dataclass(frozen=True)
class Ladder:
    steps: list[Step]
    unit_price: Decimal
    units_to_next: int | None
    saving_per_unit: Decimal | None
    """What the next step takes off every unit's price; None at the best step."""

    def saving_for(self, units: int) -> int | None:
        """What the next step saves on `units` (a member's pledge), in pence; None at the best step."""
        if self.saving_per_unit is None:
            return None
        return line_pence(units, self.unit_price) - line_pence(units, self.unit_price - self.saving_per_unit)


def ladder(tiers: Sequence[Tier], list_price: Decimal, quantity: int) -> Ladder:
    """The steps of `tiers` above the list price, lowest quantity first, with the pool's `quantity` placed on them.

    A tier no cheaper than the step below it saves nothing, so it is no step (as pricing.standing skips it).
    """
    rungs = [(0, list_price)]
    for tier in sorted(tiers, key=lambda t: t.min_quantity):
        if tier.min_quantity > 0 and tier.unit_price < rungs[-1][1]:
            rungs.append((tier.min_quantity, tier.unit_price))
    reached = [rung for rung in rungs if rung[0] <= quantity]
    current = reached[-1]
    following = next((rung for rung in rungs if rung[0] > quantity), None)
    steps = [
        Step(q, price, q <= quantity, (q, price) == current, following is not None and (q, price) == following)
        for q, price in rungs
    ]
    if following is None:
        return Ladder(steps, current[1], None, None)
    return Ladder(steps, current[1], following[0] - quantity, current[1] - following[1])
