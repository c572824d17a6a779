"""Telling a member what it owes: reminders (one a day at most) and pay links, as emails through the outbox."""

from datetime import date

from billing.models import Invoice
from billing.services import can_manage_billing
from kernel.clock import uk_today
from kernel.errors import Conflict, Forbidden
from kernel.formatting import pounds
from organisations import outbox
from organisations.models import OutboxMessage, User
from organisations.notifications import external_url

KIND = "invoice_reminder"
PAY_LINK_KIND = "invoice_pay_link"


def send_reminder(actor: User, invoice: Invoice, today: date | None = None) -> OutboxMessage:
    """Emails the invoice's buyer what is due, by when, and the link to the invoice.

    The day (UK time) is part of the message's dedupe key, so pressing the button twice in a
    day, or two secretaries at once, sends one reminder.
    """
    if not can_manage_billing(actor, invoice.consortium_id):
        raise Forbidden("Only the consortium's secretary sends its reminders.")
    if invoice.due_pence <= 0:
        raise Conflict(f"Nothing is due on {invoice.number}, so there is nothing to remind of.")
    today = today or uk_today()
    overdue_days = max((today - invoice.due_date).days, 0)
    consortium = invoice.consortium
    subject = (
        f"{consortium.name}: invoice {invoice.number}, {pounds(invoice.due_pence)} "
        f"{'overdue' if overdue_days else 'due'}"
    )
    context = {
        "invoice": invoice,
        "overdue_days": overdue_days,
        "invoice_url": external_url("billing.invoice", invoice_id=invoice.id),
    }
    try:
        return outbox.enqueue(
            KIND,
            invoice.buyer_email,
            subject,
            "invoice_reminder",
            context,
            consortium=consortium,
            dedupe_key=f"reminder:{invoice.id}:{today.isoformat()}",
        )
    except outbox.AlreadyQueued:
        raise Conflict("A reminder was already sent today.") from None


def send_pay_link(invoice: Invoice, pay_url: str) -> OutboxMessage | None:
    """Emails the member the link to pay an invoice its saved card or Direct Debit could not pay
    (declined, or its bank wants the member to confirm); one email per invoice, so None the second time."""
    subject = f"{invoice.consortium.name}: please pay invoice {invoice.number}, {pounds(invoice.due_pence)}"
    try:
        return outbox.enqueue(
            PAY_LINK_KIND,
            invoice.buyer_email,
            subject,
            "invoice_pay_link",
            {"invoice": invoice, "pay_url": pay_url},
            consortium=invoice.consortium,
            dedupe_key=f"pay-link:{invoice.id}",
        )
    except outbox.AlreadyQueued:
        return None
