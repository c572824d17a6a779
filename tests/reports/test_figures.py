"""The reports' pure arithmetic: percentages half-up without floats, totals that add up, months without gaps."""

from decimal import Decimal
from fractions import Fraction

from hypothesis import given
from hypothesis import strategies as st

from reports.figures import Figures, month_range, monthly, percent, rollup, total

pence = st.integers(min_value=0, max_value=10**12)
figures = st.builds(Figures, st.integers(0, 10**6), st.integers(0, 10**9), pence, pence, pence)


def test_percent_examples():
    assert percent(1, 3) == Decimal("33.3")
    assert percent(2, 3) == Decimal("66.7")
    assert percent(1, 8) == Decimal("12.5")
    assert percent(1, 16) == Decimal("6.3")  # 6.25 rounds half-up
    assert percent(-1, 16) == Decimal("-6.3")
    assert percent(5, 5) == Decimal("100.0")
    assert percent(0, 5) == Decimal("0.0")
    assert percent(5, 0) is None


@given(st.integers(-(10**12), 10**12), st.integers(1, 10**12))
def test_percent_is_the_exact_ratio_rounded_half_up_to_one_place(part, whole):
    result = percent(part, whole)
    assert isinstance(result, Decimal) and result.as_tuple().exponent == -1
    exact = Fraction(part * 100, whole)
    assert abs(Fraction(result) - exact) <= Fraction(1, 20)
    if abs(Fraction(result) - exact) == Fraction(1, 20):
        assert abs(Fraction(result)) > abs(exact)  # halves go away from zero


def test_saving_and_shares_of_one_group():
    f = Figures(invoices=3, units=125, list_value_pence=52_500, spend_pence=48_125, buy_social_pence=12_031)
    assert f.saving_pence == 4_375
    assert f.saving_percent == Decimal("8.3")
    assert f.buy_social_percent == Decimal("25.0")
    dearer = Figures(list_value_pence=1_000, spend_pence=1_100)
    assert dearer.saving_pence == -100 and dearer.saving_percent == Decimal("-10.0")
    assert Figures().saving_percent is None and Figures().buy_social_percent is None


@given(st.lists(st.tuples(st.sampled_from("abc"), figures), max_size=20))
def test_rollups_keep_every_penny(items):
    grouped = rollup(items, key=lambda item: item[0], figures=lambda item: item[1])
    overall = total(f for _, f in items)
    assert total(grouped.values()) == overall
    assert overall.saving_pence == overall.list_value_pence - overall.spend_pence
    assert sum(g.saving_pence for g in grouped.values()) == overall.saving_pence


def test_month_range_crosses_the_year_and_monthly_fills_quiet_months():
    assert month_range("2025-11", "2026-02") == ["2025-11", "2025-12", "2026-01", "2026-02"]
    assert month_range("2026-03", "2026-03") == ["2026-03"]
    assert monthly({"2026-03": 5, "2025-12": 1}, 0) == [("2025-12", 1), ("2026-01", 0), ("2026-02", 0), ("2026-03", 5)]
    assert monthly({}, 0) == []


@given(
    st.dictionaries(
        st.tuples(st.integers(2000, 2030), st.integers(1, 12)).map(lambda ym: f"{ym[0]}-{ym[1]:02d}"),
        st.integers(0, 100),
        max_size=12,
    )
)
def test_monthly_is_every_month_between_in_order_with_nothing_lost(by_month):
    series = monthly(by_month, 0)
    months = [m for m, _ in series]
    assert months == sorted(set(months))
    assert {m: v for m, v in series if m in by_month} == by_month
    assert sum(v for _, v in series) == sum(by_month.values())
