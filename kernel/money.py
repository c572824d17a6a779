"""Money rules: integer pence, Decimal prices, and the one place where rounding happens.

Amounts are integer pence. Unit prices are Decimals with up to four decimal places
(utilities are priced in fractions of a penny). Every conversion of an exact amount to
pence goes through `to_pence`, which rounds half-up to the penny.
"""

from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

PRICE_PLACES = Decimal("0.0001")


def round_half_up(numerator: int, denominator: int) -> int:
    """numerator / denominator to the nearest whole number, halves away from zero; integers only.

    The one rounding rule: every amount of pence below comes through here.
    """
    if denominator <= 0:
        raise ValueError("denominator must be positive")
    whole, remainder = divmod(abs(numerator), denominator)
    rounded = whole + (1 if 2 * remainder >= denominator else 0)
    return -rounded if numerator < 0 else rounded


def to_pence(pounds: Decimal | Fraction | int) -> int:
    """Pounds (exact) to integer pence, half-up: £0.125 -> 13p, -£0.125 -> -13p.

    Works on the exact ratio, so no Decimal context precision can round first.
    """
    numerator, denominator = pounds.as_integer_ratio()
    return round_half_up(numerator * 100, denominator)


def line_pence(quantity: int, unit_price: Decimal) -> int:
    """Quantity x unit price, rounded once."""
    numerator, denominator = unit_price.as_integer_ratio()
    return round_half_up(quantity * numerator * 100, denominator)


def vat_pence(net_pence: int, rate_percent: Decimal) -> int:
    numerator, denominator = rate_percent.as_integer_ratio()
    return round_half_up(net_pence * numerator, denominator * 100)


def quantize_price(price: Decimal) -> Decimal:
    return price.quantize(PRICE_PLACES, rounding=ROUND_HALF_UP)
