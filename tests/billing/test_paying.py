"""A member pays one invoice by bank transfer and one through Stripe (the fake), on the pages and over the API;
the invoice list is the caller's own, filtered and paginated."""

import json

import pytest

from billing.models import InvoiceStatus
from billing.payments import record_payment
from kernel.clock import uk_today
from kernel.extensions import db
from tests import factories
from tests.billing.conftest import issued_invoice
from tests.billing.fake_stripe import CONFIG, FakeStripe, checkout_session, event, sign
from tests.factories import api_token, sign_in

stripe_on = pytest.mark.app_config(CONFIG | {"STRIPE_HTTP_CLIENT": FakeStripe()})


@pytest.fixture
def fake(app) -> FakeStripe:
    app.config["STRIPE_HTTP_CLIENT"] = fake = FakeStripe()
    return fake


def webhook(client, body: dict):
    payload = json.dumps(body)
    return client.post(
        "/stripe/webhook", data=payload, content_type="application/json", headers={"Stripe-Signature": sign(payload)}
    )


@stripe_on
def test_one_invoice_by_bank_transfer_and_one_through_stripe_checkout(client, world, fake):
    by_bank, by_card = issued_invoice(world.member), issued_invoice(world.member, net_pence=5_000, vat_pence=1_000)
    sign_in(client, world.secretary)
    assert (
        client.post(
            f"/invoices/{by_bank.id}/payments",
            data={"amount": "120.00", "received_on": uk_today().isoformat(), "reference": "BACS TAY 1"},
        ).status_code
        == 302
    )
    client.post("/sign-out")

    sign_in(client, world.member_user)
    page = client.get(f"/invoices/{by_card.id}").get_data(as_text=True)
    assert "Pay £60.00 by card or Direct Debit" in page
    assert "Pay £" not in client.get(f"/invoices/{by_bank.id}").get_data(as_text=True)
    pay = client.post(f"/invoices/{by_card.id}/checkout")
    assert pay.status_code == 303 and pay.location.startswith("https://checkout.stripe.com/")
    [session_call] = fake.to("/v1/checkout/sessions")
    assert session_call.params["metadata[invoice_id]"] == str(by_card.id)
    assert session_call.params["line_items[0][price_data][unit_amount]"] == "6000"

    assert (
        webhook(
            client, event("checkout.session.completed", checkout_session(by_card.id, 6_000, "pi_test_card"))
        ).status_code
        == 200
    )
    db.session.expire_all()
    assert {
        i.status for i in (db.session.get(type(by_bank), by_bank.id), db.session.get(type(by_card), by_card.id))
    } == {InvoiceStatus.PAID}
    statement = client.get("/api/v1/statement", headers=api_token(world.member_user)).json
    assert statement["balance_pence"] == 0
    assert [(e["kind"], e["amount_pence"]) for e in statement["entries"]] == [
        ("invoice", 12_000),
        ("invoice", 6_000),
        ("payment", -12_000),
        ("payment", -6_000),
    ]


@stripe_on
def test_checkout_over_the_api_returns_stripes_url_to_the_member_only(client, world, fake):
    ours = issued_invoice(world.member)
    theirs = issued_invoice(world.other_member)
    response = client.post(f"/api/v1/invoices/{ours.id}/checkout", headers=api_token(world.member_user))
    assert response.status_code == 200 and response.json["url"].startswith("https://checkout.stripe.com/")
    assert response.json["url"] == fake.answered("/v1/checkout/sessions")[0]["url"]
    assert (
        client.post(f"/api/v1/invoices/{theirs.id}/checkout", headers=api_token(world.member_user)).status_code == 404
    )
    assert client.post(f"/api/v1/invoices/{ours.id}/checkout", headers=api_token(world.secretary)).status_code == 403


def test_without_stripe_checkout_is_not_there_and_no_pay_button_shows(client, world):
    invoice = issued_invoice(world.member)
    response = client.post(f"/api/v1/invoices/{invoice.id}/checkout", headers=api_token(world.member_user))
    assert response.status_code == 404 and "bank transfer" in response.json["error"]["message"]
    sign_in(client, world.member_user)
    assert "by card or Direct Debit" not in client.get(f"/invoices/{invoice.id}").get_data(as_text=True)


def test_the_invoice_list_is_scoped_filtered_and_paginated(client, world):
    mine = [issued_invoice(world.member) for _ in range(3)]
    neighbour = factories.member(world.network, "Neighbour CIC")
    issued_invoice(neighbour)
    issued_invoice(world.other_member)
    db.session.commit()
    record_payment(world.secretary, mine[0], mine[0].total_pence, uk_today(), "BACS")
    db.session.commit()

    member = client.get("/api/v1/invoices?per_page=2", headers=api_token(world.member_user)).json
    assert member["total"] == 3 and len(member["items"]) == 2
    assert {i["member_id"] for i in member["items"]} == {world.member.id}
    paid = client.get("/api/v1/invoices?status=paid", headers=api_token(world.member_user)).json
    assert [i["id"] for i in paid["items"]] == [mine[0].id]
    secretary = client.get("/api/v1/invoices", headers=api_token(world.secretary)).json
    assert secretary["total"] == 4 and world.other_member.id not in {i["member_id"] for i in secretary["items"]}
    bad = client.get("/api/v1/invoices?status=lost", headers=api_token(world.secretary))
    assert bad.status_code == 422 and "status" in bad.json["error"]["fields"]
    too_many = client.get("/api/v1/invoices?per_page=1000", headers=api_token(world.secretary))
    assert too_many.status_code == 422 and "per_page" in too_many.json["error"]["fields"]


@stripe_on
def test_back_from_checkout_the_invoice_shows_processing_until_the_webhook_pays_it(client, world, fake):
    invoice = issued_invoice(world.member)
    sign_in(client, world.member_user)
    checkout = client.post(f"/invoices/{invoice.id}/checkout")
    [session] = fake.sessions.values()
    assert checkout.location == session["url"]

    back = client.get(session["success_url"].removeprefix("http://127.0.0.1:5000")).get_data(as_text=True)
    assert "Payment processing" in back and 'tag-success">paid<' not in back

    completed = fake.complete_checkout(session["id"])
    assert webhook(client, event("checkout.session.completed", completed)).status_code == 200

    paid = client.get(session["success_url"].removeprefix("http://127.0.0.1:5000")).get_data(as_text=True)
    assert (
        "Payment processing" not in paid
        and 'Status: <span class="tag badge rounded-pill tag-success">paid</span>' in paid
    )
