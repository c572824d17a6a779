"""Overdue is what an unpaid invoice shows after its due date, on every page and in the API, and lists filter by it."""

from datetime import UTC, date, datetime

import pytest

from billing.payments import record_payment
from kernel.extensions import db
from tests.billing.conftest import issued_invoice
from tests.factories import api_token, field_error, sign_in

# The fixture's invoice is issued 2 Mar 2026 and due 1 Apr 2026 (£120.00).
TWELVE_DAYS_LATE = datetime(2026, 4, 13, 9, 0, tzinfo=UTC)


@pytest.fixture
def late(frozen_clock, world, invoice):
    """Our member's invoice twelve days past its due date, and one of its invoices not yet due."""
    frozen_clock.set(TWELVE_DAYS_LATE)
    not_yet_due = issued_invoice(world.member, issue_date=date(2026, 4, 10))
    return invoice, not_yet_due


def _row(page: str, number: str) -> str:
    return page[page.index(f">{number}</a>") :].split("</tr>")[0]


def test_the_member_sees_the_invoice_overdue_with_its_days_on_the_list_and_the_page(client, world, late):
    overdue, not_yet_due = late
    sign_in(client, world.member_user)

    listing = client.get("/invoices/").get_data(as_text=True)
    assert '<span class="tag badge rounded-pill tag-danger">overdue 12 days</span>' in _row(listing, overdue.number)
    assert '<span class="tag badge rounded-pill tag-warning">issued</span>' in _row(listing, not_yet_due.number)

    page = client.get(f"/invoices/{overdue.id}").get_data(as_text=True)
    assert "overdue 12 days" in page and "£120.00 is 12 days overdue" in page


def test_the_secretary_sees_overdue_invoices_on_the_billing_page_and_filters_them(client, world, late):
    overdue, not_yet_due = late
    sign_in(client, world.secretary)

    unpaid = client.get(f"/billing/{world.consortium.id}").get_data(as_text=True)
    assert "overdue 12 days" in _row(unpaid, overdue.number) and not_yet_due.number in unpaid
    only_overdue = client.get(f"/billing/{world.consortium.id}?status=overdue").get_data(as_text=True)
    assert overdue.number in only_overdue and not_yet_due.number not in only_overdue
    assert "1 overdue invoice, the earliest due first" in only_overdue


def test_the_api_says_overdue_and_how_many_days(client, world, late):
    overdue, not_yet_due = late
    headers = api_token(world.member_user)

    body = client.get(f"/api/v1/invoices/{overdue.id}", headers=headers).json
    assert (body["status"], body["state"], body["days_overdue"]) == ("issued", "overdue", 12)
    listed = {
        i["number"]: (i["state"], i["days_overdue"])
        for i in client.get("/api/v1/invoices", headers=headers).json["items"]
    }
    assert listed == {overdue.number: ("overdue", 12), not_yet_due.number: ("issued", 0)}


def test_lists_filter_unpaid_and_overdue_alike_on_pages_and_in_the_api(client, world, late):
    overdue, not_yet_due = late
    paid = issued_invoice(world.member, issue_date=date(2026, 1, 5))
    record_payment(world.secretary, paid, paid.total_pence, date(2026, 1, 20), "BACS")
    db.session.commit()
    headers = api_token(world.member_user)
    sign_in(client, world.member_user)

    def api(status):
        return {i["number"] for i in client.get(f"/api/v1/invoices?status={status}", headers=headers).json["items"]}

    def page(status):
        text = client.get(f"/invoices/?status={status}").get_data(as_text=True)
        return {n for n in (overdue.number, not_yet_due.number, paid.number) if f">{n}</a>" in text}

    expected = {
        "overdue": {overdue.number},
        "unpaid": {overdue.number, not_yet_due.number},
        "issued": {not_yet_due.number},
        "paid": {paid.number},
    }
    for status, numbers in expected.items():
        assert api(status) == numbers == page(status), status


def test_a_status_we_do_not_know_is_a_field_error(client, world, late):
    response = client.get("/api/v1/invoices?status=late", headers=api_token(world.member_user))
    assert response.status_code == 422 and "status" in response.json["error"]["fields"]

    sign_in(client, world.secretary)
    for url in ("/invoices/?status=late", f"/billing/{world.consortium.id}?status=late"):
        page = client.get(url)
        assert page.status_code == 422 and field_error(page, "status") == "Not a valid choice.", url


def test_paying_in_full_ends_the_overdue_state(client, world, late):
    overdue, _ = late
    record_payment(world.secretary, overdue, overdue.total_pence, date(2026, 4, 12), "BACS late")
    db.session.commit()
    body = client.get(f"/api/v1/invoices/{overdue.id}", headers=api_token(world.member_user)).json
    assert (body["state"], body["days_overdue"]) == ("paid", 0)
