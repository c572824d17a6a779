"""The pure rules: a consortium's coverage and gaps by category, and the social-enterprise share."""

from hypothesis import given
from hypothesis import strategies as st

from directory.levels import Coverage, Held, SkillLevel, Wanted, coverage, share_percent

LEVEL = st.sampled_from(list(SkillLevel))


def test_a_category_with_nobody_and_one_below_the_wanted_level_are_gaps():
    wanted = [
        Wanted(1, "Bookkeeping", SkillLevel.SKILLED),
        Wanted(2, "Design", SkillLevel.WORKING),
        Wanted(3, "HR", SkillLevel.BASIC),
    ]
    held = [
        Held(1, SkillLevel.WORKING, 4),
        Held(1, SkillLevel.BASIC, 2),
        Held(2, SkillLevel.EXPERT, 10),
        Held(9, SkillLevel.EXPERT, 5),  # a category no longer on the list
    ]
    found = {c.name: c for c in coverage(wanted, held)}
    assert list(found) == ["Bookkeeping", "Design", "HR"]
    assert found["Bookkeeping"] == Coverage(1, "Bookkeeping", SkillLevel.SKILLED, 2, SkillLevel.WORKING, 6)
    assert found["Bookkeeping"].gap == "below the wanted level"
    assert found["Design"].gap is None and found["Design"].spare_hours == 10
    assert found["HR"].gap == "nobody" and found["HR"].people == 0


@given(wanted_level=LEVEL, held=st.lists(st.tuples(LEVEL, st.integers(0, 744)), max_size=12))
def test_a_category_is_a_gap_exactly_when_nobody_reaches_the_wanted_level(wanted_level, held):
    [found] = coverage([Wanted(1, "X", wanted_level)], [Held(1, level, hours) for level, hours in held])
    reached = any(level.rank >= wanted_level.rank for level, _ in held)
    assert (found.gap is None) == reached
    assert found.people == len(held)
    assert found.spare_hours == sum(hours for _, hours in held)


@given(whole=st.integers(1, 10**12), data=st.data())
def test_the_share_is_the_percentage_rounded_half_up(whole, data):
    part = data.draw(st.integers(0, whole))
    share = share_percent(part, whole)
    assert share is not None and 0 <= share <= 100
    # half-up: the exact share lies in [share - 0.5, share + 0.5)
    assert (2 * share - 1) * whole <= 200 * part < (2 * share + 1) * whole


def test_no_spend_has_no_share():
    assert share_percent(0, 0) is None
    assert share_percent(1, 2) == 50
    assert share_percent(1, 200) == 1  # 0.5% rounds up
    assert share_percent(1, 201) == 0
