"""The tier ladder agrees with tier pricing for every ladder, and says what the next step saves."""

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from catalogue import pricing
from catalogue.pricing import Tier
from kernel.money import line_pence
from orders.ladder import ladder

TIERS = [Tier(10, Decimal("22.00")), Tier(50, Decimal("20.00")), Tier(200, Decimal("18.50"))]


def test_a_pool_between_steps_sees_the_next_and_what_it_saves():
    at = ladder(TIERS, Decimal("25.00"), 40)
    assert [(s.min_quantity, s.unit_price) for s in at.steps] == [
        (0, Decimal("25.00")),
        (10, Decimal("22.00")),
        (50, Decimal("20.00")),
        (200, Decimal("18.50")),
    ]
    assert [s.current for s in at.steps] == [False, True, False, False]
    assert [s.is_next for s in at.steps] == [False, False, True, False]
    assert at.units_to_next == 10 and at.saving_per_unit == Decimal("2.00")
    assert at.saving_for(12) == 2_400  # 12 units, £2.00 less each


def test_at_the_best_step_there_is_no_next():
    at = ladder(TIERS, Decimal("25.00"), 500)
    assert at.units_to_next is None and at.saving_for(10) is None
    assert at.steps[-1].current and all(s.reached for s in at.steps)


@st.composite
def ladders(draw):
    list_price = Decimal(draw(st.integers(100, 100_000))).scaleb(-2)
    quantities = sorted(draw(st.sets(st.integers(1, 10_000), max_size=5)))
    prices, price = [], list_price
    for _ in quantities:
        price = price - Decimal(draw(st.integers(0, 50))).scaleb(-2)
        prices.append(max(price, Decimal("0.01")))
    return list_price, [Tier(q, p) for q, p in zip(quantities, prices, strict=True)], draw(st.integers(0, 12_000))


@given(ladders(), st.integers(0, 5_000))
def test_the_ladder_prices_as_tier_pricing_does(case, pledge):
    list_price, tiers, quantity = case
    at = ladder(tiers, list_price, quantity)
    expected = pricing.standing(tiers, quantity, list_price)
    assert at.unit_price == expected.unit_price
    assert sum(s.current for s in at.steps) == 1
    assert [s.unit_price for s in at.steps] == sorted({s.unit_price for s in at.steps}, reverse=True)
    if expected.next_tier is None:
        assert at.units_to_next is None and not any(s.is_next for s in at.steps)
    else:
        assert at.units_to_next == expected.next_tier.min_quantity - quantity
        assert at.saving_for(pledge) == line_pence(pledge, at.unit_price) - line_pence(
            pledge, expected.next_tier.unit_price
        )
