"""Finance reports for whoever manages a consortium's billing: payments received by period and aged debt."""

import csv
import io
from datetime import UTC, date, datetime

import pytest

from billing import services
from billing import views as billing_views
from billing.payments import record_payment, record_refund
from kernel.extensions import db
from tests import factories
from tests.billing.conftest import issued_invoice
from tests.factories import api_token, field_error, sign_in

TODAY = datetime(2026, 6, 30, 12, 0, tzinfo=UTC)


def _csv(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))


@pytest.fixture
def ledger(frozen_clock, world):
    """Our consortium: two members' invoices of every age and money in and out in May and June."""
    frozen_clock.set(TODAY)
    neighbour = factories.member(world.network, "Abbey Bikes CIC")
    db.session.commit()
    # Due 30 days after issue: due 31 May (30 days late), 1 Apr (90 days), 31 Mar (91 days), 20 Jul (current).
    thirty = issued_invoice(world.member, issue_date=date(2026, 5, 1))
    ninety = issued_invoice(world.member, 5_000, 1_000, issue_date=date(2026, 3, 2))
    issued_invoice(neighbour, 10_001, 2_000, issue_date=date(2026, 3, 1))
    issued_invoice(neighbour, 700, 140, issue_date=date(2026, 6, 20))
    record_payment(world.secretary, ninety, 2_500, date(2026, 5, 31), "BACS MAY")
    record_payment(world.secretary, thirty, 4_000, date(2026, 6, 1), "BACS JUNE")
    paid = issued_invoice(neighbour, issue_date=date(2026, 5, 2))
    record_payment(world.secretary, paid, 15_000, date(2026, 6, 15), "BACS OVER")
    record_refund(world.secretary, paid, 3_000, date(2026, 6, 16), "Excess returned")
    theirs = issued_invoice(world.other_member, issue_date=date(2026, 3, 1))
    record_payment(world.admin, theirs, 1_000, date(2026, 6, 10), "THEIRS")
    db.session.commit()
    return neighbour, paid


def test_payments_received_in_a_period_with_refunds_and_the_total(client, world, ledger):
    headers = api_token(world.secretary)
    body = client.get(
        f"/api/v1/consortia/{world.consortium.id}/payments-received?from_date=2026-06-01&to_date=2026-06-30",
        headers=headers,
    ).json
    assert [(p["received_on"], p["reference"], p["amount_pence"]) for p in body["items"]] == [
        ("2026-06-01", "BACS JUNE", 4_000),
        ("2026-06-15", "BACS OVER", 15_000),
        ("2026-06-16", "Excess returned", -3_000),
    ]
    assert body["total"] == 3 and body["total_pence"] == 16_000 == sum(p["amount_pence"] for p in body["items"])
    assert body["items"][1]["member_name"] == "Abbey Bikes CIC"

    page_two = client.get(
        f"/api/v1/consortia/{world.consortium.id}/payments-received?from_date=2026-05-01&per_page=2&page=2",
        headers=headers,
    ).json
    assert [p["reference"] for p in page_two["items"]] == ["BACS OVER", "Excess returned"]
    assert (page_two["total"], page_two["total_pence"], page_two["to_date"]) == (4, 18_500, "2026-06-30")


def test_payments_received_default_to_this_month_on_the_page_and_in_the_csv(client, world, ledger):
    sign_in(client, world.secretary)
    page = client.get(f"/billing/{world.consortium.id}/payments").get_data(as_text=True)
    assert "from 1 Jun 2026 to 30 Jun 2026" in page
    assert "BACS JUNE" in page and "BACS MAY" not in page and "THEIRS" not in page
    assert "£160.00" in page

    response = client.get(f"/billing/{world.consortium.id}/payments.csv?from_date=2026-05-01&to_date=2026-06-30")
    rows = _csv(response)
    assert rows[0] == ["Received on", "Member", "Invoice", "Method", "Reference", "Amount (GBP)"]
    assert [r[4] for r in rows[1:-1]] == ["BACS MAY", "BACS JUNE", "BACS OVER", "Excess returned"]
    assert rows[-1] == ["Total", "", "", "", "", "185.00"]


def test_a_period_that_ends_before_it_starts_is_refused_on_every_report(client, world, ledger):
    backwards = "from_date=2026-06-30&to_date=2026-06-01"
    api = client.get(
        f"/api/v1/consortia/{world.consortium.id}/payments-received?{backwards}", headers=api_token(world.secretary)
    )
    assert api.status_code == 422 and "to_date" in api.json["error"]["fields"]
    sign_in(client, world.secretary)
    page = client.get(f"/billing/{world.consortium.id}/payments?{backwards}")
    assert page.status_code == 422
    assert field_error(page, "to_date") == "The end of the period cannot be before its start."
    assert client.get(f"/billing/{world.consortium.id}/payments.csv?{backwards}").status_code == 422
    only_start = client.get(f"/billing/{world.consortium.id}/payments?from_date=2026-07-05")
    assert only_start.status_code == 422 and "cannot be before its start" in only_start.get_data(as_text=True)


def test_aged_debt_puts_each_members_debt_in_its_band_and_totals_the_rows(client, world, ledger):
    neighbour, _ = ledger
    report = services.aged_debt_report(world.consortium)
    rows = {m.name: m.row.bands for m in report.members}
    assert [m.name for m in report.members] == ["Abbey Bikes CIC", "Re-Tweed Dundee CIC"]
    assert rows == {
        "Abbey Bikes CIC": (840, 0, 0, 0, 12_001),
        "Re-Tweed Dundee CIC": (0, 8_000, 0, 3_500, 0),
    }
    assert report.totals.bands == (840, 8_000, 0, 3_500, 12_001) and report.totals.total_pence == 24_341

    body = client.get(f"/api/v1/consortia/{world.consortium.id}/aged-debt", headers=api_token(world.secretary)).json
    assert body["as_of"] == "2026-06-30" and body["total"] == 2
    assert body["items"][0] == {
        "member_id": neighbour.id,
        "member_name": "Abbey Bikes CIC",
        "current_pence": 840,
        "days_1_30_pence": 0,
        "days_31_60_pence": 0,
        "days_61_90_pence": 0,
        "over_90_days_pence": 12_001,
        "total_pence": 12_841,
    }
    assert body["totals"]["total_pence"] == sum(i["total_pence"] for i in body["items"]) == 24_341


def test_aged_debt_page_and_csv(client, world, ledger):
    sign_in(client, world.secretary)
    page = client.get(f"/billing/{world.consortium.id}/aged-debt").get_data(as_text=True)
    assert "2 members owing £243.41" in page and "Over 90 days" in page and "£120.01" in page
    assert "Leith Community Crops" not in page

    rows = _csv(client.get(f"/billing/{world.consortium.id}/aged-debt.csv"))
    assert rows[0] == [
        "Member",
        "Current (GBP)",
        "1-30 days (GBP)",
        "31-60 days (GBP)",
        "61-90 days (GBP)",
        "Over 90 days (GBP)",
        "Total (GBP)",
    ]
    assert rows[1:] == [
        ["Abbey Bikes CIC", "8.40", "0.00", "0.00", "0.00", "120.01", "128.41"],
        ["Re-Tweed Dundee CIC", "0.00", "80.00", "0.00", "35.00", "0.00", "115.00"],
        ["Total", "8.40", "80.00", "0.00", "35.00", "120.01", "243.41"],
    ]


def test_the_billing_card_links_to_the_finance_reports(client, world):
    sign_in(client, world.secretary)
    home = client.get("/").get_data(as_text=True)
    for path in ("aged-debt", "payments", "?status=overdue"):
        assert f"/billing/{world.consortium.id}{'/' if not path.startswith('?') else ''}{path}" in home


def test_an_over_payment_is_said_to_be_held_as_credit_on_the_invoice(client, world, ledger):
    _, paid = ledger
    body = client.get(f"/api/v1/invoices/{paid.id}", headers=api_token(world.secretary)).json
    assert (body["state"], body["held_as_credit_pence"], body["due_pence"]) == ("paid", 0, 0)  # the excess went back

    record_payment(world.secretary, paid, 2_550, date(2026, 6, 29), "BACS AGAIN")
    db.session.commit()
    body = client.get(f"/api/v1/invoices/{paid.id}", headers=api_token(world.secretary)).json
    assert body["held_as_credit_pence"] == 2_550
    sign_in(client, world.secretary)
    page = client.get(f"/invoices/{paid.id}").get_data(as_text=True)
    assert "£25.50 was paid beyond this invoice's total. It is held as credit on Abbey Bikes CIC's account" in page


def test_aged_debt_page_shows_a_page_of_members_and_the_totals_of_all(client, world, ledger, monkeypatch):
    monkeypatch.setattr(billing_views, "AGED_DEBT_PER_PAGE", 1)
    sign_in(client, world.secretary)
    first = client.get(f"/billing/{world.consortium.id}/aged-debt").get_data(as_text=True)
    assert "Abbey Bikes CIC" in first and "Re-Tweed Dundee CIC" not in first
    assert "2 members owing £243.41" in first and "Page 1 of 2" in first and "£243.41</td></tr></tfoot>" in first
    second = client.get(f"/billing/{world.consortium.id}/aged-debt?page=2").get_data(as_text=True)
    assert "Re-Tweed Dundee CIC" in second and "Abbey Bikes CIC" not in second and "Previous" in second
