"""The pure split of a period's cost: exact to the penny, never negative, deterministic."""

from collections import Counter
from fractions import Fraction

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from shared_services import periods
from shared_services.split import Participant, split_by_weight, split_cost

participants = st.lists(st.integers(min_value=0, max_value=5_000), min_size=1, max_size=40).map(
    lambda weights: [Participant(member_id, weight) for member_id, weight in enumerate(weights, start=1)]
)
costs = st.integers(min_value=0, max_value=100_000_000)


@given(costs, participants)
def test_shares_sum_exactly_to_the_cost_and_none_is_negative(cost, people):
    shares = split_cost(cost, people)
    assert sum(s.pence for s in shares) == cost
    assert all(s.pence >= 0 for s in shares)
    assert [s.member_id for s in shares] == [p.member_id for p in people]


@given(costs, participants)
def test_each_share_is_within_a_penny_of_its_exact_share(cost, people):
    shares = split_cost(cost, people)
    total = sum(s.weight for s in shares)
    for share in shares:
        assert abs(share.pence - Fraction(cost * share.weight, total)) < 1


@given(costs, participants)
def test_the_split_is_deterministic_whatever_the_order(cost, people):
    first = {s.member_id: s.pence for s in split_cost(cost, people)}
    again = {s.member_id: s.pence for s in split_cost(cost, list(reversed(people)))}
    assert first == again == {s.member_id: s.pence for s in split_cost(cost, people)}


def test_an_equal_split_gives_the_leftover_pennies_to_the_lowest_member_ids():
    shares = split_cost(100, [Participant(3, 1), Participant(1, 1), Participant(2, 1)])
    assert {s.member_id: s.pence for s in shares} == {1: 34, 2: 33, 3: 33}


def test_all_zero_weights_split_equally_rather_than_leave_the_cost_unbilled():
    assert [s.pence for s in split_cost(10, [Participant(1, 0), Participant(2, 0)])] == [5, 5]


def test_bad_input_is_refused():
    with pytest.raises(ValueError):
        split_cost(100, [])
    with pytest.raises(ValueError):
        split_cost(-1, [Participant(1, 1)])
    with pytest.raises(ValueError):
        split_cost(100, [Participant(1, 1), Participant(1, 2)])
    with pytest.raises(TypeError):
        split_cost(1.5, [Participant(1, 1)])
    assert split_cost(0, []) == []


# Few weights among many participants, so that a split's leftover pennies often run out part-way through one.
crowd = st.lists(st.tuples(st.integers(0, 6), st.booleans()), min_size=1, max_size=60)


@given(st.one_of(st.integers(0, 300), costs), crowd, st.randoms(use_true_random=False))
@example(7, [(0, True), (0, False), (0, True)], None)
@example(100, [(1, True)] * 3 + [(1, False)] * 4, None)
@example(5, [(1, True), (3, True), (3, False), (3, True)], None)  # weights 1 and 3 tie on remainder 5 of 10
def test_the_closed_form_split_is_split_cost_to_the_penny(cost, people, rng):
    """What each participant pays, and what any of them (say one consortium's) pay together and how many
    pay anything, follow from counts by weight and places in the cut, exactly as split_cost shares it."""
    ids = rng.sample(range(1, 10_000), len(people)) if rng else list(range(len(people), 0, -1))
    participants = [Participant(member_id, weight) for member_id, (weight, _) in zip(ids, people, strict=True)]
    shares = {s.member_id: s.pence for s in split_cost(cost, participants)}
    split = split_by_weight(cost, Counter(p.weight for p in participants))
    for p in participants:
        before = sum(1 for q in participants if q.weight == p.weight and q.member_id < p.member_id)
        assert split.pence(p.weight, before) == shares[p.member_id]
    cut = sorted(p.member_id for p in participants if p.weight == split.cut)[: split.cut_count]
    ours = [p for p, (_, mine) in zip(participants, people, strict=True) if mine]
    served = sum(1 for p in ours if p.member_id in cut)
    assert split.total(Counter(p.weight for p in ours), served) == sum(shares[p.member_id] for p in ours)
    assert split.paying(Counter(p.weight for p in ours), served) == sum(1 for p in ours if shares[p.member_id])
    assert split.total(Counter(p.weight for p in participants), split.cut_count) == cost


def test_the_closed_form_split_refuses_what_split_cost_refuses():
    with pytest.raises(ValueError):
        split_by_weight(100, {})
    with pytest.raises(ValueError):
        split_by_weight(-1, {1: 1})
    with pytest.raises(ValueError):
        split_by_weight(100, {-1: 2})
    with pytest.raises(ValueError):
        split_by_weight(100, {1: 0})
    with pytest.raises(TypeError):
        split_by_weight(1.5, {1: 1})
    assert split_by_weight(0, {}).total({}, 0) == 0


def test_periods_run_month_by_month_or_quarter_by_quarter():
    from datetime import date

    start = date(2026, 11, 1)
    assert periods.period_start(start, 1, 3) == date(2027, 1, 1)
    assert periods.period_end(start, 3, 1) == date(2027, 1, 31)
    assert periods.period_at(start, 1, date(2026, 10, 31)) == 0
    assert periods.period_at(start, 3, date(2027, 2, 1)) == 2
    assert periods.label(start, 3, 1) == "Nov 2026–Jan 2027"
    assert periods.label(start, 1, 2) == "Dec 2026"
    assert periods.parse_month("2027-02") == date(2027, 2, 1)
    with pytest.raises(ValueError):
        periods.parse_month("2027-2")
