"""Stripe disputes: the money held back while a dispute is open, and returned when it is won.

A dispute is a negative payment keyed `<intent>/dispute/<dispute id>` when it opens; a won
dispute adds a positive payment keyed `.../won`; a lost one leaves the money gone.
"""

import json

import pytest
from sqlalchemy import select

from billing.models import Invoice, InvoiceStatus, Payment, PaymentMethod
from kernel.extensions import db
from tests.billing.fake_stripe import CONFIG, event, payment_intent, sign

pytestmark = pytest.mark.app_config(CONFIG)


def dispute(
    amount: int = 12_000,
    status: str = "needs_response",
    intent: str = "pi_1",
    dispute_id: str = "dp_1",
    currency: str = "gbp",
) -> dict:
    return {
        "id": dispute_id,
        "object": "dispute",
        "amount": amount,
        "currency": currency,
        "charge": f"ch_{intent}",
        "payment_intent": intent,
        "status": status,
        "reason": "fraudulent",
        "metadata": {},
    }


def post_event(client, body: dict):
    payload = json.dumps(body)
    response = client.post(
        "/stripe/webhook", data=payload, content_type="application/json", headers={"Stripe-Signature": sign(payload)}
    )
    assert response.status_code == 200
    return response


def paid_by_stripe(client, invoice: Invoice, amount: int = 12_000) -> None:
    post_event(client, event("payment_intent.succeeded", payment_intent(invoice.id, amount, "pi_1")))


def ledger(invoice: Invoice) -> list[tuple[str, int]]:
    db.session.expire_all()
    return [
        (p.stripe_payment_intent, p.amount_pence)
        for p in db.session.scalars(select(Payment).where(Payment.invoice_id == invoice.id).order_by(Payment.id))
    ]


def reloaded(invoice: Invoice) -> Invoice:
    db.session.expire_all()
    return db.session.get(Invoice, invoice.id)


def test_an_opened_dispute_holds_the_money_back_and_the_invoice_is_due_again(client, invoice):
    paid_by_stripe(client, invoice)

    post_event(client, event("charge.dispute.created", dispute()))

    assert ledger(invoice) == [("pi_1", 12_000), ("pi_1/dispute/dp_1", -12_000)]
    invoice = reloaded(invoice)
    assert (invoice.paid_pence, invoice.due_pence, invoice.status) == (0, 12_000, InvoiceStatus.ISSUED)
    held = db.session.scalar(select(Payment).where(Payment.stripe_payment_intent == "pi_1/dispute/dp_1"))
    assert held.method is PaymentMethod.STRIPE and "dp_1" in held.reference


def test_a_won_dispute_returns_the_money(client, invoice):
    paid_by_stripe(client, invoice)
    post_event(client, event("charge.dispute.created", dispute()))

    post_event(client, event("charge.dispute.closed", dispute(status="won")))

    assert ledger(invoice) == [("pi_1", 12_000), ("pi_1/dispute/dp_1", -12_000), ("pi_1/dispute/dp_1/won", 12_000)]
    assert reloaded(invoice).status is InvoiceStatus.PAID


def test_a_lost_dispute_leaves_the_money_gone(client, invoice):
    paid_by_stripe(client, invoice)
    post_event(client, event("charge.dispute.created", dispute()))

    post_event(client, event("charge.dispute.closed", dispute(status="lost")))

    assert ledger(invoice) == [("pi_1", 12_000), ("pi_1/dispute/dp_1", -12_000)]
    assert reloaded(invoice).due_pence == 12_000


@pytest.mark.parametrize("closed_first", [False, True])
def test_created_and_closed_in_either_order_record_the_same(client, invoice, closed_first):
    paid_by_stripe(client, invoice)
    events = [event("charge.dispute.created", dispute()), event("charge.dispute.closed", dispute(status="won"))]

    for e in reversed(events) if closed_first else events:
        post_event(client, e)

    assert sorted(ledger(invoice)) == [
        ("pi_1", 12_000),
        ("pi_1/dispute/dp_1", -12_000),
        ("pi_1/dispute/dp_1/won", 12_000),
    ]
    assert reloaded(invoice).status is InvoiceStatus.PAID


def test_repeated_dispute_events_are_recorded_once(client, invoice):
    paid_by_stripe(client, invoice)
    created = event("charge.dispute.created", dispute())
    won = event("charge.dispute.closed", dispute(status="won"))

    for e in (created, created, created | {"id": "evt_other_copy"}, won, won | {"id": "evt_won_copy"}):
        post_event(client, e)

    assert [amount for _, amount in ledger(invoice)] == [12_000, -12_000, 12_000]


def test_a_partial_dispute_holds_back_only_the_disputed_amount(client, invoice):
    paid_by_stripe(client, invoice)

    post_event(client, event("charge.dispute.created", dispute(amount=5_000)))

    invoice = reloaded(invoice)
    assert (invoice.paid_pence, invoice.due_pence, invoice.status) == (7_000, 5_000, InvoiceStatus.PART_PAID)


def test_an_inquiry_holds_nothing_back(client, invoice):
    paid_by_stripe(client, invoice)

    post_event(client, event("charge.dispute.created", dispute(status="warning_needs_response")))
    post_event(client, event("charge.dispute.closed", dispute(status="warning_closed")))

    assert ledger(invoice) == [("pi_1", 12_000)]
    assert reloaded(invoice).status is InvoiceStatus.PAID


@pytest.mark.parametrize(
    "body",
    [dispute(intent="pi_unknown"), dispute(currency="eur"), dispute(amount=0)],
    ids=["unknown payment", "not GBP", "no amount"],
)
def test_a_dispute_that_matches_nothing_is_acknowledged_and_records_nothing(client, invoice, body):
    paid_by_stripe(client, invoice)

    post_event(client, event("charge.dispute.created", body))

    assert ledger(invoice) == [("pi_1", 12_000)]
