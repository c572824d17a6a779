"""Money rounding and the pounds filter, checked against integer-arithmetic references."""

import re
from decimal import Decimal
from fractions import Fraction

from hypothesis import example, given
from hypothesis import strategies as st

from kernel.formatting import pounds
from kernel.money import line_pence, to_pence, vat_pence

POUNDS_PATTERN = re.compile(r"^(-?)£(\d{1,3}(?:,\d{3})*)\.(\d{2})$")


def half_up(numerator: int, denominator: int) -> int:
    """numerator/denominator pence rounded half away from zero, with integers only."""
    whole, remainder = divmod(abs(numerator), denominator)
    pence = whole + (1 if 2 * remainder >= denominator else 0)
    return -pence if numerator < 0 else pence


def decimal_pounds(units: int, places: int) -> Decimal:
    """units / 10**places exactly (built from text, so no context precision applies)."""
    return Decimal(f"{units}e-{places}")


@given(units=st.integers(-(10**15), 10**15), places=st.integers(0, 12))
@example(units=125, places=3)
@example(units=-125, places=3)
@example(units=5, places=3)
@example(units=4999999999999999999999999999999, places=33)
def test_to_pence_rounds_decimals_half_up(units, places):
    assert to_pence(decimal_pounds(units, places)) == half_up(units * 100, 10**places)


@given(numerator=st.integers(-(10**12), 10**12), denominator=st.integers(1, 10**6))
def test_to_pence_rounds_fractions_half_up(numerator, denominator):
    assert to_pence(Fraction(numerator, denominator)) == half_up(numerator * 100, denominator)


def test_half_a_penny_rounds_up_not_to_even():
    assert [to_pence(Decimal(x)) for x in ("0.005", "0.015", "0.025", "-0.005", "0.0049")] == [1, 2, 3, -1, 0]


@given(quantity=st.integers(0, 10**7), price_units=st.integers(1, 10**12))
def test_line_pence_is_within_half_a_penny_of_the_exact_product(quantity, price_units):
    unit_price = decimal_pounds(price_units, 4)
    exact_pence = Fraction(quantity * price_units * 100, 10**4)
    pence = line_pence(quantity, unit_price)
    assert abs(pence - exact_pence) <= Fraction(1, 2)
    assert pence == half_up(quantity * price_units * 100, 10**4)


@given(quantity=st.integers(1, 10**6), price_units=st.integers(1, 10**8))
def test_line_pence_rounds_once_not_per_unit(quantity, price_units):
    unit_price = decimal_pounds(price_units, 4)
    assert line_pence(quantity, unit_price) == to_pence(quantity * unit_price)


@given(net_pence=st.integers(-(10**12), 10**12), rate_hundredths=st.integers(0, 10000))
@example(net_pence=1, rate_hundredths=5000)
@example(net_pence=-3, rate_hundredths=5000)
def test_vat_pence_is_the_rate_of_the_net_rounded_half_up(net_pence, rate_hundredths):
    rate_percent = decimal_pounds(rate_hundredths, 2)
    assert vat_pence(net_pence, rate_percent) == half_up(net_pence * rate_hundredths, 100 * 100)


def test_standard_and_reduced_rate_examples():
    assert vat_pence(1000, Decimal(20)) == 200
    assert vat_pence(1003, Decimal(20)) == 201
    assert vat_pence(1010, Decimal(5)) == 51
    assert vat_pence(999, Decimal(0)) == 0


def parse_pounds(text: str) -> int:
    match = POUNDS_PATTERN.match(text)
    assert match, text
    sign, whole, part = match.groups()
    pence = int(whole.replace(",", "")) * 100 + int(part)
    return -pence if sign else pence


@given(st.integers(-(10**15), 10**15))
@example(0)
@example(-1)
@example(100_000)
def test_pounds_round_trips_through_its_text(pence):
    text = pounds(pence)
    assert POUNDS_PATTERN.match(text), text
    assert parse_pounds(text) == pence
    assert text.startswith("-£") == (pence < 0)


@given(st.integers(0, 10**15))
def test_pounds_groups_thousands_in_threes(pence):
    whole = pounds(pence).removeprefix("£").split(".")[0]
    groups = whole.split(",")
    assert 1 <= len(groups[0]) <= 3
    assert all(len(group) == 3 for group in groups[1:])
    assert "".join(groups) == str(pence // 100)


def test_pounds_examples():
    assert pounds(123456) == "£1,234.56"
    assert pounds(-1230) == "-£12.30"
    assert pounds(5) == "£0.05"
    assert pounds(100_000_000) == "£1,000,000.00"
    assert pounds(None) == ""
