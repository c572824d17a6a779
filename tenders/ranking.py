"""Comparing and ranking a lot's bids: pure functions of tier tables, quantities and scores.

A bid prices a lot as a tier table whose first tier starts at 1 unit, so every quantity has a
price: at or above a tier's minimum every unit costs that tier's price. Its cost at a quantity
is that quantity times the unit price reached, plus the bid's delivery charge, rounded once
(kernel.money). Each bid is compared at the forecast quantity and at 25% less and 25% more.

The ranking is computed, never typed: price score = cheapest cost / this cost x 100 at the
forecast quantity, quality score = the mean of the evaluators' scores (0 to 100), buy-social
score = 100 for a social enterprise, else 0; the total weighs them by the tender's weights
(whole percentages summing to 100). Exact fractions throughout, so equal bids tie exactly;
ties go to the cheaper bid, then to the earlier one (lower id). Each bid's total is one fraction
built from integers (cost, score sums and counts), not summed from fractions: a lot of 200 bids is
ranked in about a millisecond.
"""

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import NamedTuple

from kernel.money import line_pence, round_half_up, vat_pence

SWING_PERCENT = 25
MAX_SCORE = 100


class BidTier(NamedTuple):
    """A tuple, not a dataclass: a tender's comparison builds thousands of them."""

    min_quantity: int
    unit_price: Decimal


@dataclass(frozen=True)
class Weights:
    price: int
    quality: int
    social: int = 0

    def problems(self) -> list[str]:
        found = []
        if min(self.price, self.quality, self.social) < 0:
            found.append("Weights cannot be negative.")
        if self.price + self.quality + self.social != 100:
            found.append("The price, quality and buy-social weights must add up to 100.")
        return found


def tier_problems(tiers: Sequence[BidTier]) -> list[str]:
    """The first tier starts at 1 unit, quantities rise, prices are above zero and never rise."""
    if not tiers:
        return ["Price at least one tier, starting from 1 unit."]
    found = []
    if tiers[0].min_quantity != 1:
        found.append("The first tier must start at 1 unit, so every quantity has a price.")
    if any(t.unit_price <= 0 for t in tiers):
        found.append("Tier prices must be more than zero.")
    for before, after in itertools.pairwise(tiers):
        if after.min_quantity <= before.min_quantity:
            found.append(f"Tier quantities must rise: {after.min_quantity} follows {before.min_quantity}.")
        if after.unit_price > before.unit_price:
            found.append(f"Tier prices must not rise: {after.unit_price} follows {before.unit_price}.")
    return found


def unit_price_at(tiers: Sequence[BidTier], quantity: int) -> Decimal:
    """The unit price of the last tier whose minimum `quantity` reaches (the first tier starts at 1)."""
    reached = tiers[0].unit_price
    for tier in tiers:
        if tier.min_quantity > quantity:
            break
        reached = tier.unit_price
    return reached


def cost_pence(tiers: Sequence[BidTier], delivery_charge_pence: int, quantity: int) -> int:
    """What `quantity` units cost under the bid, delivery included, net of VAT."""
    return line_pence(quantity, unit_price_at(tiers, quantity)) + delivery_charge_pence


def gross_pence(net_pence: int, vat_percent: Decimal) -> int:
    """The cost to a member who cannot recover VAT."""
    return net_pence + vat_pence(net_pence, vat_percent)


def quantities(forecast: int) -> tuple[int, int, int]:
    """The forecast quantity and 25% less and more, half-up to whole units, never below 1."""
    low = max(1, round_half_up(forecast * (100 - SWING_PERCENT), 100))
    high = round_half_up(forecast * (100 + SWING_PERCENT), 100)
    return low, forecast, high


@dataclass(frozen=True)
class Priced:
    """One bid as the comparison needs it: its id, tiers, delivery charge, evaluators' scores, buy-social flag."""

    bid_id: int
    tiers: tuple[BidTier, ...]
    delivery_charge_pence: int
    quality_scores: tuple[int, ...] = ()
    buy_social: bool = False


@dataclass(frozen=True)
class Ranked:
    bid_id: int
    rank: int
    cost_pence: int
    price_score: Fraction
    quality_score: Fraction
    social_score: int
    total: Fraction

    @property
    def total_points(self) -> Decimal:
        """The total to two places, for showing; ranks come from the exact fraction."""
        return (Decimal(self.total.numerator) / Decimal(self.total.denominator)).quantize(Decimal("0.01"))


def rank(bids: Sequence[Priced], forecast: int, weights: Weights) -> list[Ranked]:
    """The bids of one lot, best first, with their scores; the order of `bids` does not matter.

    With cost c, the cheapest cost m, n quality scores summing to q and social score s, the total is
    (wp x 100m/c + wq x q/n + ws x s) / 100 = (wp x 100m x n + wq x q x c + ws x s x c x n) / (100 x c x n),
    one exact fraction of integers (n is taken as 1 when there are no scores, q then being 0).
    """
    if not bids:
        return []
    costs = [cost_pence(bid.tiers, bid.delivery_charge_pence, forecast) for bid in bids]
    cheapest = min(costs)
    scored = []
    for bid, cost in zip(bids, costs, strict=True):
        n = len(bid.quality_scores) or 1
        q = sum(bid.quality_scores)
        social = MAX_SCORE if bid.buy_social else 0
        if cost:
            total = Fraction(
                weights.price * MAX_SCORE * cheapest * n
                + weights.quality * q * cost
                + weights.social * social * cost * n,
                100 * cost * n,
            )
        else:
            total = Fraction(weights.price * MAX_SCORE * n + weights.quality * q + weights.social * social * n, 100 * n)
        scored.append((total, cost, bid, q, n, social))
    scored.sort(key=lambda row: (-row[0], row[1], row[2].bid_id))
    return [
        Ranked(
            bid.bid_id,
            place,
            cost,
            Fraction(cheapest * MAX_SCORE, cost) if cost else Fraction(MAX_SCORE),
            Fraction(q, n),
            social,
            total,
        )
        for place, (total, cost, bid, q, n, social) in enumerate(scored, start=1)
    ]
