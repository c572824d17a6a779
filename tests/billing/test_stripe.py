"""The Stripe path: Checkout, saved methods and the webhook, with the real library over a fake HTTP client."""

import hashlib
import hmac
import json
import time

import pytest
from sqlalchemy import func, select

from billing.models import CheckoutAttempt, Invoice, InvoiceStatus, Payment, PaymentMethod, StripeCustomer, StripeEvent
from billing.payments import record_payment
from billing.stripe_gateway import PaymentsUnavailable, StripeGateway, client_from_config, stripe_enabled
from kernel.clock import utcnow
from kernel.errors import Conflict
from kernel.extensions import db
from tests.billing.fake_stripe import (
    CONFIG,
    WEBHOOK_SECRET,
    FakeStripe,
    charge,
    checkout_session,
    event,
    payment_intent,
    sign,
)

stripe_on = pytest.mark.app_config(CONFIG)
SUCCESS, CANCEL = "https://market.example.org/invoices/1?paid=1", "https://market.example.org/invoices/1"
KEY = "invoice-1-charge-1"


@pytest.fixture
def fake() -> FakeStripe:
    return FakeStripe()


@pytest.fixture
def gateway(fake) -> StripeGateway:
    return StripeGateway(client_from_config(CONFIG, http_client=fake))


def post_event(client, body: dict | str, header: str | None = None):
    payload = body if isinstance(body, str) else json.dumps(body)
    return client.post(
        "/stripe/webhook",
        data=payload,
        content_type="application/json",
        headers={"Stripe-Signature": header or sign(payload)},
    )


def payments_of(invoice: Invoice) -> list[Payment]:
    return db.session.scalars(select(Payment).where(Payment.invoice_id == invoice.id).order_by(Payment.id)).all()


def reloaded(invoice: Invoice) -> Invoice:
    db.session.expire_all()
    return db.session.get(Invoice, invoice.id)


def save_method(member, method="pm_card_visa") -> StripeCustomer:
    customer = StripeCustomer(
        member_id=member.id, customer_id=f"cus_saved_{member.id}", payment_method_id=method, updated_at=utcnow()
    )
    db.session.add(customer)
    db.session.commit()
    return customer


def test_stripe_switches_on_only_with_both_secrets():
    assert stripe_enabled(CONFIG)
    assert not stripe_enabled(CONFIG | {"STRIPE_WEBHOOK_SECRET": None})
    assert not stripe_enabled(CONFIG | {"STRIPE_SECRET_KEY": ""})


# Checkout


def test_checkout_asks_stripe_for_what_is_due_with_the_invoice_and_an_attempt_key(world, invoice, fake, gateway):
    record_payment(world.secretary, invoice, 2_000, invoice.issue_date, "BACS part")

    url = gateway.checkout_url(invoice, SUCCESS, CANCEL)

    [customer_call] = fake.to("/v1/customers")
    [session_call] = fake.to("/v1/checkout/sessions")
    [session] = fake.answered("/v1/checkout/sessions")
    assert url == session["url"]
    params = session_call.params
    assert params["mode"] == "payment"
    assert params["metadata[invoice_id]"] == str(invoice.id)
    assert params["payment_intent_data[metadata][invoice_id]"] == str(invoice.id)
    assert params["line_items[0][price_data][unit_amount]"] == "10000"
    assert params["line_items[0][price_data][currency]"] == "gbp"
    assert [params[f"allowed_payment_method_types[{i}]"] for i in range(3)] == [
        "card",
        "bacs_debit",
        "customer_balance",
    ]
    assert params["payment_method_options[customer_balance][bank_transfer][type]"] == "gb_bank_transfer"
    assert params["customer"] == db.session.get(StripeCustomer, world.member.id).customer_id
    assert session_call.headers["Idempotency-Key"] == f"invoice-{invoice.id}-attempt-1"
    assert customer_call.params["metadata[member_id]"] == str(world.member.id)


def test_each_pay_click_is_a_new_attempt_and_the_customer_is_made_once(world, invoice, fake, gateway):
    first = gateway.checkout_url(invoice, SUCCESS, CANCEL)
    second = gateway.checkout_url(invoice, SUCCESS, CANCEL)
    db.session.commit()

    assert first != second
    assert [c.headers["Idempotency-Key"] for c in fake.to("/v1/checkout/sessions")] == [
        f"invoice-{invoice.id}-attempt-1",
        f"invoice-{invoice.id}-attempt-2",
    ]
    assert len(fake.to("/v1/customers")) == 1
    attempts = db.session.scalars(select(CheckoutAttempt).order_by(CheckoutAttempt.attempt)).all()
    assert [(a.attempt, a.url) for a in attempts] == [(1, first), (2, second)]
    assert all(a.session_id.startswith("cs_test_") for a in attempts)


def test_nothing_due_means_no_checkout(world, invoice, fake, gateway):
    record_payment(world.secretary, invoice, 12_000, invoice.issue_date, "BACS all")

    with pytest.raises(Conflict):
        gateway.checkout_url(invoice, SUCCESS, CANCEL)
    assert fake.requests == []


def test_stripe_unreachable_is_a_503_and_records_no_attempt(invoice, fake, gateway):
    fake.unreachable = True

    with pytest.raises(PaymentsUnavailable) as caught:
        gateway.checkout_url(invoice, SUCCESS, CANCEL)
    assert caught.value.status_code == 503
    assert db.session.scalar(select(func.count()).select_from(CheckoutAttempt)) == 0


def test_setup_opens_checkout_in_setup_mode_for_the_member(world, fake, gateway):
    url = gateway.setup_url(world.member, SUCCESS, CANCEL)

    [call] = fake.to("/v1/checkout/sessions")
    assert url.startswith("https://checkout.stripe.com/")
    assert call.params["mode"] == "setup"
    assert call.params["setup_intent_data[metadata][member_id]"] == str(world.member.id)
    assert call.params["customer"] == db.session.get(StripeCustomer, world.member.id).customer_id


# Charging a saved method when an invoice is issued


def test_a_saved_card_is_charged_off_session_and_the_invoice_paid(world, invoice, fake, gateway):
    save_method(world.member)

    assert gateway.charge_saved_method(invoice, CANCEL, KEY) is True

    [call] = fake.to("/v1/payment_intents")
    assert (call.params["amount"], call.params["currency"]) == ("12000", "gbp")
    assert (call.params["off_session"], call.params["confirm"]) == ("true", "true")
    assert call.params["payment_method"] == "pm_card_visa"
    assert call.params["metadata[invoice_id]"] == str(invoice.id)
    assert call.headers["Idempotency-Key"] == KEY
    assert (invoice.status, invoice.due_pence) == (InvoiceStatus.PAID, 0)
    [payment] = payments_of(invoice)
    assert (payment.method, payment.amount_pence) == (PaymentMethod.STRIPE, 12_000)


@pytest.mark.parametrize("code", ["card_declined", "authentication_required"])
def test_a_charge_that_needs_the_member_returns_false_and_changes_nothing(world, invoice, fake, gateway, code):
    save_method(world.member)
    fake.declines.append(code)

    assert gateway.charge_saved_method(invoice, CANCEL, KEY) is False
    assert (invoice.status, payments_of(invoice)) == (InvoiceStatus.ISSUED, [])


def test_without_a_saved_method_the_member_gets_the_pay_link(invoice, fake, gateway):
    assert gateway.charge_saved_method(invoice, CANCEL, KEY) is False
    assert fake.requests == []


def test_a_direct_debit_still_collecting_needs_no_pay_link(world, invoice, fake, gateway):
    save_method(world.member, "pm_bacs")
    fake.payment_intent_status = "processing"

    assert gateway.charge_saved_method(invoice, CANCEL, KEY) is True
    assert (invoice.status, payments_of(invoice)) == (InvoiceStatus.ISSUED, [])


def test_stripe_down_when_charging_never_breaks_issuing(world, invoice, fake, gateway):
    save_method(world.member)
    fake.unreachable = True

    assert gateway.charge_saved_method(invoice, CANCEL, KEY) is False


@stripe_on
def test_an_off_session_charge_and_its_webhook_count_the_money_once(client, world, invoice, fake, gateway):
    save_method(world.member)
    gateway.charge_saved_method(invoice, CANCEL, KEY)
    db.session.commit()
    [intent] = [body["id"] for body in fake.answered("/v1/payment_intents")]

    assert post_event(client, event("payment_intent.succeeded", payment_intent(invoice.id, 12_000, intent))).json == {
        "received": True,
        "duplicate": False,
    }
    assert [p.amount_pence for p in payments_of(invoice)] == [12_000]


# The webhook


@stripe_on
def test_a_completed_checkout_marks_the_invoice_paid(client, invoice):
    response = post_event(client, event("checkout.session.completed", checkout_session(invoice.id, 12_000, "pi_1")))

    assert response.status_code == 200
    invoice = reloaded(invoice)
    assert (invoice.status, invoice.paid_pence) == (InvoiceStatus.PAID, 12_000)
    [payment] = payments_of(invoice)
    assert (payment.method, payment.stripe_payment_intent, payment.member_id) == (
        PaymentMethod.STRIPE,
        "pi_1",
        invoice.member_id,
    )


@stripe_on
def test_a_duplicate_delivery_is_answered_200_and_ignored(client, invoice):
    completed = event("checkout.session.completed", checkout_session(invoice.id, 5_000, "pi_1"))

    first, again = post_event(client, completed), post_event(client, completed)

    assert (first.status_code, again.status_code) == (200, 200)
    assert again.json["duplicate"] is True
    assert [p.amount_pence for p in payments_of(invoice)] == [5_000]
    assert reloaded(invoice).status is InvoiceStatus.PART_PAID


@stripe_on
def test_a_replayed_event_id_changes_nothing_even_with_a_new_body(client, invoice):
    post_event(client, event("checkout.session.completed", checkout_session(invoice.id, 5_000, "pi_1"), "evt_1"))

    replay = post_event(client, event("payment_intent.succeeded", payment_intent(invoice.id, 7_000, "pi_2"), "evt_1"))

    assert replay.status_code == 200
    assert [p.amount_pence for p in payments_of(invoice)] == [5_000]
    assert db.session.scalar(select(func.count()).select_from(StripeEvent)) == 1


@stripe_on
@pytest.mark.parametrize("order", ["session first", "intent first"])
def test_both_events_for_one_payment_count_the_money_once_in_either_order(client, invoice, order):
    completed = event("checkout.session.completed", checkout_session(invoice.id, 12_000, "pi_1"))
    succeeded = event("payment_intent.succeeded", payment_intent(invoice.id, 12_000, "pi_1"))
    events = [completed, succeeded] if order == "session first" else [succeeded, completed]

    assert [post_event(client, e).status_code for e in events] == [200, 200]

    invoice = reloaded(invoice)
    assert (invoice.paid_pence, invoice.status) == (12_000, InvoiceStatus.PAID)
    assert len(payments_of(invoice)) == 1
    assert db.session.scalar(select(func.count()).select_from(StripeEvent)) == 2


@stripe_on
def test_a_failed_bank_debit_leaves_the_invoice_unpaid(client, invoice):
    session = checkout_session(invoice.id, 12_000, "pi_1", payment_status="unpaid")
    post_event(client, event("checkout.session.completed", session))
    post_event(client, event("checkout.session.async_payment_failed", session))
    post_event(
        client,
        event("payment_intent.payment_failed", payment_intent(invoice.id, 12_000, "pi_1", "requires_payment_method")),
    )

    invoice = reloaded(invoice)
    assert (invoice.status, invoice.due_pence, payments_of(invoice)) == (InvoiceStatus.ISSUED, 12_000, [])


@stripe_on
def test_a_bank_debit_that_settles_later_pays_and_a_late_failure_does_not_undo_it(client, invoice):
    unpaid = checkout_session(invoice.id, 12_000, "pi_1", payment_status="unpaid")
    post_event(client, event("checkout.session.completed", unpaid))
    assert reloaded(invoice).status is InvoiceStatus.ISSUED

    post_event(client, event("checkout.session.async_payment_succeeded", unpaid | {"payment_status": "paid"}))
    post_event(
        client,
        event("payment_intent.payment_failed", payment_intent(invoice.id, 12_000, "pi_1", "requires_payment_method")),
    )

    assert reloaded(invoice).status is InvoiceStatus.PAID


@stripe_on
def test_refunds_are_recorded_once_whatever_order_they_arrive_in(client, invoice):
    post_event(client, event("payment_intent.succeeded", payment_intent(invoice.id, 12_000, "pi_1")))
    full = event("charge.refunded", charge(invoice.id, 12_000, "pi_1", refunded=12_000))
    part = event("charge.refunded", charge(invoice.id, 12_000, "pi_1", refunded=2_000))

    post_event(client, part)
    assert (reloaded(invoice).paid_pence, reloaded(invoice).status) == (10_000, InvoiceStatus.PART_PAID)
    post_event(client, full)
    post_event(client, part | {"id": "evt_late_copy"})

    invoice = reloaded(invoice)
    assert [p.amount_pence for p in payments_of(invoice)] == [12_000, -2_000, -10_000]
    assert (invoice.paid_pence, invoice.status) == (0, InvoiceStatus.ISSUED)


@stripe_on
def test_a_refund_arriving_before_the_payment_records_both(client, invoice):
    post_event(client, event("charge.refunded", charge(invoice.id, 12_000, "pi_1", refunded=4_000)))
    post_event(client, event("payment_intent.succeeded", payment_intent(invoice.id, 12_000, "pi_1")))

    invoice = reloaded(invoice)
    assert sorted(p.amount_pence for p in payments_of(invoice)) == [-4_000, 12_000]
    assert (invoice.paid_pence, invoice.due_pence) == (8_000, 4_000)


@stripe_on
def test_a_saved_payment_method_is_kept_for_the_member(client, world, fake):
    gateway = StripeGateway(client_from_config(CONFIG, http_client=fake))
    gateway.setup_url(world.member, SUCCESS, CANCEL)
    db.session.commit()
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


@stripe_on
def test_a_bad_signature_is_refused_with_400_and_changes_nothing(client, invoice):
    body = json.dumps(event("checkout.session.completed", checkout_session(invoice.id, 12_000, "pi_1")))

    for header in (sign(body, secret="whsec_someone_else"), sign(body.replace("12000", "1")), "nonsense", ""):
        response = client.post(
            "/stripe/webhook", data=body, content_type="application/json", headers={"Stripe-Signature": header}
        )
        assert response.status_code == 400
        assert response.json["error"]["code"] == "bad_signature"
    assert payments_of(invoice) == []
    assert db.session.scalar(select(func.count()).select_from(StripeEvent)) == 0


@stripe_on
def test_a_stale_signature_is_refused_with_400(client, invoice):
    body = json.dumps(event("checkout.session.completed", checkout_session(invoice.id, 12_000, "pi_1")))

    response = post_event(client, body, sign(body, timestamp=int(time.time()) - 301))

    assert response.status_code == 400
    assert response.json["error"]["code"] == "bad_signature"
    assert reloaded(invoice).status is InvoiceStatus.ISSUED


@stripe_on
def test_a_signed_body_that_is_not_json_is_400(client):
    response = post_event(client, "not json")
    assert (response.status_code, response.json["error"]["code"]) == (400, "bad_request")


@pytest.mark.app_config({"STRIPE_SECRET_KEY": None, "STRIPE_WEBHOOK_SECRET": None})
def test_the_webhook_is_not_there_when_stripe_is_off(client, invoice):
    response = post_event(client, event("checkout.session.completed", checkout_session(invoice.id, 12_000, "pi_1")))

    assert response.status_code == 404
    assert response.json["error"]["code"] == "not_found"


@stripe_on
def test_the_webhook_needs_no_csrf_token(app, invoice):
    app.config["WTF_CSRF_ENABLED"] = True
    response = post_event(
        app.test_client(), event("checkout.session.completed", checkout_session(invoice.id, 12_000, "pi_1"))
    )
    assert response.status_code == 200


def test_test_signatures_follow_stripes_documented_scheme():
    payload = '{"id": "evt_1"}'
    expected = hmac.new(WEBHOOK_SECRET.encode(), f"1700000000.{payload}".encode(), hashlib.sha256).hexdigest()
    assert sign(payload, timestamp=1_700_000_000) == f"t=1700000000,v1={expected}"
