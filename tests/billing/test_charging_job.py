"""The charging job killed half way: no invoice is left uncharged for ever, and none is charged twice.

A killed worker runs no `except` or `finally` of the app's; `WorkerKilled` (a BaseException the job
does not catch) stands in for it, and the test then drops the dead worker's open transaction.
"""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from billing import charging, stripe_gateway
from billing.models import InvoiceStatus, Payment, SavedMethodCharge
from billing.stripe_gateway import ChargeRun, charge_due, worst_case_seconds
from kernel.extensions import db
from organisations.models import OutboxMessage
from tests.billing.conftest import issued_invoice
from tests.billing.fake_stripe import CONFIG, FakeStripe
from tests.billing.test_saved_methods import save_method

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
INTENTS = "/v1/payment_intents"


class WorkerKilled(BaseException):
    """The process dies here: SIGKILL, the OOM killer, the host going away."""


@pytest.fixture
def fake(app) -> FakeStripe:
    app.config["STRIPE_HTTP_CLIENT"] = fake = FakeStripe()
    return fake


@pytest.fixture
def queued(world, invoice, frozen_clock):
    """Our member's £120.00 invoice, queued for its saved card when it was issued."""
    frozen_clock.set(NOW)
    save_method(world.member)
    charging.charge_after_commit([invoice.id])
    db.session.commit()
    return invoice


def dies(*args) -> None:
    raise WorkerKilled()


def breaks(*args) -> None:
    raise OSError("disk full")


def killed(run) -> None:
    with pytest.raises(WorkerKilled):
        run()
    db.session.rollback()  # what the database does with a dead worker's transaction


def payments(invoice) -> list[int]:
    db.session.expire_all()
    return [p.amount_pence for p in db.session.scalars(select(Payment).where(Payment.invoice_id == invoice.id))]


stripe_on = pytest.mark.app_config(CONFIG)


@stripe_on
def test_killed_after_stripe_charged_the_next_run_records_that_charge_and_makes_no_other(
    queued, fake, frozen_clock, monkeypatch
):
    with monkeypatch.context() as dying:
        dying.setattr(stripe_gateway, "record_stripe_payment", dies)
        killed(charge_due)
    assert len(fake.answered(INTENTS)) == 1 and payments(queued) == []

    assert charge_due() == ChargeRun(), "while the dead worker's claim holds, nobody charges the invoice"
    frozen_clock.set(NOW + charging.LEASE + timedelta(seconds=1))
    assert charge_due() == ChargeRun(charged=1)

    first, retry = fake.to(INTENTS)
    assert first.headers["Idempotency-Key"] == retry.headers["Idempotency-Key"] == f"invoice-{queued.id}-charge-1"
    assert len(fake.answered(INTENTS)) == 1, "Stripe answered the retry with the first charge"
    assert payments(queued) == [12_000]
    assert db.session.get(type(queued), queued.id).status is InvoiceStatus.PAID
    assert charge_due() == ChargeRun() and len(fake.to(INTENTS)) == 2


@stripe_on
def test_killed_before_calling_stripe_the_invoice_is_charged_once_the_claim_lapses(
    queued, fake, frozen_clock, monkeypatch
):
    with monkeypatch.context() as dying:
        dying.setattr(stripe_gateway.StripeGateway, "charge_saved_method", dies)
        killed(charge_due)
    assert fake.requests == [] and payments(queued) == []

    frozen_clock.set(NOW + charging.LEASE + timedelta(seconds=1))
    assert charge_due() == ChargeRun(charged=1)

    assert len(fake.answered(INTENTS)) == 1
    assert payments(queued) == [12_000]
    charge = db.session.scalar(select(SavedMethodCharge))
    assert (charge.tries, charge.outcome) == (2, "charged")


@stripe_on
def test_a_charge_that_keeps_breaking_off_is_given_up_and_the_member_sent_the_pay_link(
    queued, fake, frozen_clock, monkeypatch
):
    monkeypatch.setattr(stripe_gateway.StripeGateway, "charge_saved_method", breaks)
    for attempt in range(charging.MAX_TRIES):
        frozen_clock.set(NOW + attempt * (charging.LEASE + timedelta(seconds=1)))
        assert charge_due() == ChargeRun(failed=1)
    assert db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "invoice_pay_link")).all() == []

    frozen_clock.set(NOW + charging.MAX_TRIES * (charging.LEASE + timedelta(seconds=1)))
    assert charge_due() == ChargeRun(needs_member=1)

    [link] = db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "invoice_pay_link")).all()
    assert link.to_email == queued.buyer_email and f"/invoices/{queued.id}" in link.body_text
    assert payments(queued) == [] and fake.requests == []


@stripe_on
def test_one_invoice_breaking_off_holds_up_no_other(world, invoice, fake, frozen_clock, monkeypatch):
    frozen_clock.set(NOW)
    save_method(world.member)
    second = issued_invoice(world.member, net_pence=5_000, vat_pence=1_000)
    charging.charge_after_commit([invoice.id, second.id])
    db.session.commit()
    real = stripe_gateway.StripeGateway.charge_saved_method

    def breaks_on_the_first(gateway, charged, *args):
        if charged.id == invoice.id:
            breaks()
        return real(gateway, charged, *args)

    monkeypatch.setattr(stripe_gateway.StripeGateway, "charge_saved_method", breaks_on_the_first)

    assert charge_due() == ChargeRun(charged=1, failed=1)
    assert (payments(invoice), payments(second)) == ([], [6_000])


def test_a_claim_outlasts_the_longest_stripe_call(app):
    assert charging.LEASE.total_seconds() > 4 * worst_case_seconds(app.config)
