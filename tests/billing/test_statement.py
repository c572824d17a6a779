"""A member's statement: the balance after every entry, opening and closing balances for a period, PDF and CSV."""

import csv
import io
from datetime import UTC, date, datetime

import pytest

from billing import services
from billing.payments import record_payment, record_refund
from kernel.extensions import db
from tests.billing.conftest import issued_invoice
from tests.billing.test_pdf import text_of
from tests.factories import api_token, field_error, sign_in


@pytest.fixture
def history(frozen_clock, world):
    """Jan: invoice £120 and paid £150 (£30 over). Feb: invoice £60, £30 refunded. Mar: invoice £240, a credit note."""
    frozen_clock.set(datetime(2026, 4, 20, 12, 0, tzinfo=UTC))
    january = issued_invoice(world.member, issue_date=date(2026, 1, 10))
    record_payment(world.secretary, january, 15_000, date(2026, 1, 25), "BACS JAN")
    february = issued_invoice(world.member, 5_000, 1_000, issue_date=date(2026, 2, 3))
    record_refund(world.secretary, january, 3_000, date(2026, 2, 14), "Excess returned")
    march = issued_invoice(world.member, 20_000, 4_000, issue_date=date(2026, 3, 2))
    services.issue_credit_note(world.secretary, march, services.full_credit(march), "Returned", date(2026, 3, 9))
    db.session.commit()
    return january, february, march


def test_every_entry_carries_the_balance_after_it(world, history):
    found = services.statement(world.member)
    assert [(e.on, e.kind, e.amount_pence, e.balance_pence) for e in found.entries] == [
        (date(2026, 1, 10), "invoice", 12_000, 12_000),
        (date(2026, 1, 25), "payment", -15_000, -3_000),
        (date(2026, 2, 3), "invoice", 6_000, 3_000),
        (date(2026, 2, 14), "refund", 3_000, 6_000),
        (date(2026, 3, 2), "invoice", 24_000, 30_000),
        (date(2026, 3, 9), "credit note", -24_000, 6_000),
    ]
    assert (found.opening_balance_pence, found.closing_balance_pence) == (0, 6_000)


def test_a_period_opens_with_what_came_before_and_closes_with_what_is_in_it(client, world, history):
    body = client.get(
        "/api/v1/statement?from_date=2026-02-01&to_date=2026-03-05", headers=api_token(world.member_user)
    ).json
    assert (body["from_date"], body["to_date"]) == ("2026-02-01", "2026-03-05")
    assert body["opening_balance_pence"] == -3_000
    assert [(e["kind"], e["balance_pence"]) for e in body["entries"]] == [
        ("invoice", 3_000),
        ("refund", 6_000),
        ("invoice", 30_000),
    ]
    assert body["closing_balance_pence"] == body["balance_pence"] == 30_000
    assert body["due_pence"] == 6_000  # what is due today does not depend on the period

    sign_in(client, world.member_user)
    page = client.get("/statement?from_date=2026-02-01&to_date=2026-03-05").get_data(as_text=True)
    assert "Opening balance on 1 Feb 2026" in page and "-£30.00" in page
    assert "Closing balance on 5 Mar 2026" in page and "£300.00" in page
    assert "Credit for" not in page  # the credit note of 9 Mar is after the period


def test_a_period_that_ends_before_it_starts_is_a_field_error(client, world, history):
    response = client.get(
        "/api/v1/statement?from_date=2026-03-01&to_date=2026-02-01", headers=api_token(world.member_user)
    )
    assert response.status_code == 422
    assert response.json["error"]["fields"] == {"to_date": ["The end of the period cannot be before its start."]}

    sign_in(client, world.member_user)
    page = client.get("/statement?from_date=2026-03-01&to_date=2026-02-01")
    assert page.status_code == 422
    assert field_error(page, "to_date") == "The end of the period cannot be before its start."
    not_a_date = client.get("/statement?from_date=31/02/2026")
    assert not_a_date.status_code == 422 and field_error(not_a_date, "from_date") == "Not a valid date value."
    assert client.get("/statement.csv?from_date=2026-03-01&to_date=2026-02-01").status_code == 422


def test_the_statement_downloads_as_csv_with_the_running_balance(client, world, history):
    sign_in(client, world.member_user)
    response = client.get(f"/statement.csv?member_id={world.member.id}&from_date=2026-02-01&to_date=2026-03-05")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0] == ["Date", "What", "Number", "Details", "Amount (GBP)", "Balance (GBP)"]
    assert rows[1] == ["2026-02-01", "opening balance", "", "", "", "-30.00"]
    assert [(r[1], r[4], r[5]) for r in rows[2:-1]] == [
        ("invoice", "60.00", "30.00"),
        ("refund", "30.00", "60.00"),
        ("invoice", "240.00", "300.00"),
    ]
    assert rows[-1] == ["2026-03-05", "closing balance", "", "", "", "300.00"]


def test_the_statement_downloads_as_a_pdf(client, world, history):
    sign_in(client, world.member_user)
    response = client.get("/statement.pdf?from_date=2026-02-01&to_date=2026-03-05")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text = text_of(response.data)
    assert "STATEMENT" in text and world.member.name in text
    assert "From 1 Feb 2026 to 5 Mar 2026" in text
    assert "Opening balance -£30.00" in text and "Closing balance £300.00" in text
    assert "Excess returned £30.00 £60.00" in text


def test_the_statement_page_is_paged_with_its_balance_carried_and_the_downloads_whole(
    client, world, history, monkeypatch
):
    monkeypatch.setattr("billing.views.STATEMENT_LINES_PER_PAGE", 2)
    sign_in(client, world.member_user)

    opened = client.get("/statement").get_data(as_text=True)
    assert "Page 3 of 3" in opened and "Credit for" in opened, "the statement opens at its latest lines"
    first = client.get("/statement?page=1").get_data(as_text=True)
    assert "BACS JAN" in first and "Excess returned" not in first
    assert "Carried forward to page 2" in first and 'colspan="4">Closing balance' not in first
    second = client.get("/statement?page=2").get_data(as_text=True)
    assert "Brought forward from page 1" in second and "-£30.00" in second
    assert "Excess returned" in second and "BACS JAN" not in second
    assert "Carried forward to page 3" in second and "£60.00" in second
    last = client.get("/statement?page=3").get_data(as_text=True)
    assert "Brought forward from page 2" in last and "Credit for" in last
    assert 'colspan="4">Closing balance' in last and "Page 3 of 3" in last

    rows = list(csv.reader(io.StringIO(client.get("/statement.csv").get_data(as_text=True))))
    assert sum(1 for row in rows if row and row[0][:4] == "2026") == 6, "the download keeps every line"
