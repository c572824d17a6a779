"""`run_in_date_order`: the demo's histories take their steps interleaved by day, whatever order they come in."""

from datetime import date

from hypothesis import given
from hypothesis import strategies as st

from kernel.demo import run_in_date_order

days = st.lists(st.dates(min_value=date(2025, 1, 1), max_value=date(2026, 12, 31)), max_size=8).map(sorted)


def _history(name: str, steps: list[date], taken: list[tuple[date, str]]):
    for day in steps:
        yield day
        taken.append((day, name))


@given(st.lists(days, max_size=4))
def test_every_step_is_taken_once_in_date_order_and_same_day_steps_in_the_order_given(histories):
    taken: list[tuple[date, str]] = []

    run_in_date_order(*(_history(str(n), steps, taken) for n, steps in enumerate(histories)))

    assert sorted(taken) == sorted((day, str(n)) for n, steps in enumerate(histories) for day in steps)
    assert taken == sorted(taken, key=lambda step: (step[0], int(step[1])))
