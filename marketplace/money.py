"""Money rules: integer pence, Decimal prices, and the one place where rounding happens.

Amounts are integer pence. Unit prices are Decimals with up to four decimal places
(utilities are priced in fractions of a penny). Every conversion of an exact amount to
pence goes through `to_pence`, which rounds half-up to the penny.
"""
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

PRICE_PLACES = Decimal("0.0001")


def to_pence(pounds: Decimal | Fraction) -> int:
    """Pounds (exact) to integer pence, half-up: £0.125 -> 13p, -£0.125 -> -13p.

    Computed on exact fractions, so no Decimal context precision can round first.
    """
    exact = Fraction(pounds) * 100
    whole, remainder = divmod(abs(exact.numerator), exact.denominator)
    pence = whole + (1 if 2 * remainder >= exact.denominator else 0)
    return -pence if exact < 0 else pence


def line_pence(quantity: int, unit_price: Decimal) -> int:
    """Quantity x unit price, rounded once."""
    return to_pence(quantity * Fraction(unit_price))


def vat_pence(net_pence: int, rate_percent: Decimal) -> int:
    return to_pence(net_pence * Fraction(rate_percent) / 10000)


def quantize_price(price: Decimal) -> Decimal:
    return price.quantize(PRICE_PLACES, rounding=ROUND_HALF_UP)
