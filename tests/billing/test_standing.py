"""Where an invoice stands (billing.standing): overdue from the day after its due date, aged debt to the penny."""

from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from billing.standing import BANDS, aged_debt, band, held_as_credit, standing

DUE = date(2025, 12, 12)


def test_an_unpaid_invoice_is_overdue_from_the_day_after_its_due_date():
    assert standing("issued", DUE, DUE).state == "issued"
    day_after = standing("issued", DUE, DUE + timedelta(days=1))
    assert (day_after.state, day_after.days_overdue, day_after.label) == ("overdue", 1, "overdue 1 day")
    part_paid = standing("part_paid", DUE, date(2026, 1, 1))
    assert (part_paid.state, part_paid.days_overdue, part_paid.label) == ("overdue", 20, "overdue 20 days")


def test_paid_and_credited_invoices_are_never_overdue():
    for status in ("paid", "credited"):
        late = standing(status, DUE, DUE + timedelta(days=400))
        assert (late.state, late.days_overdue) == (status, 0)
    assert standing("part_paid", DUE, DUE).label == "part paid"


def test_the_bands_start_after_the_due_date_and_run_thirty_days_each():
    assert [band(days) for days in (-5, 0, 1, 30, 31, 60, 61, 90, 91, 5000)] == [0, 0, 1, 1, 2, 2, 3, 3, 4, 4]
    assert BANDS == ("current", "1-30 days", "31-60 days", "61-90 days", "over 90 days")


def test_only_what_was_paid_beyond_the_total_is_held_as_credit():
    assert held_as_credit(12_000, 15_000, 0) == 3_000
    assert held_as_credit(12_000, 10_000, 4_000) == 2_000
    assert held_as_credit(12_000, 12_000, 0) == 0
    assert held_as_credit(12_000, 5_000, 0) == 0


debts = st.lists(
    st.tuples(
        st.integers(min_value=1, max_value=6),
        st.dates(min_value=date(2024, 1, 1), max_value=date(2027, 12, 31)),
        st.integers(min_value=-10_000, max_value=10**9),
    ),
    max_size=60,
)


@given(debts, st.dates(min_value=date(2025, 1, 1), max_value=date(2027, 1, 1)))
def test_the_totals_are_the_sum_of_the_rows_to_the_penny(items, today):
    report = aged_debt(items, today)
    owed = [(key, due, pence) for key, due, pence in items if pence > 0]

    assert report.total_pence == sum(pence for _, _, pence in owed)
    assert report.total_pence == sum(row.total_pence for row in report.rows)
    for i in range(len(BANDS)):
        assert report.totals.bands[i] == sum(row.bands[i] for row in report.rows)
        assert report.totals.bands[i] == sum(pence for _, due, pence in owed if band((today - due).days) == i)
    for row in report.rows:
        assert row.total_pence == sum(pence for key, _, pence in owed if key == row.key)
    assert sorted(row.key for row in report.rows) == sorted({key for key, _, _ in owed})
