"""Webhooks delivered at the same moment: Stripe retries and sends one payment's events in any
order, sometimes to two hosts at once. A delivery that loses the race is answered 409, so
Stripe delivers it again later; each ends with the money counted exactly once."""

import json
from concurrent.futures import ThreadPoolExecutor
from threading import Barrier

import pytest
from sqlalchemy import func, select

from billing.models import Invoice, InvoiceStatus, Payment, StripeEvent
from kernel.extensions import db
from tests.billing.fake_stripe import CONFIG, checkout_session, event, payment_intent, sign

stripe_on = pytest.mark.app_config(CONFIG)


def _deliver(client, body: dict) -> int:
    payload = json.dumps(body)
    return client.post(
        "/stripe/webhook", data=payload, content_type="application/json", headers={"Stripe-Signature": sign(payload)}
    ).status_code


def _deliver_at_once_then_retry(app, events: list[dict]) -> list[int]:
    """Every event at the same moment; those refused are delivered again, as Stripe would."""
    barrier = Barrier(len(events))

    def deliver(body: dict) -> int:
        client = app.test_client()
        barrier.wait(timeout=30)
        return _deliver(client, body)

    with ThreadPoolExecutor(max_workers=len(events)) as executor:
        statuses = list(executor.map(deliver, events))
    assert set(statuses) <= {200, 409} and 200 in statuses, statuses
    retried = [
        _deliver(app.test_client(), body) for body, status in zip(events, statuses, strict=True) if status != 200
    ]
    assert retried == [200] * len(retried)
    return statuses


def _payments(invoice_id: int) -> list[int]:
    db.session.expire_all()
    return list(db.session.scalars(select(Payment.amount_pence).where(Payment.invoice_id == invoice_id)))


@stripe_on
def test_one_event_delivered_six_times_at_once_is_recorded_once(app, invoice, postgresql_only):
    completed = event("checkout.session.completed", checkout_session(invoice.id, 12_000, "pi_1"), "evt_race")

    _deliver_at_once_then_retry(app, [completed] * 6)

    assert _payments(invoice.id) == [12_000]
    assert db.session.scalar(select(func.count()).select_from(StripeEvent)) == 1
    assert db.session.get(Invoice, invoice.id).status is InvoiceStatus.PAID


@stripe_on
def test_both_events_of_one_payment_at_once_count_the_money_once(app, invoice, postgresql_only):
    completed = event("checkout.session.completed", checkout_session(invoice.id, 12_000, "pi_1"))
    succeeded = event("payment_intent.succeeded", payment_intent(invoice.id, 12_000, "pi_1"))

    _deliver_at_once_then_retry(app, [completed, succeeded, completed, succeeded])

    assert _payments(invoice.id) == [12_000]
