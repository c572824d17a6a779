"""Reminders of what is due: one email a day in the outbox, to the invoice's buyer, from its consortium."""

from datetime import date

import pytest

from billing import services
from billing.payments import record_payment
from billing.reminders import send_reminder
from kernel.errors import Conflict, Forbidden
from kernel.extensions import db
from organisations.models import OutboxMessage, Role
from tests import factories
from tests.billing.test_invoicing import delivered_order
from tests.factories import api_token, sign_in


def outbox() -> list[OutboxMessage]:
    return factories.outbox_messages()


def remind(app, actor, invoice, today):
    with app.test_request_context():
        return send_reminder(actor, invoice, today=today)


def test_an_overdue_reminder_says_what_is_due_since_when_and_links_the_invoice(app, world, invoice):
    message = remind(app, world.secretary, invoice, date(2026, 4, 11))

    assert message.kind == "invoice_reminder" and message.consortium_id == world.consortium.id
    assert message.to_email == invoice.buyer_email == world.member.organisation.contact_email
    assert message.subject == f"Tayside: invoice {invoice.number}, £120.00 overdue"
    link = f"{app.config['PUBLIC_URL']}/invoices/{invoice.id}"
    for body in (message.body_text, message.body_html):
        assert invoice.number in body and "£120.00" in body and "Tayside" in body and link in body
        assert "1 Apr 2026" in body and "10 days overdue" in body
    assert message.dedupe_key == f"reminder:{invoice.id}:2026-04-11"


def test_a_reminder_before_the_due_date_says_when_it_is_due(app, world, invoice):
    message = remind(app, world.secretary, invoice, date(2026, 3, 20))
    assert message.subject.endswith("£120.00 due")
    assert "It is due on 1 Apr 2026." in message.body_text and "overdue" not in message.body_text


def test_a_reminder_asks_for_what_is_still_due_after_a_part_payment(app, world, invoice):
    record_payment(world.secretary, invoice, 5_000, date(2026, 3, 10), "BACS part")
    assert "£70.00 still to pay" in remind(app, world.secretary, invoice, date(2026, 4, 2)).body_text


def test_one_reminder_a_day(app, world, invoice):
    remind(app, world.secretary, invoice, date(2026, 4, 11))
    with pytest.raises(Conflict, match=r"A reminder was already sent today\."):
        remind(app, world.admin, invoice, date(2026, 4, 11))
    remind(app, world.secretary, invoice, date(2026, 4, 12))
    assert len(outbox()) == 2


def test_only_the_consortiums_secretary_or_an_admin_reminds(app, world, invoice):
    with pytest.raises(Forbidden):
        remind(app, world.member_user, invoice, date(2026, 4, 11))
    other_secretary = factories.user("lothians@example.org", (Role.SECRETARY, world.other_consortium.id))
    with pytest.raises(Forbidden):
        remind(app, other_secretary, invoice, date(2026, 4, 11))
    assert outbox() == []


def test_an_invoice_issued_for_an_order_is_reminded_with_its_real_amount(app, world):
    order = delivered_order(world)
    invoice = next(i for i in services.issue_invoices(world.secretary, order.id) if i.member_id == world.member.id)
    message = remind(app, world.secretary, invoice, invoice.due_date)
    assert f"£{invoice.total_pence // 100:,}.{invoice.total_pence % 100:02d} still to pay" in message.body_text


# Pages


def test_the_secretary_sends_a_reminder_from_the_invoice_page(client, world, invoice):
    sign_in(client, world.secretary)
    assert "Send a reminder" in client.get(f"/invoices/{invoice.id}").get_data(as_text=True)

    response = client.post(f"/invoices/{invoice.id}/reminder")

    assert response.status_code == 302 and response.location == f"/invoices/{invoice.id}"
    page = client.get(response.location).get_data(as_text=True)
    assert f"Reminder for {invoice.number} sent to {invoice.buyer_email}." in page
    (message,) = outbox()
    assert message.to_email == invoice.buyer_email
    assert "£120.00" in message.body_text and f"http://127.0.0.1:5000/invoices/{invoice.id}" in message.body_text


def test_the_billing_page_reminds_from_each_overdue_row(client, world, invoice):
    sign_in(client, world.secretary)
    page = client.get(f"/billing/{world.consortium.id}?status=overdue").get_data(as_text=True)
    row = page[page.index(f">{invoice.number}</a>") :].split("</tr>")[0]
    assert "overdue" in row and f'action="/invoices/{invoice.id}/reminder"' in row

    response = client.post(f"/invoices/{invoice.id}/reminder", data={"return_to": "billing"})

    assert response.status_code == 302 and response.location == f"/billing/{world.consortium.id}"
    assert [m.to_email for m in outbox()] == [invoice.buyer_email]


def test_pressing_twice_in_a_day_sends_one_reminder(client, world, invoice):
    sign_in(client, world.secretary)
    assert client.post(f"/invoices/{invoice.id}/reminder").status_code == 302
    again = client.post(f"/invoices/{invoice.id}/reminder")
    assert again.status_code == 409
    assert "A reminder was already sent today." in again.get_data(as_text=True)
    assert len(outbox()) == 1


def test_a_paid_invoice_has_nothing_to_remind_of(client, world, invoice):
    record_payment(world.secretary, invoice, 12_000, date(2026, 3, 10), "BACS in full")
    db.session.commit()
    sign_in(client, world.secretary)
    assert "Send a reminder" not in client.get(f"/invoices/{invoice.id}").get_data(as_text=True)
    response = client.post(f"/invoices/{invoice.id}/reminder")
    assert response.status_code == 409 and "nothing to remind of" in response.get_data(as_text=True)
    assert [m.kind for m in outbox()] == ["payment_received"]


def test_another_consortiums_secretary_finds_no_such_invoice(client, world, invoice):
    other_secretary = factories.user("lothians@example.org", (Role.SECRETARY, world.other_consortium.id))
    db.session.commit()
    sign_in(client, other_secretary)
    assert client.post(f"/invoices/{invoice.id}/reminder").status_code == 404
    assert outbox() == []


def test_the_member_cannot_send_reminders(client, world, invoice):
    sign_in(client, world.member_user)
    assert "Send a reminder" not in client.get(f"/invoices/{invoice.id}").get_data(as_text=True)
    assert client.post(f"/invoices/{invoice.id}/reminder").status_code == 403
    assert outbox() == []


# API


def test_the_api_sends_a_reminder_once_a_day(client, world, invoice):
    headers = api_token(world.secretary)
    response = client.post(f"/api/v1/invoices/{invoice.id}/reminders", headers=headers)

    assert response.status_code == 201
    (message,) = outbox()
    body = response.get_json()
    assert body["id"] == message.id and body["to_email"] == invoice.buyer_email
    assert body["subject"] == message.subject and body["created_at"].endswith("+00:00")

    again = client.post(f"/api/v1/invoices/{invoice.id}/reminders", headers=headers)
    assert again.status_code == 409
    assert again.get_json()["error"] == {
        "code": "conflict",
        "message": "A reminder was already sent today.",
        "fields": {},
    }
    assert len(outbox()) == 1


def test_the_api_hides_other_consortiums_invoices_and_refuses_members(client, world, invoice):
    other_secretary = factories.user("lothians@example.org", (Role.SECRETARY, world.other_consortium.id))
    url = f"/api/v1/invoices/{invoice.id}/reminders"
    assert client.post(url, headers=api_token(other_secretary)).status_code == 404
    assert client.post(url, headers=api_token(world.member_user)).status_code == 403
    assert outbox() == []
