"""Properties of tier pricing that every pool's price relies on."""

from decimal import Decimal

from hypothesis import assume, given
from hypothesis import strategies as st

from catalogue import pricing
from catalogue.pricing import Tier

prices = st.decimals(min_value=Decimal("0.0001"), max_value=Decimal("9999.9999"), places=4)
quantities = st.integers(min_value=0, max_value=2_000_000)
vat_percents = st.sampled_from([Decimal(20), Decimal(5), Decimal(0)])


@st.composite
def valid_offers(draw) -> tuple[Decimal, list[Tier]]:
    """A list price and tiers whose quantities rise and whose prices never rise, starting at or below list."""
    list_price = draw(prices)
    steps = draw(st.lists(st.integers(min_value=1, max_value=10_000), max_size=6))
    tiers, quantity, price = [], 0, list_price
    for step in steps:
        quantity += step
        price = draw(st.decimals(min_value=Decimal("0.0001"), max_value=price, places=4))
        tiers.append(Tier(quantity, price))
    return list_price, tiers


@given(valid_offers(), quantities)
def test_unit_price_is_never_above_the_list_price(offer, quantity):
    list_price, tiers = offer
    assert pricing.unit_price(tiers, quantity, list_price) <= list_price


@given(valid_offers(), quantities, st.integers(min_value=0, max_value=100_000))
def test_unit_price_never_rises_as_quantity_grows(offer, quantity, more):
    list_price, tiers = offer
    assert pricing.unit_price(tiers, quantity + more, list_price) <= pricing.unit_price(tiers, quantity, list_price)


@given(valid_offers(), quantities)
def test_unit_price_is_the_price_of_the_highest_tier_reached(offer, quantity):
    list_price, tiers = offer
    reached = [t for t in tiers if t.min_quantity <= quantity]
    expected = reached[-1].unit_price if reached else list_price
    assert pricing.unit_price(tiers, quantity, list_price) == expected


@given(valid_offers(), quantities)
def test_next_tier_is_where_the_price_next_falls(offer, quantity):
    list_price, tiers = offer
    now = pricing.unit_price(tiers, quantity, list_price)
    found = pricing.next_tier(tiers, quantity, list_price)
    cheaper_above = [t for t in tiers if t.min_quantity > quantity and t.unit_price < now]
    if not cheaper_above:
        assert found is None
        assert pricing.unit_price(tiers, quantity + 10**9, list_price) == now
    else:
        assert found == min(cheaper_above, key=lambda t: t.min_quantity)
        assert pricing.unit_price(tiers, found.min_quantity - 1, list_price) == now
        assert pricing.unit_price(tiers, found.min_quantity, list_price) == found.unit_price < now


@given(valid_offers(), quantities)
def test_next_tier_without_the_list_price_is_the_nearest_tier_above_the_one_reached(offer, quantity):
    _, tiers = offer
    reached = pricing.tier_reached(tiers, quantity)
    above = [t for t in tiers if t.min_quantity > quantity and (reached is None or t.unit_price < reached.unit_price)]
    assert pricing.next_tier(tiers, quantity) == (min(above, key=lambda t: t.min_quantity) if above else None)


def test_a_tier_at_the_same_price_is_not_a_next_tier():
    tiers = [
        Tier(10, Decimal("25.00")),
        Tier(50, Decimal("22.00")),
        Tier(100, Decimal("22.00")),
        Tier(200, Decimal("18.50")),
    ]
    assert pricing.next_tier(tiers, 0, Decimal("25.00")) == Tier(50, Decimal("22.00"))
    assert pricing.next_tier(tiers, 60, Decimal("25.00")) == Tier(200, Decimal("18.50"))
    assert pricing.next_tier(tiers, 200, Decimal("25.00")) is None


@given(valid_offers())
def test_validate_tiers_accepts_valid_tiers(offer):
    list_price, tiers = offer
    assert pricing.validate_tiers(list_price, tiers) == []


@given(valid_offers(), st.data())
def test_validate_tiers_rejects_a_rising_price(offer, data):
    list_price, tiers = offer
    assume(len(tiers) >= 2)
    index = data.draw(st.integers(min_value=1, max_value=len(tiers) - 1))
    raised = tiers[index - 1].unit_price + data.draw(st.decimals(min_value=Decimal("0.0001"), max_value=100, places=4))
    tiers[index] = Tier(tiers[index].min_quantity, raised)
    assert any("must not rise" in problem for problem in pricing.validate_tiers(list_price, tiers))


@given(valid_offers(), st.decimals(min_value=Decimal("0.0001"), max_value=100, places=4))
def test_validate_tiers_rejects_a_first_tier_above_the_list_price(offer, excess):
    list_price, tiers = offer
    assume(tiers)
    tiers[0] = Tier(tiers[0].min_quantity, list_price + excess)
    assert any("above the list price" in problem for problem in pricing.validate_tiers(list_price, tiers))


@st.composite
def small_ladders(draw, list_price: Decimal) -> list[Tier]:
    """Tiers on few quantities and few prices, so two ladders often share a quantity and a price."""
    chosen = sorted(draw(st.sets(st.integers(min_value=1, max_value=30), max_size=5)))
    tiers, price = [], list_price
    for quantity in chosen:
        price = draw(st.sampled_from([p for p in (Decimal(1), Decimal(2), Decimal(3), Decimal(4)) if p <= price]))
        tiers.append(Tier(quantity, price))
    return tiers


@given(st.data())
def test_rises_finds_a_rise_exactly_when_some_quantity_would_cost_more(data):
    list_price = Decimal(4)
    held, new = data.draw(small_ladders(list_price)), data.draw(small_ladders(list_price))
    found = pricing.rises(held, new, list_price)
    dearer = [
        q for q in range(1, 40) if pricing.unit_price(new, q, list_price) > pricing.unit_price(held, q, list_price)
    ]
    assert bool(found) == bool(dearer)
    for rise in found:
        assert rise.quantity in dearer
        assert rise.held == pricing.unit_price(held, rise.quantity, list_price)
        assert rise.new == pricing.unit_price(new, rise.quantity, list_price)
        assert rise.tier is None or new[rise.tier - 1].min_quantity == rise.quantity
    if dearer:
        assert found[0].quantity == dearer[0]


def test_a_rise_names_the_new_tier_or_the_tier_taken_away():
    held = [Tier(10, Decimal("22")), Tier(50, Decimal("20")), Tier(200, Decimal("18.5"))]
    assert pricing.rises(held, [Tier(10, Decimal("22")), Tier(200, Decimal("18.5"))], Decimal(25)) == [
        pricing.Rise(50, None, Decimal("20"), Decimal("22"))
    ]
    assert pricing.rises(held, [*held[:1], Tier(50, Decimal("20.5")), held[2]], Decimal(25)) == [
        pricing.Rise(50, 2, Decimal("20"), Decimal("20.5"))
    ]
    assert pricing.rises(held, [Tier(1, Decimal(21)), *held[1:]], Decimal(25)) == []
