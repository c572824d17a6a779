"""Members' cost shares: exact totals, a penny of each exact value, and solidarity that moves but never makes money."""

import math
import random
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from kernel.allocation import largest_remainder
from orders.cost_shares import (
    CostShare,
    MemberUnits,
    cost_shares,
    goods_total_pence,
    handling_fee_total_pence,
)
from organisations.models import TurnoverBand

TOP = TurnoverBand.OVER_2M
LOWEST = TurnoverBand.UNDER_100K
MIDDLE = TurnoverBand.FROM_100K_TO_500K

# Prices with up to four decimal places of a pound: fractions of a penny are common.
prices = st.one_of(st.integers(0, 300), st.integers(0, 10**7)).map(lambda n: Decimal(n).scaleb(-4))
percents = st.one_of(st.just(0), st.integers(0, 10000)).map(lambda n: Decimal(n).scaleb(-2))
charges = st.one_of(st.just(0), st.integers(1, 100), st.integers(0, 10**6))
# Small counts make tied remainders common; zeros are members whose units were all short-delivered.
unit_counts = st.one_of(st.just(0), st.integers(1, 4), st.integers(0, 10**6))


@st.composite
def orders(draw, max_members=20):
    ids = draw(st.lists(st.integers(1, 10**6), min_size=1, max_size=max_members, unique=True))
    members = [MemberUnits(member_id, draw(unit_counts), draw(st.sampled_from(TurnoverBand))) for member_id in ids]
    delivery = draw(charges) if any(member.units for member in members) else 0
    return members, draw(prices), delivery, draw(percents), draw(percents)


def exact_percent(pence, percent):
    return Fraction(pence) * Fraction(percent) / 100


def half_up(exact: Fraction) -> int:
    """Half-up rounding written out independently of kernel.money."""
    return int(math.copysign(math.floor(abs(exact) + Fraction(1, 2)), exact))


def assert_fair(members, unit_price, delivery, fee_percent, rate_percent, shares):
    """Every promise a member or the secretary can check on the invoices."""
    assert [share.member_id for share in shares] == [member.member_id for member in members]
    assert [share.units for share in shares] == [member.units for member in members]
    total_units = sum(member.units for member in members)
    price_pence = Fraction(unit_price) * 100

    goods_total = goods_total_pence(total_units, unit_price)
    assert abs(goods_total - total_units * price_pence) <= Fraction(1, 2)
    fee_total = handling_fee_total_pence(goods_total, fee_percent)
    assert fee_total == half_up(exact_percent(goods_total, fee_percent))

    assert sum(share.goods_pence for share in shares) == goods_total
    assert sum(share.delivery_pence for share in shares) == delivery
    assert sum(share.handling_fee_pence for share in shares) == fee_total
    assert sum(share.solidarity_pence for share in shares) == 0
    assert sum(share.net_pence for share in shares) == goods_total + delivery + fee_total

    for member, share in zip(members, shares, strict=True):
        assert share.goods_pence >= 0 and share.delivery_pence >= 0 and share.handling_fee_pence >= 0
        assert share.net_pence >= share.delivery_pence + share.handling_fee_pence >= 0
        assert share.net_pence == (
            share.goods_pence + share.delivery_pence + share.handling_fee_pence + share.solidarity_pence
        )
        assert abs(share.goods_pence - member.units * price_pence) < 1
        if goods_total:
            exact_delivery = Fraction(delivery * share.goods_pence, goods_total)
            exact_fee = Fraction(fee_total * share.goods_pence, goods_total)
        else:
            exact_delivery = Fraction(delivery * member.units, total_units or 1)
            exact_fee = Fraction(0)
        assert abs(share.delivery_pence - exact_delivery) < 1
        assert abs(share.handling_fee_pence - exact_fee) < 1
        if member.units == 0:
            assert share == CostShare(member.member_id, 0, 0, 0, 0, 0)
    assert_solidarity(members, rate_percent, shares)


def assert_solidarity(members, rate_percent, shares):
    top = [share for member, share in zip(members, shares, strict=True) if member.turnover_band is TOP]
    lowest = [share for member, share in zip(members, shares, strict=True) if member.turnover_band is LOWEST]
    others = [share for member, share in zip(members, shares, strict=True) if member.turnover_band not in (TOP, LOWEST)]
    assert all(share.solidarity_pence == 0 for share in others)
    assert all(share.solidarity_pence >= 0 for share in top)
    assert all(share.solidarity_pence <= 0 for share in lowest)

    full_surcharges = [half_up(exact_percent(share.goods_pence, rate_percent)) for share in top]
    lowest_goods = sum(share.goods_pence for share in lowest)
    pot = sum(share.solidarity_pence for share in top)
    # The pot is every surcharge in full, unless that would give the lowest band more than its goods.
    assert pot == min(sum(full_surcharges), lowest_goods)
    for share, full in zip(top, full_surcharges, strict=True):
        assert share.solidarity_pence <= full
        if pot == sum(full_surcharges):
            assert share.solidarity_pence == full
    for share in lowest:
        assert -share.solidarity_pence <= share.goods_pence
        if lowest_goods:
            assert abs(-share.solidarity_pence - Fraction(pot * share.goods_pence, lowest_goods)) < 1


def by_member(shares):
    return {share.member_id: share for share in shares}


@given(order=orders())
@settings(max_examples=1000)
def test_shares_recover_the_order_exactly_and_each_is_within_a_penny(order):
    members, unit_price, delivery, fee_percent, rate_percent = order
    shares = cost_shares(members, unit_price, delivery, fee_percent, rate_percent)
    assert_fair(members, unit_price, delivery, fee_percent, rate_percent, shares)


@given(units=st.lists(st.one_of(st.integers(0, 5), st.integers(100, 5000)), min_size=2, max_size=8), unit_price=prices)
@settings(max_examples=500)
def test_each_goods_share_is_within_a_penny_of_its_units_times_the_unit_price(units, unit_price):
    """A big member among small ones is where splitting the rounded total by units would miss by more."""
    members = [MemberUnits(index + 1, count, MIDDLE) for index, count in enumerate(units)]
    shares = cost_shares(members, unit_price, 0)
    assert sum(share.goods_pence for share in shares) == goods_total_pence(sum(units), unit_price)
    for count, share in zip(units, shares, strict=True):
        assert abs(share.goods_pence - count * Fraction(unit_price) * 100) < 1


@given(order=orders(max_members=12), data=st.data())
@settings(max_examples=200)
def test_shares_do_not_depend_on_the_order_members_are_listed_in(order, data):
    """Ties go by remainder, weight, then member id, never by position in the list."""
    members, unit_price, delivery, fee_percent, rate_percent = order
    shuffled = data.draw(st.permutations(members))
    assert by_member(cost_shares(shuffled, unit_price, delivery, fee_percent, rate_percent)) == by_member(
        cost_shares(members, unit_price, delivery, fee_percent, rate_percent)
    )


@given(
    units=st.lists(st.integers(0, 10**4), min_size=1, max_size=20).filter(any),
    top_units=st.integers(1, 10**4),
    unit_price=prices,
    rate_percent=percents,
)
@example(units=[1], top_units=10**4, unit_price=Decimal(1), rate_percent=Decimal(100))
@settings(max_examples=300)
def test_a_large_solidarity_rate_never_turns_a_discount_into_a_payment(units, top_units, unit_price, rate_percent):
    """Many large members, few small ones: the cap keeps every lowest-band goods share at 0 or more."""
    members = [MemberUnits(1, top_units, TOP)] + [
        MemberUnits(index + 2, count, LOWEST) for index, count in enumerate(units)
    ]
    shares = cost_shares(members, unit_price, 0, Decimal(0), rate_percent)
    assert_fair(members, unit_price, 0, Decimal(0), rate_percent, shares)
    assert all(share.net_pence >= 0 for share in shares)


# Worked examples


def test_three_equal_members_share_a_delivery_charge_by_member_id():
    members = [MemberUnits(3, 1, MIDDLE), MemberUnits(1, 1, MIDDLE), MemberUnits(2, 1, MIDDLE)]
    shares = cost_shares(members, Decimal("1.00"), 100)
    assert [(s.member_id, s.goods_pence, s.delivery_pence, s.net_pence) for s in shares] == [
        (3, 100, 33, 133),
        (1, 100, 34, 134),
        (2, 100, 33, 133),
    ]


def test_a_fraction_of_a_penny_price_is_rounded_once_on_the_order():
    """3 x 33.33p = 99.99p is billed as 100p; the leftover penny goes to the lowest member id."""
    members = [MemberUnits(7, 1, MIDDLE), MemberUnits(5, 1, MIDDLE), MemberUnits(6, 1, MIDDLE)]
    shares = cost_shares(members, Decimal("0.3333"), 0)
    assert [s.goods_pence for s in shares] == [33, 34, 33]


def test_a_one_penny_order_goes_to_the_member_with_most_units():
    members = [MemberUnits(1, 1, MIDDLE), MemberUnits(2, 2, MIDDLE), MemberUnits(3, 0, MIDDLE)]
    shares = cost_shares(members, Decimal("0.0034"), 1)
    assert goods_total_pence(3, Decimal("0.0034")) == 1
    assert [(s.goods_pence, s.delivery_pence) for s in shares] == [(0, 0), (1, 1), (0, 0)]


def test_each_goods_share_stays_within_a_penny_where_splitting_the_total_by_units_would_not():
    """999, 2, 1 and 3 units at £4.0211 (402.11p): exact 401707.89, 804.22, 402.11 and 1206.33p.

    The rounded total is 404121p. Split by units it would give the big member 401709p, 1.11p
    over its own units x price; taking the leftover pence by each member's exact remainder gives
    401708p.
    """
    members = [
        MemberUnits(10, 999, MIDDLE),
        MemberUnits(11, 2, MIDDLE),
        MemberUnits(12, 1, MIDDLE),
        MemberUnits(13, 3, MIDDLE),
    ]
    shares = cost_shares(members, Decimal("4.0211"), 0)
    assert goods_total_pence(1005, Decimal("4.0211")) == 404121
    assert largest_remainder(404121, [999, 2, 1, 3])[0] == 401709
    assert [s.goods_pence for s in shares] == [401708, 804, 402, 1207]


def test_the_handling_fee_is_a_percentage_of_the_goods_total_rounded_half_up():
    assert handling_fee_total_pence(1003, Decimal("2.5")) == 25  # 25.075p
    assert handling_fee_total_pence(1020, Decimal("2.5")) == 26  # 25.5p
    assert handling_fee_total_pence(1003, Decimal(0)) == 0
    members = [MemberUnits(1, 3, MIDDLE), MemberUnits(2, 1, MIDDLE)]
    shares = cost_shares(members, Decimal("2.55"), 250, Decimal("2.5"))
    # Goods 1020p: 765p and 255p; fee 26p split 19.5 : 6.5 -> the larger weight takes the tie.
    assert [(s.goods_pence, s.delivery_pence, s.handling_fee_pence, s.net_pence) for s in shares] == [
        (765, 188, 20, 973),
        (255, 62, 6, 323),
    ]
    assert sum(s.net_pence for s in shares) == 1020 + 250 + 26


def test_solidarity_moves_the_top_bands_surcharge_to_the_lowest_band():
    members = [
        MemberUnits(1, 10, TOP),
        MemberUnits(2, 10, MIDDLE),
        MemberUnits(3, 6, LOWEST),
        MemberUnits(4, 4, LOWEST),
        MemberUnits(5, 0, LOWEST),
    ]
    shares = cost_shares(members, Decimal("10.00"), 0, solidarity_rate_percent=Decimal(5))
    assert [(s.goods_pence, s.solidarity_pence, s.net_pence) for s in shares] == [
        (10000, 500, 10500),
        (10000, 0, 10000),
        (6000, -300, 5700),
        (4000, -200, 3800),
        (0, 0, 0),
    ]


def test_solidarity_is_capped_at_the_lowest_bands_goods():
    """A 10% surcharge on £100 would be £10 back on £1 of goods: the pot is capped at that £1."""
    members = [MemberUnits(1, 100, TOP), MemberUnits(2, 1, LOWEST)]
    shares = cost_shares(members, Decimal("1.00"), 101, solidarity_rate_percent=Decimal(10))
    assert [(s.goods_pence, s.delivery_pence, s.solidarity_pence, s.net_pence) for s in shares] == [
        (10000, 100, 100, 10200),
        (100, 1, -100, 1),
    ]


def test_the_capped_pot_is_shared_among_the_top_band_by_their_surcharges():
    members = [MemberUnits(1, 30, TOP), MemberUnits(2, 10, TOP), MemberUnits(3, 1, LOWEST)]
    shares = cost_shares(members, Decimal("1.00"), 0, solidarity_rate_percent=Decimal(50))
    # Full surcharges 1500p and 500p; the pot is the lowest band's 100p of goods, split 3 : 1.
    assert [s.solidarity_pence for s in shares] == [75, 25, -100]


@pytest.mark.parametrize("bands", [(TOP, MIDDLE), (MIDDLE, LOWEST), (TOP, TOP), (LOWEST, LOWEST)])
def test_no_solidarity_without_both_a_top_and_a_lowest_band_member(bands):
    members = [MemberUnits(1, 5, bands[0]), MemberUnits(2, 5, bands[1])]
    shares = cost_shares(members, Decimal("3.00"), 0, solidarity_rate_percent=Decimal(20))
    assert [s.solidarity_pence for s in shares] == [0, 0]


def test_no_solidarity_when_the_lowest_band_member_received_nothing():
    members = [MemberUnits(1, 5, TOP), MemberUnits(2, 0, LOWEST)]
    shares = cost_shares(members, Decimal("3.00"), 40, solidarity_rate_percent=Decimal(20))
    assert [(s.solidarity_pence, s.net_pence) for s in shares] == [(0, 1540), (0, 0)]


def test_free_goods_share_the_delivery_charge_by_units():
    members = [MemberUnits(1, 1, MIDDLE), MemberUnits(2, 3, MIDDLE)]
    shares = cost_shares(members, Decimal(0), 100, Decimal(10))
    assert [(s.goods_pence, s.delivery_pence, s.handling_fee_pence) for s in shares] == [(0, 25, 0), (0, 75, 0)]


def test_an_order_of_ten_thousand_members_balances_to_the_penny():
    rng = random.Random(5)
    bands = list(TurnoverBand)
    members = [
        MemberUnits(member_id, rng.choice([0, 1, 2, 3, rng.randint(1, 5000)]), rng.choice(bands))
        for member_id in rng.sample(range(1, 10**6), 10_000)
    ]
    unit_price, delivery, fee, rate = Decimal("0.1234"), 987_654, Decimal("1.75"), Decimal("2.5")
    shares = cost_shares(members, unit_price, delivery, fee, rate)
    assert_fair(members, unit_price, delivery, fee, rate, shares)
    assert any(share.solidarity_pence > 0 for share in shares)
    assert any(share.solidarity_pence < 0 for share in shares)


def test_no_members_no_shares():
    assert cost_shares([], Decimal("1.00"), 0) == []


@pytest.mark.parametrize(
    "change",
    [
        {"members": [MemberUnits(1, -1, MIDDLE)]},
        {"members": [MemberUnits(1, 1, MIDDLE), MemberUnits(1, 2, LOWEST)]},
        {"members": [MemberUnits(1, 0, MIDDLE)]},  # a delivery charge nobody can carry
        {"members": []},
        {"unit_price": Decimal("-0.01")},
        {"unit_price": Decimal("NaN")},
        {"delivery_charge_pence": -1},
        {"handling_fee_percent": Decimal("-0.5")},
        {"handling_fee_percent": Decimal("100.01")},
        {"solidarity_rate_percent": Decimal(-1)},
        {"solidarity_rate_percent": Decimal(101)},
        {"solidarity_rate_percent": Decimal("Infinity")},
    ],
)
def test_bad_input_is_refused(change):
    arguments = {
        "members": [MemberUnits(1, 2, TOP), MemberUnits(2, 3, LOWEST)],
        "unit_price": Decimal("1.50"),
        "delivery_charge_pence": 100,
        "handling_fee_percent": Decimal(2),
        "solidarity_rate_percent": Decimal(5),
    }
    with pytest.raises(ValueError):
        cost_shares(**{**arguments, **change})


def test_the_limits_of_the_percentages_are_accepted():
    members = [MemberUnits(1, 2, TOP), MemberUnits(2, 3, LOWEST)]
    shares = cost_shares(members, Decimal("1.00"), 0, Decimal(100), Decimal(100))
    # Goods 200p and 300p; a 100% fee; the top band's 200p surcharge goes back to the lowest band.
    assert [(s.handling_fee_pence, s.solidarity_pence, s.net_pence) for s in shares] == [
        (200, 200, 600),
        (300, -200, 400),
    ]


def test_money_is_never_a_float():
    with pytest.raises(TypeError):
        cost_shares([MemberUnits(1, 1, MIDDLE)], 1.5, 0)
    with pytest.raises(TypeError):
        handling_fee_total_pence(100, 2.5)
    with pytest.raises(TypeError):
        cost_shares([MemberUnits(1, 1.0, MIDDLE)], Decimal(1), 0)
