"""The messages of invoice events (billing.notices), written by the sender, not by the change."""

from sqlalchemy import select

from billing.models import Invoice, Payment
from kernel.extensions import db
from kernel.formatting import pounds
from organisations.models import OutboxEvent
from organisations.notifications import Letter, external_url, member_users, notify, notify_each


def _invoice_context(invoice: Invoice) -> dict:
    return {"invoice": invoice, "invoice_url": external_url("billing.invoice", invoice_id=invoice.id)}


def _tell_invoices_issued(event: OutboxEvent) -> int:
    """Each member's users hear of their new invoice, its total and when it is due."""
    invoices = list(
        db.session.scalars(select(Invoice).where(Invoice.purchase_order_id == event.subject_id).order_by(Invoice.id))
    )
    users_of = member_users(invoice.member_id for invoice in invoices)
    return notify_each(
        "invoice_issued",
        (
            Letter(
                users_of[invoice.member_id],
                f"{invoice.consortium.name}: invoice {invoice.number}, {pounds(invoice.total_pence)}",
                "invoice_issued",
                _invoice_context(invoice),
                invoice.consortium,
                f"invoice_issued:{invoice.id}",
            )
            for invoice in invoices
            if invoice.member_id in users_of
        ),
    )


def _tell_payment_received(event: OutboxEvent) -> int:
    """The member's users hear what arrived and what was still due after it."""
    payment = db.session.get_one(Payment, event.subject_id)
    invoice = payment.invoice
    due_pence = event.detail["due_pence"]
    return notify(
        "payment_received",
        member_users([invoice.member_id]).get(invoice.member_id, []),
        f"{invoice.consortium.name}: {pounds(payment.amount_pence)} received for {invoice.number}",
        "payment_received",
        _invoice_context(invoice) | {"payment": payment, "due_pence": due_pence},
        invoice.consortium,
        event.dedupe_key,
    )


def _tell_invoice_overdue(event: OutboxEvent) -> int:
    """The reminder of the stage the invoice had reached, unless it has been paid since."""
    invoice = db.session.get_one(Invoice, event.subject_id)
    if invoice.due_pence <= 0:
        return 0
    stage = event.detail["stage"]
    return notify(
        "invoice_overdue",
        member_users([invoice.member_id]).get(invoice.member_id, []),
        f"{invoice.consortium.name}: invoice {invoice.number} is overdue, {pounds(invoice.due_pence)} to pay",
        "invoice_overdue",
        _invoice_context(invoice) | {"overdue_days": event.detail["overdue_days"], "stage": stage},
        invoice.consortium,
        event.dedupe_key,
    )


EXPANDERS = {
    "invoice_issued": _tell_invoices_issued,
    "payment_received": _tell_payment_received,
    "invoice_overdue": _tell_invoice_overdue,
}
