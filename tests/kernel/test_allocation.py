"""Largest-remainder allocation, checked against exact fractions and a plain reference."""

import math
import random
from fractions import Fraction

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from kernel.allocation import largest_remainder, largest_remainders

weight_lists = st.lists(st.integers(0, 10**9), min_size=1, max_size=60).filter(any)
totals = st.integers(0, 10**12)


def exact_shares(total, weights):
    return [Fraction(total * weight, sum(weights)) for weight in weights]


def reference(total, weights, preference):
    """The method as a person would do it by hand: floors, then one unit per remainder in order."""
    exact = exact_shares(total, weights)
    shares = [math.floor(share) for share in exact]
    order = sorted(range(len(weights)), key=lambda i: (-(exact[i] - shares[i]), preference[i], i))
    for index in order[: total - sum(shares)]:
        shares[index] += 1
    return shares


def assert_fair(total, weights, shares):
    assert sum(shares) == total
    assert len(shares) == len(weights)
    for share, exact, weight in zip(shares, exact_shares(total, weights), weights, strict=True):
        assert share >= 0
        assert abs(share - exact) < 1
        assert math.floor(exact) <= share <= math.floor(exact) + 1
        if weight == 0:
            assert share == 0


@given(total=totals, weights=weight_lists)
@example(total=1, weights=[1])
@example(total=1, weights=[1, 1, 1])
@example(total=1, weights=[0, 5, 0])
@example(total=10**12, weights=[10**9, 1, 0])
@settings(max_examples=1200)
def test_shares_sum_to_the_total_and_stay_within_a_penny_of_exact(total, weights):
    assert_fair(total, weights, largest_remainder(total, weights))


@given(weights=weight_lists)
@settings(max_examples=500)
def test_a_single_penny_goes_to_the_largest_weight_then_the_first(weights):
    shares = largest_remainder(1, weights)
    assert shares.count(1) == 1 and sum(shares) == 1
    assert shares.index(1) == weights.index(max(weights))


@given(total=totals, weights=weight_lists, data=st.data())
@settings(max_examples=800)
def test_leftover_units_follow_remainders_then_the_preference_key(total, weights, data):
    member_ids = data.draw(st.permutations(range(len(weights))))
    preference = [(-weight, member_id) for weight, member_id in zip(weights, member_ids, strict=True)]
    assert largest_remainder(total, weights, preference) == reference(total, weights, preference)
    default = [(-weight, index) for index, weight in enumerate(weights)]
    assert largest_remainder(total, weights) == reference(total, weights, default)


@given(total=st.integers(0, 10**6), weights=st.lists(st.integers(1, 5), min_size=1, max_size=20), data=st.data())
@settings(max_examples=500)
def test_rank_preference_gives_tied_units_to_the_lowest_rank(total, weights, data):
    """Small weights make equal remainders common, so ties are really exercised."""
    ranks = data.draw(st.permutations(range(len(weights))))
    assert largest_remainder(total, weights, ranks) == reference(total, weights, ranks)


@given(items=st.lists(st.tuples(st.integers(0, 4), st.integers(0, 3)), max_size=80), count=st.integers(-1, 90))
@example(items=[], count=1)
@example(items=[(0, 0), (2, 1), (2, 0), (1, 0)], count=2)
@settings(max_examples=800)
def test_the_largest_remainders_are_the_head_of_a_full_ranking(items, count):
    """(remainder, preference key) pairs with few distinct values, so the cut usually falls inside a tie."""
    remainders = [remainder for remainder, _ in items]
    preference = [key for _, key in items]
    ranked = sorted((i for i, r in enumerate(remainders) if r), key=lambda i: (-remainders[i], preference[i], i))
    assert sorted(largest_remainders(remainders, count, preference)) == sorted(ranked[: max(count, 0)])


@given(total=totals, weights=weight_lists, factor=st.integers(1, 10**6))
@settings(max_examples=500)
def test_scaling_every_weight_changes_nothing(total, weights, factor):
    assert largest_remainder(total, [weight * factor for weight in weights]) == largest_remainder(total, weights)


@given(weights=weight_lists, times=st.integers(0, 10**6))
@settings(max_examples=500)
def test_a_total_that_divides_exactly_leaves_nothing_to_round(weights, times):
    total = times * sum(weights)
    assert largest_remainder(total, weights) == [times * weight for weight in weights]


def test_worked_examples():
    # 100p in thirds: exact 33.33 each; the spare penny goes to the first of equal weights.
    assert largest_remainder(100, [1, 1, 1]) == [34, 33, 33]
    # 10p by 1:2:3 = 1.67, 3.33, 5: remainders 2/3 > 1/3, so the first takes the spare penny.
    assert largest_remainder(10, [1, 2, 3]) == [2, 3, 5]
    # A larger remainder wins over a larger weight: 7 by 1:3 = 1.75, 5.25.
    assert largest_remainder(7, [1, 3]) == [2, 5]
    # Equal remainders go to the larger weight first: 2 by 1:3 = 0.5, 1.5.
    assert largest_remainder(2, [1, 3]) == [0, 2]
    # ...and between equal weights to the lower index: 2 by 1:1:2 = 0.5, 0.5, 1.
    assert largest_remainder(2, [1, 1, 2]) == [1, 0, 1]
    assert largest_remainder(3, [2, 1, 1, 2]) == [1, 1, 0, 1]
    # Scaling every weight keeps the split.
    assert largest_remainder(100, [2, 2, 2]) == largest_remainder(100, [1000, 1000, 1000]) == [34, 33, 33]
    assert largest_remainder(0, [3, 4]) == [0, 0]
    assert largest_remainder(5, [0, 2, 0]) == [0, 5, 0]
    assert largest_remainder(0, [0, 0]) == [0, 0]
    assert largest_remainder(0, []) == []


def test_the_preference_key_decides_only_between_equal_remainders():
    # Billing: larger weight first, then member id.
    assert largest_remainder(1, [1, 1], preference=[(-1, 9), (-1, 4)]) == [0, 1]
    assert largest_remainder(3, [2, 1, 1, 2], preference=[(-2, 8), (-1, 7), (-1, 3), (-2, 5)]) == [1, 0, 1, 1]
    # Packs: rank 0 is the earliest pledge.
    assert largest_remainder(2, [1, 1, 1], preference=[2, 0, 1]) == [0, 1, 1]
    # A larger remainder wins whatever its preference key: 4 by 1:2 = 1.33, 2.67.
    assert largest_remainder(4, [1, 2], preference=[0, 1]) == [1, 3]
    assert largest_remainder(4, [2, 1], preference=[1, 0]) == [3, 1]


@pytest.mark.parametrize(
    "total, weights, preference",
    [
        (1, [0, 0], None),
        (1, [], None),
        (-1, [1, 2], None),
        (5, [1, -1, 3], None),
        (5, [1, 2], [0]),
    ],
)
def test_impossible_or_negative_input_is_refused(total, weights, preference):
    with pytest.raises(ValueError):
        largest_remainder(total, weights, preference)


@pytest.mark.parametrize("total, weights", [(1.0, [1]), (1, [0.5, 0.5])])
def test_anything_but_whole_numbers_is_refused(total, weights):
    with pytest.raises(TypeError):
        largest_remainder(total, weights)


@given(
    seed=st.integers(0, 2**32),
    total=st.integers(0, 10**13),
    members=st.integers(9_000, 10_000),
    zero_share=st.sampled_from([0.0, 0.1, 0.9]),
)
@settings(max_examples=15, deadline=None)
@example(seed=1, total=1, members=10_000, zero_share=0.5)
def test_ten_thousand_members_still_sum_exactly(seed, total, members, zero_share):
    rng = random.Random(seed)
    weights = [0 if rng.random() < zero_share else rng.randrange(1, 10**7) for _ in range(members)]
    weights[rng.randrange(members)] = rng.randrange(1, 10**7)
    shares = largest_remainder(total, weights)
    assert sum(shares) == total
    weight_sum = sum(weights)
    for share, weight in zip(shares, weights, strict=True):
        floor, remainder = divmod(total * weight, weight_sum)
        assert share == floor or (remainder and share == floor + 1)
