"""The comparison and ranking rules, tested without a database."""

import itertools
from decimal import Decimal
from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from kernel.money import line_pence
from tenders.ranking import BidTier, Priced, Weights, cost_pence, gross_pence, quantities, rank, tier_problems

prices = st.decimals(min_value=Decimal("0.0001"), max_value=Decimal("999.9999"), places=4)


@st.composite
def tier_tables(draw):
    """A valid table: from 1 unit, quantities rising, prices never rising."""
    count = draw(st.integers(1, 10))
    steps = draw(st.lists(st.integers(1, 500), min_size=count - 1, max_size=count - 1))
    minimums = [1]
    for step in steps:
        minimums.append(minimums[-1] + step)
    top = draw(prices)
    cuts = sorted(draw(st.lists(st.decimals(0, 1, places=2), min_size=count, max_size=count)), reverse=True)
    unit_prices = sorted({max(Decimal("0.0001"), (top * c).quantize(Decimal("0.0001"))) for c in cuts}, reverse=True)
    unit_prices += [unit_prices[-1]] * (count - len(unit_prices))
    return tuple(BidTier(q, p) for q, p in zip(minimums, unit_prices, strict=True))


bids = st.builds(
    Priced,
    bid_id=st.integers(1, 10_000),
    tiers=tier_tables(),
    delivery_charge_pence=st.integers(0, 100_000),
    quality_scores=st.lists(st.integers(0, 100), min_size=2, max_size=4).map(tuple),
    buy_social=st.booleans(),
)
weight_sets = st.tuples(st.integers(0, 100), st.integers(0, 100)).filter(lambda w: sum(w) <= 100)


def distinct_ids(found: list[Priced]) -> list[Priced]:
    return list({bid.bid_id: bid for bid in found}.values())


def test_a_bid_costs_its_reached_tier_times_the_quantity_plus_delivery():
    tiers = (BidTier(1, Decimal("10.00")), BidTier(100, Decimal("8.50")), BidTier(500, Decimal("7.25")))
    assert cost_pence(tiers, 2500, 99) == 99_000 + 2500
    assert cost_pence(tiers, 2500, 100) == 85_000 + 2500
    assert cost_pence(tiers, 0, 1000) == 725_000


def test_quantities_are_the_forecast_and_a_quarter_either_side_rounded_half_up():
    assert quantities(400) == (300, 400, 500)
    assert quantities(2) == (2, 2, 3)  # 1.5 and 2.5 round up
    assert quantities(1) == (1, 1, 1)


def test_gross_adds_vat_once():
    assert gross_pence(10_000, Decimal(20)) == 12_000
    assert gross_pence(333, Decimal(5)) == 350  # 16.65p rounds half-up to 17p


def test_tier_tables_start_at_one_rise_in_quantity_and_never_in_price():
    assert tier_problems((BidTier(1, Decimal(5)), BidTier(10, Decimal(4)))) == []
    assert tier_problems(()) != []
    assert "start at 1 unit" in tier_problems((BidTier(2, Decimal(5)),))[0]
    assert any("must not rise" in p for p in tier_problems((BidTier(1, Decimal(4)), BidTier(10, Decimal(5)))))
    assert any("must rise" in p for p in tier_problems((BidTier(1, Decimal(4)), BidTier(1, Decimal(3)))))


def test_the_weights_decide_between_cheap_and_good():
    cheap = Priced(1, (BidTier(1, Decimal(10)),), 0, (40, 50))
    good = Priced(2, (BidTier(1, Decimal(12)),), 0, (90, 100))
    by_price = rank([cheap, good], 100, Weights(100, 0))
    by_quality = rank([cheap, good], 100, Weights(30, 70))
    assert [r.bid_id for r in by_price] == [1, 2]
    assert [r.bid_id for r in by_quality] == [2, 1]
    # 30 x 10/12 x 100 / 100 + 70 x 95 / 100 = 25 + 66.5
    assert by_quality[0].total == Fraction(183, 2)
    assert by_quality[0].total_points == Decimal("91.50")


def test_the_buy_social_weight_favours_social_enterprises():
    plain = Priced(1, (BidTier(1, Decimal(10)),), 0, (80, 80), buy_social=False)
    social = Priced(2, (BidTier(1, Decimal("10.50")),), 0, (80, 80), buy_social=True)
    assert rank([plain, social], 100, Weights(60, 30, 10))[0].bid_id == 2
    assert rank([plain, social], 100, Weights(70, 30, 0))[0].bid_id == 1


@settings(max_examples=200)
@given(tier_tables(), st.integers(0, 100_000), st.integers(1, 100_000))
def test_cost_is_the_price_of_the_last_tier_reached(tiers, delivery, quantity):
    reached = [t for t in tiers if t.min_quantity <= quantity][-1]
    assert cost_pence(tiers, delivery, quantity) == line_pence(quantity, reached.unit_price) + delivery


@settings(max_examples=200)
@given(st.integers(1, 10_000_000))
def test_the_swing_quantities_bracket_the_forecast(forecast):
    low, mid, high = quantities(forecast)
    assert 1 <= low <= mid == forecast <= high
    assert abs(4 * low - 3 * forecast) <= 2 or low == 1
    assert abs(4 * high - 5 * forecast) <= 2


@settings(max_examples=150)
@given(st.lists(bids, min_size=1, max_size=8).map(distinct_ids), st.integers(1, 5000), weight_sets, st.randoms())
def test_ranking_is_a_permutation_in_bounds_and_ignores_input_order(found, forecast, weights, shuffle):
    price, quality = weights
    w = Weights(price, quality, 100 - price - quality)
    ranked = rank(found, forecast, w)
    assert sorted(r.bid_id for r in ranked) == sorted(b.bid_id for b in found)
    assert [r.rank for r in ranked] == list(range(1, len(found) + 1))
    assert all(0 <= r.total <= 100 for r in ranked)
    assert all(a.total >= b.total for a, b in itertools.pairwise(ranked))
    assert max(r.price_score for r in ranked) == 100  # the cheapest bid scores full marks on price
    shuffled = list(found)
    shuffle.shuffle(shuffled)
    assert rank(shuffled, forecast, w) == ranked


@settings(max_examples=150)
@given(st.lists(bids, min_size=2, max_size=8).map(distinct_ids), st.integers(1, 5000))
def test_on_price_alone_the_cheapest_at_the_forecast_wins(found, forecast):
    ranked = rank(found, forecast, Weights(100, 0))
    costs = [r.cost_pence for r in ranked]
    assert costs == sorted(costs)


@settings(max_examples=150)
@given(st.lists(bids, min_size=2, max_size=6).map(distinct_ids), st.integers(1, 5000), weight_sets, st.data())
def test_a_better_quality_score_never_lowers_a_bids_rank(found, forecast, weights, data):
    price, quality = weights
    w = Weights(price, quality, 100 - price - quality)
    chosen = data.draw(st.sampled_from(found))
    before = next(r.rank for r in rank(found, forecast, w) if r.bid_id == chosen.bid_id)
    better = Priced(
        chosen.bid_id,
        chosen.tiers,
        chosen.delivery_charge_pence,
        tuple(min(100, s + 10) for s in chosen.quality_scores),
        chosen.buy_social,
    )
    changed = [better if b.bid_id == chosen.bid_id else b for b in found]
    after = next(r.rank for r in rank(changed, forecast, w) if r.bid_id == chosen.bid_id)
    assert after <= before
