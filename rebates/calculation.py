"""Rebate rules: the rebate a period earns by its tiers, and how a received rebate is shared.

A tier is (threshold, rate): from `threshold` (pence of net spend, or units) the rate applies
(a percent of spend, or pence per unit). Retrospective: the whole period at the rate of the
highest tier reached. Graduated: each band, from one threshold to the next, at its own rate.
Rates rise with thresholds, so retrospective is never below graduated for the same volume.
The exact amount is rounded half-up to the penny once (kernel.money).
"""

import enum
import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from kernel.allocation import largest_remainder
from kernel.money import round_half_up


class Basis(enum.Enum):
    SPEND = "spend"  # thresholds in pence of net spend, rates in percent of it
    UNITS = "units"  # thresholds in units, rates in pence per unit


class Method(enum.Enum):
    RETROSPECTIVE = "retrospective"
    GRADUATED = "graduated"


@dataclass(frozen=True)
class Tier:
    threshold: int
    rate: Decimal


def check_tiers(tiers: Sequence[Tier]) -> list[str]:
    """What is wrong with a tier table, in the users' words (empty when it is sound)."""
    problems = []
    if not tiers:
        problems.append("Give at least one tier.")
    if any(t.threshold < 0 for t in tiers):
        problems.append("Thresholds cannot be negative.")
    if any(not t.rate.is_finite() or t.rate <= 0 for t in tiers):
        problems.append("Each rate is above nothing.")
    pairs = list(itertools.pairwise(tiers))
    if any(b.threshold <= a.threshold for a, b in pairs):
        problems.append("Thresholds rise from one tier to the next.")
    if any(b.rate < a.rate for a, b in pairs):
        problems.append("A higher tier never pays a lower rate.")
    return problems


def _exact(volume: int, rate: Decimal, basis: Basis) -> Fraction:
    """The rebate on `volume` at `rate`, in pence, exactly."""
    fraction = Fraction(rate)
    return volume * fraction / 100 if basis is Basis.SPEND else volume * fraction


def tier_reached(volume: int, tiers: Sequence[Tier]) -> Tier | None:
    reached = [t for t in tiers if volume >= t.threshold and volume > 0]
    return reached[-1] if reached else None


def rebate_pence(volume: int, tiers: Sequence[Tier], basis: Basis, method: Method) -> int:
    """The rebate a period's volume (pence of spend or units) earns, to the penny."""
    if volume <= 0:
        return 0
    if method is Method.RETROSPECTIVE:
        reached = tier_reached(volume, tiers)
        exact = _exact(volume, reached.rate, basis) if reached else Fraction(0)
    else:
        exact = Fraction(0)
        for index, tier in enumerate(tiers):
            upper = tiers[index + 1].threshold if index + 1 < len(tiers) else volume
            band = min(volume, upper) - tier.threshold
            if band > 0:
                exact += _exact(band, tier.rate, basis)
    return round_half_up(exact.numerator, exact.denominator)


@dataclass(frozen=True)
class Sharing:
    retained_pence: int
    shares: list[int]

    @property
    def distributed_pence(self) -> int:
        return sum(self.shares)


def share_out(received_pence: int, retention_percent: Decimal, spends: Sequence[int]) -> Sharing:
    """The consortium keeps `retention_percent` of what the supplier paid (half-up to the penny); the rest
    goes to the members in proportion to their eligible spend, by largest remainder, so it sums exactly."""
    if received_pence < 0:
        raise ValueError("A rebate received cannot be negative.")
    if not Decimal(0) <= retention_percent <= Decimal(100):
        raise ValueError("Retention is between 0 and 100 percent.")
    weights = [max(spend, 0) for spend in spends]
    numerator, denominator = Fraction(retention_percent).as_integer_ratio()
    retained = round_half_up(received_pence * numerator, denominator * 100)
    if not any(weights):
        return Sharing(received_pence, [0] * len(weights))
    return Sharing(retained, largest_remainder(received_pence - retained, weights))
