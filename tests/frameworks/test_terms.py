"""The rate card and the ceiling as pure rules: tiers by the call-off's quantity, exact pence, the limit never passed."""

from datetime import date
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from frameworks import terms

CARD = [(1, Decimal("65.00")), (20, Decimal("58.50")), (100, Decimal("52.1234"))]
prices = st.decimals(min_value=Decimal("0.0001"), max_value=Decimal("9999"), places=4)
percents = st.decimals(min_value=Decimal(0), max_value=Decimal(100), places=2)


def test_the_tier_is_the_one_the_call_offs_own_quantity_reaches():
    assert terms.unit_price_for(CARD, 1) == Decimal("65.00")
    assert terms.unit_price_for(CARD, 19) == Decimal("65.00")
    assert terms.unit_price_for(CARD, 20) == Decimal("58.50")
    assert terms.unit_price_for(CARD, 100) == Decimal("52.1234")
    assert terms.net_pence(CARD, 3) == 19_500
    assert terms.net_pence(CARD, 101) == 526_446  # 101 x 52.1234 = 5264.4634, half-up to the penny


@given(st.lists(st.tuples(st.integers(2, 10_000), prices), max_size=8), prices, st.integers(1, 50_000))
def test_a_call_off_costs_its_quantity_at_one_tier_of_the_card(rest, first, quantity):
    card = sorted({q: p for q, p in rest}.items())
    card = [(1, first), *card]
    assert terms.check_tiers(card) == []
    unit_price = terms.unit_price_for(card, quantity)
    assert unit_price == max((q, p) for q, p in card if q <= quantity)[1]
    exact = quantity * unit_price * 100
    assert abs(terms.net_pence(card, quantity) - exact) <= Decimal("0.5")


@given(st.integers(1, 2**31 - 1), percents, st.integers(0, 2**33), st.integers(0, 2**33))
def test_fits_exactly_up_to_the_ceiling_with_its_allowance(ceiling, allowance, consumed, extra):
    limit = terms.limit_pence(ceiling, allowance)
    assert limit <= ceiling * (1 + allowance / 100) < limit + 1
    assert terms.fits(consumed, extra, ceiling, allowance) == (consumed + extra <= limit)


def test_the_limit_rounds_down_never_over():
    assert terms.limit_pence(1_000_000, Decimal("10")) == 1_100_000
    assert terms.limit_pence(999, Decimal("0.5")) == 1003  # 1003.995: a penny more would pass the allowance
    assert not terms.fits(1003, 1, 999, Decimal("0.5"))


@given(st.integers(1, 10**9), st.lists(st.integers(0, 10**8), max_size=30))
def test_each_notice_is_crossed_once_however_consumption_grows(ceiling, steps):
    crossed, consumed = [], 0
    for step in steps:
        crossed += terms.thresholds_crossed(consumed, consumed + step, ceiling)
        consumed += step
    assert crossed == [p for p in terms.NOTICE_PERCENTS if consumed * 100 >= ceiling * p]


def test_a_bad_rate_card_is_named_in_words():
    assert terms.check_tiers([]) == ["Give at least one rate: from quantity 1 at a unit price."]
    assert "The first tier starts at quantity 1, so every call-off has a price." in terms.check_tiers(
        [(5, Decimal("1"))]
    )
    assert "List the tiers by increasing quantity, each quantity once." in terms.check_tiers(
        [(1, Decimal("2")), (1, Decimal("1"))]
    )
    assert "Every unit price is more than £0." in terms.check_tiers([(1, Decimal("0"))])
    assert "Unit prices have at most 4 decimal places." in terms.check_tiers([(1, Decimal("0.00001"))])


def test_extensions_keep_the_day_or_take_the_months_last():
    assert terms.add_months(date(2026, 12, 3), 12) == date(2027, 12, 3)
    assert terms.add_months(date(2027, 1, 31), 1) == date(2027, 2, 28)
    assert terms.add_months(date(2027, 11, 30), 3) == date(2028, 2, 29)


def test_units_are_pluralised():
    assert terms.units(1, "hour", "hours") == "1 hour"
    assert terms.units(1200, "hour", "hours") == "1,200 hours"


def test_the_management_fee_is_a_share_of_net_value_rounded_half_up():
    assert terms.fee_pence(19_500, Decimal("2.5")) == 488  # 487.5
    assert terms.fee_pence(19_499, Decimal("2.5")) == 487  # 487.475
    assert terms.fee_pence(19_500, Decimal("0")) == 0
