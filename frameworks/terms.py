"""A framework's rate card and ceiling, worked out with no database: prices, values, fees, headroom.

The tier is chosen by the call-off's own quantity (not by the member's cumulative volume): a
call-off's price is known when it is placed and never moves afterwards. A fixed rate is a card
of one tier from 1.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from catalogue.enums import VatRate
from kernel.money import line_pence, round_half_up

Tiers = Sequence[tuple[int, Decimal]]
NOTICE_PERCENTS = (75, 90)  # secretaries hear once at each share of the ceiling


@dataclass(frozen=True)
class LotTerms:
    """One lot as the tenders package and the forms give it: tiers are (from quantity, unit price); a lot naming
    its supplier (a tender's winner) is called off from that supplier alone."""

    name: str
    unit_singular: str
    unit_plural: str
    tiers: list[tuple[int, Decimal]]
    supplier_id: int | None = None
    vat_rate: VatRate = VatRate.STANDARD


def check_tiers(tiers: Tiers) -> list[str]:
    """What is wrong with a rate card, in the users' words; empty when it is sound."""
    problems = []
    if not tiers:
        problems.append("Give at least one rate: from quantity 1 at a unit price.")
        return problems
    quantities = [quantity for quantity, _ in tiers]
    if sorted(quantities) != quantities or len(set(quantities)) != len(quantities):
        problems.append("List the tiers by increasing quantity, each quantity once.")
    if quantities[0] != 1:
        problems.append("The first tier starts at quantity 1, so every call-off has a price.")
    for _, unit_price in tiers:
        if not isinstance(unit_price, Decimal) or not unit_price.is_finite() or unit_price <= 0:
            problems.append("Every unit price is more than £0.")
            break
        if unit_price.as_tuple().exponent < -4:  # type: ignore[operator]
            problems.append("Unit prices have at most 4 decimal places.")
            break
    return problems


def unit_price_for(tiers: Tiers, quantity: int) -> Decimal:
    """The unit price of the highest tier the quantity reaches (tiers sorted, the first from 1)."""
    if quantity < 1:
        raise ValueError("A call-off is for 1 or more units.")
    found = tiers[0][1]
    for minimum, unit_price in tiers:
        if quantity >= minimum:
            found = unit_price
    return found


def net_pence(tiers: Tiers, quantity: int) -> int:
    """A call-off's net value: quantity x its tier's unit price, rounded once."""
    return line_pence(quantity, unit_price_for(tiers, quantity))


def fee_pence(net: int, fee_percent: Decimal) -> int:
    """The management fee on a call-off's net value, rounded half-up to the penny."""
    numerator, denominator = fee_percent.as_integer_ratio()
    return round_half_up(net * numerator, denominator * 100)


def limit_pence(ceiling_pence: int, allowance_percent: Decimal) -> int:
    """The most a framework may be called off for: ceiling x (1 + allowance%), rounded down (never over)."""
    numerator, denominator = allowance_percent.as_integer_ratio()
    return ceiling_pence * (100 * denominator + numerator) // (100 * denominator)


def fits(consumed_pence: int, extra_pence: int, ceiling_pence: int, allowance_percent: Decimal) -> bool:
    return consumed_pence + extra_pence <= limit_pence(ceiling_pence, allowance_percent)


def thresholds_crossed(before_pence: int, after_pence: int, ceiling_pence: int) -> list[int]:
    """The notice percentages of the ceiling that consumption reaches by going from `before` to `after`."""
    return [percent for percent in NOTICE_PERCENTS if before_pence * 100 < ceiling_pence * percent <= after_pence * 100]


def units(quantity: int, singular: str, plural: str) -> str:
    """ "1 hour", "20 hours"."""
    return f"{quantity:,} {singular if quantity == 1 else plural}"


def add_months(day: date, months: int) -> date:
    """The same day `months` later, or the month's last day when it is shorter (31 Jan + 1 = 28 or 29 Feb)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = index // 12, index % 12 + 1
    following = date(year + (month == 12), month % 12 + 1, 1)
    return min(day.replace(year=year, month=month, day=1) + timedelta(days=day.day - 1), following - timedelta(days=1))
