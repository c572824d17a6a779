"""Saved payment methods: a member saves a card or Direct Debit, and invoices are charged to it when issued."""

import json

import pytest
from sqlalchemy import select

from billing.models import Invoice, InvoiceStatus, Payment, PaymentMethod, StripeCustomer
from kernel.clock import utcnow
from kernel.extensions import db
from organisations.models import OutboxMessage
from tests.billing.fake_stripe import CONFIG, FakeStripe, event, payment_intent, sign
from tests.billing.test_invoicing import delivered_order
from tests.factories import api_token, sign_in

stripe_on = pytest.mark.app_config(CONFIG | {"STRIPE_HTTP_CLIENT": FakeStripe()})
SAVE_BUTTON = "Save a card or Direct Debit for automatic payment"
SAVED_NOTE = "A payment method is saved; new invoices are charged automatically"


@pytest.fixture
def fake(app) -> FakeStripe:
    """A fresh fake for each test, so no idempotent reply is replayed from another test."""
    app.config["STRIPE_HTTP_CLIENT"] = fake = FakeStripe()
    return fake


def save_method(member, method="pm_card_visa") -> StripeCustomer:
    customer = StripeCustomer(
        member_id=member.id, customer_id=f"cus_saved_{member.id}", payment_method_id=method, updated_at=utcnow()
    )
    db.session.add(customer)
    db.session.commit()
    return customer


def post_event(client, body: dict):
    payload = json.dumps(body)
    return client.post(
        "/stripe/webhook", data=payload, content_type="application/json", headers={"Stripe-Signature": sign(payload)}
    )


def invoices_by_member(order) -> dict[int, Invoice]:
    db.session.expire_all()
    return {i.member_id: i for i in db.session.scalars(select(Invoice).where(Invoice.purchase_order_id == order.id))}


def payments_of(invoice: Invoice) -> list[tuple[PaymentMethod, int]]:
    return [
        (p.method, p.amount_pence)
        for p in db.session.scalars(select(Payment).where(Payment.invoice_id == invoice.id).order_by(Payment.id))
    ]


# Saving a method


@stripe_on
def test_saving_a_method_opens_stripe_checkout_in_setup_mode(client, world, fake):
    sign_in(client, world.member_user)

    response = client.post(f"/members/{world.member.id}/payment-method")

    assert response.status_code == 303
    [session] = fake.answered("/v1/checkout/sessions")
    assert response.location == session["url"]
    assert session["url"].startswith("https://checkout.stripe.com/")
    [call] = fake.to("/v1/checkout/sessions")
    assert call.params["mode"] == "setup"
    assert call.params["setup_intent_data[metadata][member_id]"] == str(world.member.id)
    assert f"member_id={world.member.id}" in call.params["success_url"] and "saved=1" in call.params["success_url"]
    assert call.params["customer"] == db.session.get(StripeCustomer, world.member.id).customer_id


@stripe_on
def test_only_the_members_own_users_may_save_its_method(app, world, fake):
    cases = [
        (world.member_user, world.other_member, 404),
        (world.admin, world.member, 404),
        (world.secretary, world.member, 403),
        (world.supplier_user, world.member, 403),
    ]
    for user, member, status in cases:
        client = app.test_client()
        sign_in(client, user)
        assert client.post(f"/members/{member.id}/payment-method").status_code == status, (user.email, member.name)
    stranger = app.test_client().post(f"/members/{world.member.id}/payment-method")
    assert stranger.status_code == 302 and "/sign-in" in stranger.location
    assert fake.requests == []


def test_with_stripe_off_there_is_no_button_and_no_route(client, world):
    sign_in(client, world.member_user)

    assert SAVE_BUTTON not in client.get("/statement").get_data(as_text=True)
    assert client.post(f"/members/{world.member.id}/payment-method").status_code == 404


@stripe_on
def test_the_webhook_keeps_the_saved_method_and_the_statement_says_so(client, world, fake):
    sign_in(client, world.member_user)
    page = client.get("/statement").get_data(as_text=True)
    assert SAVE_BUTTON in page and SAVED_NOTE not in page
    client.post(f"/members/{world.member.id}/payment-method")
    customer_id = db.session.get(StripeCustomer, world.member.id).customer_id
    setup_intent = {
        "id": "seti_1",
        "object": "setup_intent",
        "status": "succeeded",
        "customer": customer_id,
        "payment_method": "pm_bacs_1",
        "metadata": {"member_id": str(world.member.id)},
    }

    assert post_event(client, event("setup_intent.succeeded", setup_intent)).status_code == 200

    db.session.expire_all()
    assert db.session.get(StripeCustomer, world.member.id).payment_method_id == "pm_bacs_1"
    assert SAVED_NOTE in client.get("/statement").get_data(as_text=True)


# Charging it after the invoices are issued, by the charge-saved-methods job


def charge_queued(runner) -> str:
    result = runner.invoke(args=["charge-saved-methods"])
    assert result.exit_code == 0, result.output
    return result.output


@stripe_on
def test_issuing_queues_a_saved_method_and_the_job_charges_it_off_session(client, runner, world, fake):
    order = delivered_order(world)
    save_method(world.member)
    sign_in(client, world.secretary)

    page = client.post(f"/purchase-orders/{order.id}/invoices", follow_redirects=True).get_data(as_text=True)

    assert "3 invoices issued" in page
    assert "1 will be charged to the member" in page and "Direct Debit in the next few minutes" in page
    assert fake.requests == [], "no call to Stripe inside the request"
    assert "1 charged, 0 sent the pay link, 0 broke off" in charge_queued(runner)
    invoices = invoices_by_member(order)
    ours = invoices.pop(world.member.id)
    [call] = fake.to("/v1/payment_intents")
    assert (call.params["off_session"], call.params["confirm"]) == ("true", "true")
    assert (call.params["customer"], call.params["payment_method"]) == (f"cus_saved_{world.member.id}", "pm_card_visa")
    assert (call.params["amount"], call.params["metadata[invoice_id]"]) == (str(ours.total_pence), str(ours.id))
    assert call.params["return_url"].endswith(f"/invoices/{ours.id}")
    assert (ours.status, ours.due_pence) == (InvoiceStatus.PAID, 0)
    assert payments_of(ours) == [(PaymentMethod.STRIPE, ours.total_pence)]
    assert len(invoices) == 2 and all(i.status is InvoiceStatus.ISSUED for i in invoices.values())
    assert "0 charged, 0 sent the pay link" in charge_queued(runner)
    assert len(fake.to("/v1/payment_intents")) == 1


@stripe_on
def test_a_declined_charge_leaves_the_invoice_issued_and_emails_the_pay_link(client, runner, world, fake):
    order = delivered_order(world)
    save_method(world.member)
    fake.declines.append("authentication_required")
    sign_in(client, world.secretary)
    client.post(f"/purchase-orders/{order.id}/invoices")

    assert "0 charged, 1 sent the pay link" in charge_queued(runner)

    ours = invoices_by_member(order)[world.member.id]
    assert (ours.status, payments_of(ours)) == (InvoiceStatus.ISSUED, [])
    assert len(fake.to("/v1/payment_intents")) == 1
    [message] = db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "invoice_pay_link")).all()
    assert message.to_email == ours.buyer_email and ours.number in message.subject
    assert f"/invoices/{ours.id}" in message.body_text and f"/invoices/{ours.id}" in message.body_html


@stripe_on
def test_a_direct_debit_still_collecting_is_paid_when_its_webhook_arrives(client, runner, world, fake):
    order = delivered_order(world)
    save_method(world.member, "pm_bacs")
    fake.payment_intent_status = "processing"
    sign_in(client, world.secretary)
    client.post(f"/purchase-orders/{order.id}/invoices")
    assert "1 charged" in charge_queued(runner)
    ours = invoices_by_member(order)[world.member.id]
    assert ours.status is InvoiceStatus.ISSUED
    [intent] = fake.answered("/v1/payment_intents")

    post_event(client, event("payment_intent.succeeded", payment_intent(ours.id, ours.total_pence, intent["id"])))

    ours = invoices_by_member(order)[world.member.id]
    assert (ours.status, payments_of(ours)) == (InvoiceStatus.PAID, [(PaymentMethod.STRIPE, ours.total_pence)])


@stripe_on
def test_invoices_issued_over_the_api_are_charged_by_the_job_once(client, runner, world, fake):
    order = delivered_order(world)
    save_method(world.member)
    headers = api_token(world.secretary)

    response = client.post(f"/api/v1/purchase-orders/{order.id}/invoices", headers=headers)
    again = client.post(f"/api/v1/purchase-orders/{order.id}/invoices", headers=headers)

    assert response.status_code == 201 and again.json == []
    assert [i["status"] for i in response.json] == ["issued"] * 3
    charge_queued(runner)
    charge_queued(runner)
    assert invoices_by_member(order)[world.member.id].status is InvoiceStatus.PAID
    assert len(fake.to("/v1/payment_intents")) == 1


@stripe_on
def test_members_without_a_saved_method_cost_no_call_to_stripe(client, runner, world, fake):
    order = delivered_order(world)
    sign_in(client, world.secretary)

    page = client.post(f"/purchase-orders/{order.id}/invoices", follow_redirects=True).get_data(as_text=True)

    assert "3 invoices issued" in page and "charged" not in page
    assert "0 charged, 0 sent the pay link" in charge_queued(runner)
    assert fake.requests == []
    assert all(i.status is InvoiceStatus.ISSUED for i in invoices_by_member(order).values())


def test_with_stripe_off_the_job_says_so(runner):
    result = runner.invoke(args=["charge-saved-methods"])
    assert result.exit_code == 1 and "Stripe is off" in result.output
