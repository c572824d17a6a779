"""Pack rounding at closing: whole packs, fair shares of the difference, reasons a member reads."""

from fractions import Fraction
from typing import NamedTuple

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from orders.packs import PackPlan, packs_for, plan_packs


class Demand(NamedTuple):
    key: int
    quantity: int
    flexible_extra: int
    rank: int  # 0 = the earliest pledge


@st.composite
def pledged_demands(draw, max_size=25):
    """Pledges with distinct keys and ranks; the list is not in rank order."""
    claims = draw(st.lists(st.tuples(st.integers(1, 40), st.integers(0, 15)), max_size=max_size))
    ranks = draw(st.permutations(range(len(claims))))
    return [
        Demand(key=1000 + index, quantity=quantity, flexible_extra=extra, rank=rank)
        for index, ((quantity, extra), rank) in enumerate(zip(claims, ranks, strict=True))
    ]


pack_sizes = st.integers(1, 30)


def demand(key, quantity, extra=0, rank=None):
    return Demand(key=key, quantity=quantity, flexible_extra=extra, rank=key if rank is None else rank)


class Allocated(NamedTuple):
    key: int
    pledged: int
    flexible_extra: int
    units: int
    reason: str


def allocate(demands, pack_size):
    """The packs for the demands, and each demand's units with the reason given."""
    plan = plan_packs(
        [d.quantity for d in demands], [d.flexible_extra for d in demands], pack_size, [d.rank for d in demands]
    )
    allocations = [
        Allocated(d.key, d.quantity, d.flexible_extra, units, plan.reason(d.quantity, units))
        for d, units in zip(demands, plan.allocated, strict=True)
    ]
    return plan, allocations


def units_by_key(allocations):
    return {allocation.key: allocation.units for allocation in allocations}


# How many packs


@given(quantity=st.integers(0, 10**6), flexible=st.integers(0, 10**6), pack_size=st.integers(1, 1000))
@example(quantity=7, flexible=2, pack_size=5)
@example(quantity=7, flexible=3, pack_size=5)
@example(quantity=0, flexible=10**6, pack_size=1)
@settings(max_examples=1000)
def test_packs_cover_the_pledges_when_the_extras_allow_and_never_more(quantity, flexible, pack_size):
    """The last part-pack is ordered only if the flexible extras fill it; no further pack is made."""
    packs = packs_for(quantity, flexible, pack_size)
    covering = -(-quantity // pack_size)
    assert packs == (covering if covering * pack_size <= quantity + flexible else quantity // pack_size)
    assert packs * pack_size <= quantity + flexible
    assert quantity // pack_size <= packs <= covering
    assert packs_for(0, flexible, pack_size) == 0


def test_packs_examples():
    assert packs_for(7, 2, 5) == 1  # 2 left over + 2 extras cannot fill a pack of 5
    assert packs_for(7, 3, 5) == 2  # 2 left over + 3 extras fill it
    assert packs_for(10, 20, 10) == 1  # extras never make a pack of their own
    assert packs_for(12, 20, 10) == 2
    assert packs_for(4, 0, 5) == 0
    assert packs_for(0, 0, 5) == 0
    assert packs_for(17, 0, 1) == 17


@pytest.mark.parametrize("quantity, flexible, pack_size", [(5, 0, 0), (5, 0, -1), (-1, 0, 5), (5, -1, 5)])
def test_packs_for_refuses_impossible_input(quantity, flexible, pack_size):
    with pytest.raises(ValueError):
        packs_for(quantity, flexible, pack_size)


# Who gets which units


@given(demands=pledged_demands(), pack_size=pack_sizes)
@settings(max_examples=1200)
def test_allocations_fill_whole_packs_within_each_pledge_and_its_extras(demands, pack_size):
    """Extras are shared in proportion to each one's extra, kept units in proportion to each pledge."""
    plan, allocations = allocate(demands, pack_size)
    pledged = sum(d.quantity for d in demands)
    flexible = sum(d.flexible_extra for d in demands)

    assert plan.pack_size == pack_size
    assert plan.packs == packs_for(pledged, flexible, pack_size)
    assert plan.units == plan.packs * pack_size
    assert sum(a.units for a in allocations) == plan.units
    assert [(a.key, a.pledged, a.flexible_extra) for a in allocations] == [
        (d.key, d.quantity, d.flexible_extra) for d in demands
    ]
    for allocation in allocations:
        assert 0 <= allocation.units <= allocation.pledged + allocation.flexible_extra
        if plan.units >= pledged:
            assert allocation.pledged <= allocation.units  # extras only add
            assert allocation.units - allocation.pledged <= allocation.flexible_extra  # the cap
        else:
            assert allocation.units <= allocation.pledged  # a shortfall only takes away
        if plan.units > pledged:
            exact = Fraction((plan.units - pledged) * allocation.flexible_extra, flexible)
            assert abs(allocation.units - allocation.pledged - exact) < 1
        elif plan.units < pledged:
            assert abs(allocation.units - Fraction(plan.units * allocation.pledged, pledged)) < 1
        assert (allocation.reason == "As pledged.") == (allocation.units == allocation.pledged)


@given(demands=pledged_demands(), pack_size=pack_sizes, data=st.data())
@settings(max_examples=500)
def test_the_order_demands_are_given_in_does_not_change_anyones_units(demands, pack_size, data):
    """Ties are decided by rank, never by where a pledge happens to sit in the list."""
    shuffled = data.draw(st.permutations(demands))
    assert units_by_key(allocate(shuffled, pack_size)[1]) == units_by_key(allocate(demands, pack_size)[1])


@given(demands=pledged_demands())
@settings(max_examples=300)
def test_packs_of_one_give_everyone_exactly_their_pledge(demands):
    plan, allocations = allocate(demands, 1)
    assert plan.units == plan.packs == sum(d.quantity for d in demands)
    assert [(a.units, a.reason) for a in allocations] == [(d.quantity, "As pledged.") for d in demands]


def test_leftover_units_without_enough_extras_are_taken_from_every_pledge():
    # Pack of 5; pledged 3 + 4 = 7, extras 2: 2 left over + 2 extras < 5, so one pack.
    # The 5 kept units by 3:4 are 2.14 and 2.86: floors 2 and 2, the spare unit to the larger remainder.
    plan, allocations = allocate([demand(1, 3, extra=2), demand(2, 4)], 5)
    assert (plan.pack_size, plan.packs, plan.units, allocations) == (
        5,
        1,
        5,
        [
            Allocated(
                key=1,
                pledged=3,
                flexible_extra=2,
                units=2,
                reason="1 unit less: the last pack of 5 could not be filled.",
            ),
            Allocated(
                key=2,
                pledged=4,
                flexible_extra=0,
                units=3,
                reason="1 unit less: the last pack of 5 could not be filled.",
            ),
        ],
    )


def test_flexible_extras_complete_the_last_pack():
    # Pack of 5; pledged 7, extras 3 fill the last pack: 10 units, all 3 extras from the one who offered them.
    plan, allocations = allocate([demand(1, 3, extra=3), demand(2, 4)], 5)
    assert (plan.packs, plan.units) == (2, 10)
    assert [(a.units, a.reason) for a in allocations] == [
        (6, "3 flexible units added to fill the last pack of 5."),
        (4, "As pledged."),
    ]


def test_extra_units_are_shared_in_proportion_to_the_extras_offered():
    # Pack of 10; pledged 17, extras 4 + 2: 3 extra units split 4:2 = 2 and 1.
    plan, allocations = allocate([demand(1, 7, extra=4), demand(2, 7, extra=2), demand(3, 3)], 10)
    assert (plan.packs, plan.units) == (2, 20)
    assert [(a.units, a.reason) for a in allocations] == [
        (9, "2 flexible units added to fill the last pack of 10."),
        (8, "1 flexible unit added to fill the last pack of 10."),
        (3, "As pledged."),
    ]


def test_a_shortfall_is_shared_in_proportion_to_the_pledges():
    # Pack of 10; pledged 6 + 6 + 3 = 15: one pack, the 5 short taken 2:2:1.
    _, allocations = allocate([demand(1, 6), demand(2, 6), demand(3, 3)], 10)
    assert [(a.units, a.reason) for a in allocations] == [
        (4, "2 units less: the last pack of 10 could not be filled."),
        (4, "2 units less: the last pack of 10 could not be filled."),
        (2, "1 unit less: the last pack of 10 could not be filled."),
    ]


def test_extras_never_make_a_pack_of_their_own():
    plan, allocations = allocate([demand(1, 10, extra=20)], 10)
    assert (plan.packs, plan.units, allocations[0].units) == (1, 10, 10)
    plan, allocations = allocate([demand(1, 12, extra=20)], 10)
    assert (plan.packs, plan.units, allocations[0].units) == (2, 20, 20)


def test_a_tied_extra_unit_goes_to_the_earliest_pledge():
    # Pack of 4; pledged 3, extras 1 + 1: one extra unit, tied 0.5 each; pledge 2 came first.
    _, allocations = allocate([demand(1, 1, extra=1, rank=1), demand(2, 2, extra=1, rank=0)], 4)
    assert [(a.key, a.units, a.reason) for a in allocations] == [
        (1, 1, "As pledged."),
        (2, 3, "1 flexible unit added to fill the last pack of 4."),
    ]


def test_with_a_tied_shortfall_the_earliest_pledge_loses_less():
    # Pack of 5; pledged 3 + 3: 5 kept units split 2.5 each; pledge 2 came first and keeps 3.
    _, allocations = allocate([demand(1, 3, rank=1), demand(2, 3, rank=0)], 5)
    assert [(a.key, a.units, a.reason) for a in allocations] == [
        (1, 2, "1 unit less: the last pack of 5 could not be filled."),
        (2, 3, "As pledged."),
    ]


def test_equal_ranks_fall_back_to_the_order_given():
    _, allocations = allocate([demand(7, 3, rank=0), demand(4, 3, rank=0)], 5)
    assert [a.units for a in allocations] == [3, 2]


def test_pledges_that_fill_no_pack_order_nothing():
    plan, allocations = allocate([demand(1, 2), demand(2, 3, extra=6)], 12)
    assert (plan.packs, plan.units) == (0, 0)
    assert [(a.units, a.reason) for a in allocations] == [
        (0, "None ordered: the pledges did not fill a pack of 12."),
        (0, "None ordered: the pledges did not fill a pack of 12."),
    ]


def test_no_pledges_no_packs():
    assert plan_packs([], [], 6) == PackPlan(pack_size=6, packs=0, units=0, allocated=[])


@pytest.mark.parametrize(
    "demands, pack_size",
    [
        ([demand(1, 3)], 0),
        ([], -2),
        ([demand(1, 0)], 5),
        ([demand(1, -3)], 5),
        ([demand(1, 3, extra=-1)], 5),
    ],
)
def test_impossible_demands_are_refused(demands, pack_size):
    with pytest.raises(ValueError):
        allocate(demands, pack_size)


def test_a_quantity_or_a_rank_for_each_extra():
    with pytest.raises(ValueError):
        plan_packs([3, 4], [0], 5)
    with pytest.raises(ValueError):
        plan_packs([3, 4], [0, 0], 5, [0])


def test_without_ranks_the_pledges_are_given_earliest_first():
    # Pack of 5; pledged 3 + 3: 5 kept units split 2.5 each, the tie to the first given.
    assert plan_packs([3, 3], [0, 0], 5).allocated == [3, 2]
