"""What members are told about invoices: issued, paid (bank or Stripe), and overdue at 7 and 14 days."""

from datetime import date, timedelta

import pytest

from billing import notices, payments, services
from billing.payments import record_payment, record_refund
from kernel.extensions import db
from organisations import notifications
from organisations.models import OutboxMessage, Role
from tests import factories
from tests.billing.conftest import issued_invoice
from tests.billing.fake_stripe import checkout_session, event
from tests.billing.test_invoicing import delivered_order


def outbox(kind: str) -> list[OutboxMessage]:
    return factories.outbox_messages(kind)


def test_issuing_invoices_tells_each_members_users(world):
    order = delivered_order(world)
    colleague = factories.user("finance@example.org", (Role.MEMBER, world.member.id), name="Fin Ance")
    db.session.commit()
    invoices = services.issue_invoices(world.secretary, order.id)
    db.session.commit()

    ours = next(i for i in invoices if i.member_id == world.member.id)
    messages = outbox("invoice_issued")
    assert sorted(m.to_email for m in messages) == ["finance@example.org", "member@example.org"]
    message = next(m for m in messages if m.to_email == "member@example.org")
    assert message.subject == f"Tayside: invoice {ours.number}, £{ours.total_pence / 100:,.2f}"
    assert f"due on {ours.due_date.strftime('%-d %b %Y')}" in message.body_text
    assert f"http://127.0.0.1:5000/invoices/{ours.id}" in message.body_text
    assert ours.number in message.body_html and "Tayside" in message.body_html
    assert services.issue_invoices(world.secretary, order.id) == []
    assert len(outbox("invoice_issued")) == 2
    assert colleague.id in {int(m.dedupe_key.rpartition(":u")[2]) for m in messages}


def test_a_bank_payment_tells_the_member_what_is_left(world, invoice):
    record_payment(world.secretary, invoice, 5_000, date(2026, 3, 10), "BACS part")
    db.session.commit()
    [message] = outbox("payment_received")
    assert message.to_email == "member@example.org"
    assert message.subject == f"Tayside: £50.00 received for {invoice.number}"
    assert "£70.00 is still to pay" in message.body_text

    record_payment(world.secretary, invoice, 7_000, date(2026, 3, 11), "BACS rest")
    db.session.commit()
    assert "The invoice is paid in full." in outbox("payment_received")[1].body_text


def test_a_refund_is_not_a_payment_received(world, invoice):
    record_payment(world.secretary, invoice, 12_000, date(2026, 3, 10), "BACS")
    record_refund(world.secretary, invoice, 2_000, date(2026, 3, 12), "Refund")
    db.session.commit()
    assert len(outbox("payment_received")) == 1


def test_a_stripe_payment_tells_the_member_once_however_often_the_webhook_comes(world, invoice):
    paid = event("checkout.session.completed", checkout_session(invoice.id, 12_000, "pi_123"), event_id="evt_1")
    payments.handle_event(paid)
    db.session.commit()
    payments.handle_event(paid)
    db.session.commit()
    [message] = outbox("payment_received")
    assert message.subject == f"Tayside: £120.00 received for {invoice.number}"


def test_switched_off_payment_emails_are_skipped(world, invoice):
    notifications.switch_off(world.member_user, "payment_received")
    record_payment(world.secretary, invoice, 5_000, date(2026, 3, 10), "BACS part")
    db.session.commit()
    assert outbox("payment_received") == []


@pytest.mark.parametrize("days, stage", [(6, None), (7, 7), (13, 7), (14, 14), (40, 14)])
def test_the_overdue_stage(world, invoice, days, stage):
    assert notices.overdue_stage(invoice, invoice.due_date + timedelta(days=days)) == stage


def remind(runner, monkeypatch, today: date):
    monkeypatch.setattr("billing.cli.uk_today", lambda: today)
    return runner.invoke(args=["remind-overdue-invoices"])


def test_overdue_reminders_at_7_and_14_days_once_each(world, invoice, runner, monkeypatch):
    paid = issued_invoice(world.member)
    record_payment(world.secretary, paid, 12_000, date(2026, 3, 10), "BACS")
    db.session.commit()
    due = invoice.due_date

    assert "0 reminders written for 0 overdue invoices." in remind(runner, monkeypatch, due + timedelta(days=6)).output
    result = remind(runner, monkeypatch, due + timedelta(days=7))
    assert result.exit_code == 0 and "1 reminders written for 1 overdue invoices." in result.output
    [first] = outbox("invoice_overdue")
    assert first.to_email == "member@example.org"
    assert first.subject == f"Tayside: invoice {invoice.number} is overdue, £120.00 to pay"
    assert "is 7 days overdue: £120.00 is still to pay" in first.body_text
    assert first.dedupe_key.startswith(f"overdue:{invoice.id}:7:")

    assert "0 reminders" in remind(runner, monkeypatch, due + timedelta(days=8)).output
    remind(runner, monkeypatch, due + timedelta(days=14))
    remind(runner, monkeypatch, due + timedelta(days=20))
    assert [m.dedupe_key.split(":")[2] for m in outbox("invoice_overdue")] == ["7", "14"]
    assert "is 14 days overdue" in outbox("invoice_overdue")[1].body_text


def test_a_run_that_missed_the_first_stage_sends_only_the_latest(world, invoice, runner, monkeypatch):
    remind(runner, monkeypatch, invoice.due_date + timedelta(days=15))
    assert [m.dedupe_key.split(":")[2] for m in outbox("invoice_overdue")] == ["14"]


def test_an_invoice_paid_before_the_reminder_is_not_chased(world, invoice, runner, monkeypatch):
    record_payment(world.secretary, invoice, 5_000, date(2026, 3, 10), "BACS part")
    record_payment(world.secretary, invoice, 7_000, date(2026, 3, 11), "BACS rest")
    db.session.commit()
    remind(runner, monkeypatch, invoice.due_date + timedelta(days=7))
    assert outbox("invoice_overdue") == []
