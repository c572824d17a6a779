"""Tier pricing: pure functions of tiers and quantities, with no database or Flask.

Tiers are (minimum total quantity, unit price). Below the first tier the list price
applies; at or above a tier's minimum, every unit costs that tier's price.
"""

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Generic, TypeVar, overload

from kernel.money import line_pence


@dataclass(frozen=True)
class Tier:
    min_quantity: int
    unit_price: Decimal


_UnitPrice = TypeVar("_UnitPrice", bound=Decimal | None, covariant=True)


@dataclass(frozen=True)
class Standing(Generic[_UnitPrice]):
    """Where a quantity stands on the tiers: the tier reached, its unit price, the next tier worth reaching.

    The unit price is None only below every tier when no list price was given.
    """

    tier: Tier | None
    unit_price: _UnitPrice
    next_tier: Tier | None


@overload
def standing(tiers: Sequence[Tier], quantity: int, list_price: Decimal) -> Standing[Decimal]: ...
@overload
def standing(tiers: Sequence[Tier], quantity: int, list_price: None = None) -> Standing[Decimal | None]: ...
def standing(tiers: Sequence[Tier], quantity: int, list_price: Decimal | None = None) -> Standing[Decimal | None]:
    """One pass over the tiers, for pages that price a thousand pools at once.

    Below every tier the price is `list_price`. The next tier is the first not yet reached whose
    price is lower than the current one: a tier at the same price (or, given `list_price`, at the
    list price before any tier is reached) saves nothing, so it is not worth pointing members to.
    """
    ladder = sorted(tiers, key=lambda t: t.min_quantity)
    reached = None
    for tier in ladder:
        if tier.min_quantity > quantity:
            break
        reached = tier
    current = reached.unit_price if reached is not None else list_price
    above = (t for t in ladder if t.min_quantity > quantity and (current is None or t.unit_price < current))
    return Standing(reached, current, next(above, None))


def tier_reached(tiers: Sequence[Tier], quantity: int) -> Tier | None:
    return standing(tiers, quantity).tier


def unit_price(tiers: Sequence[Tier], quantity: int, list_price: Decimal) -> Decimal:
    """The unit price a pool of `quantity` units earns."""
    reached = standing(tiers, quantity).tier
    return list_price if reached is None else reached.unit_price


def next_tier(tiers: Sequence[Tier], quantity: int, list_price: Decimal | None = None) -> Tier | None:
    """The first tier not yet reached whose price is lower than the current one, if any (see `standing`)."""
    return standing(tiers, quantity, list_price).next_tier


def validate_tiers(list_price: Decimal, tiers: Sequence[Tier]) -> list[str]:
    """Quantities rise, prices never rise, and the first tier is at most the list price."""
    problems = []
    if any(t.min_quantity < 1 for t in tiers):
        problems.append("Tier quantities must be at least 1.")
    if any(t.unit_price <= 0 for t in tiers):
        problems.append("Tier prices must be more than zero.")
    for before, after in itertools.pairwise(tiers):
        if after.min_quantity <= before.min_quantity:
            problems.append(f"Tier quantities must rise: {after.min_quantity} follows {before.min_quantity}.")
        if after.unit_price > before.unit_price:
            problems.append(f"Tier prices must not rise: {after.unit_price} follows {before.unit_price}.")
    if tiers and tiers[0].unit_price > list_price:
        problems.append(f"The first tier's price {tiers[0].unit_price} is above the list price {list_price}.")
    return problems


@dataclass(frozen=True)
class Rise:
    """A quantity at which new tiers would charge more than the held ones: `tier` is the new tier's
    number (from 1) when one starts there, None when the rise comes from a tier taken away."""

    quantity: int
    tier: int | None
    held: Decimal
    new: Decimal


def rises(held: Sequence[Tier], new: Sequence[Tier], list_price: Decimal) -> list[Rise]:
    """Every quantity where `new` tiers would raise the unit price above the `held` ones, both below `list_price`.

    Both prices are steps that change only at a tier's minimum, so comparing them at 1 and at
    every minimum of either ladder compares them at every quantity.
    """
    starts = {t.min_quantity: number for number, t in enumerate(sorted(new, key=lambda t: t.min_quantity), start=1)}
    found = []
    for quantity in sorted({1} | {t.min_quantity for t in held} | set(starts)):
        before, after = unit_price(held, quantity, list_price), unit_price(new, quantity, list_price)
        if after > before:
            found.append(Rise(quantity, starts.get(quantity), before, after))
    return found


def saving(list_price: Decimal, price: Decimal, quantity: int) -> tuple[int, Decimal]:
    """Pounds saved in pence and as a percentage of the list price, for `quantity` units."""
    saved = line_pence(quantity, list_price) - line_pence(quantity, price)
    percent = ((list_price - price) / list_price * 100).quantize(Decimal("0.1")) if list_price else Decimal(0)
    return saved, percent
