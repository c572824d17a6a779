"""The happenings of invoices that members are told of (issued, paid, overdue), as outbox events.

Like orders.notices: written with the change, one row however many people it reaches, and
named in its dedupe key, so a re-run issues, records or reminds nothing twice; billing.messages
turns each into messages in the sender.
"""

from datetime import date, timedelta

from sqlalchemy import select

from billing.models import Invoice, InvoiceStatus, Payment
from kernel.extensions import db
from orders.models import PurchaseOrder
from organisations import outbox

OVERDUE_STAGES = (14, 7)  # days overdue, latest first: a late run sends only the latest stage due


def invoices_issued(order: PurchaseOrder) -> None:
    """The invoices of an order are issued together, once, so the order names them."""
    outbox.record("invoice_issued", order.id, f"invoices_issued:po{order.id}")


def payment_received(invoice: Invoice, payment: Payment) -> None:
    """The message states what was still due just after this payment, not after later ones."""
    outbox.record("payment_received", payment.id, f"payment:{payment.id}", due_pence=invoice.due_pence)


def overdue_stage(invoice: Invoice, today: date) -> int | None:
    overdue_days = (today - invoice.due_date).days
    return next((stage for stage in OVERDUE_STAGES if overdue_days >= stage), None)


def overdue_invoices(today: date) -> list[Invoice]:
    """Unpaid invoices at least the first stage overdue, oldest due first."""
    first_stage = today - timedelta(days=min(OVERDUE_STAGES))
    return [
        invoice
        for invoice in db.session.scalars(
            select(Invoice)
            .where(Invoice.status.in_([InvoiceStatus.ISSUED, InvoiceStatus.PART_PAID]), Invoice.due_date <= first_stage)
            .order_by(Invoice.due_date, Invoice.id)
        )
        if invoice.due_pence > 0
    ]


def invoice_overdue(invoice: Invoice, today: date) -> bool:
    """The reminder of the latest stage the invoice has reached; once per invoice and stage (False if told)."""
    stage = overdue_stage(invoice, today)
    if stage is None or invoice.due_pence <= 0:
        return False
    return outbox.record(
        "invoice_overdue",
        invoice.id,
        f"overdue:{invoice.id}:{stage}",
        stage=stage,
        overdue_days=(today - invoice.due_date).days,
    )
