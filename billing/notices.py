"""What members are told about their invoices: issued, paid, overdue; written with the change.

Like orders.notices, each event names itself in its dedupe key, so a re-run issues, records
or reminds nothing twice.
"""

from datetime import date, timedelta

from sqlalchemy import select

from billing.models import Invoice, InvoiceStatus, Payment
from kernel.extensions import db
from kernel.formatting import pounds
from organisations.notifications import external_url, member_users, notify

OVERDUE_STAGES = (14, 7)  # days overdue, latest first: a late run sends only the latest stage due


def _invoice_context(invoice: Invoice) -> dict:
    return {"invoice": invoice, "invoice_url": external_url("billing.invoice", invoice_id=invoice.id)}


def invoices_issued(issued) -> int:
    """Each member's users hear of their new invoice, its total and when it is due.

    `issued` is billing.services.IssuedInvoices: only the invoices of members with someone to tell are loaded.
    """
    users_of = member_users(issued.member_ids)
    return sum(
        notify(
            "invoice_issued",
            users_of[invoice.member_id],
            f"{invoice.consortium.name}: invoice {invoice.number}, {pounds(invoice.total_pence)}",
            "invoice_issued",
            _invoice_context(invoice),
            invoice.consortium,
            f"invoice_issued:{invoice.id}",
        )
        for invoice in issued.of_members(users_of)
    )


def payment_received(invoice: Invoice, payment: Payment) -> int:
    """The member's users hear what arrived and what, if anything, is still due."""
    return notify(
        "payment_received",
        member_users([invoice.member_id]).get(invoice.member_id, []),
        f"{invoice.consortium.name}: {pounds(payment.amount_pence)} received for {invoice.number}",
        "payment_received",
        _invoice_context(invoice) | {"payment": payment},
        invoice.consortium,
        f"payment:{payment.id}",
    )


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


def invoice_overdue(invoice: Invoice, today: date) -> int:
    """The reminder of the latest stage the invoice has reached; once per invoice and stage."""
    stage = overdue_stage(invoice, today)
    if stage is None or invoice.due_pence <= 0:
        return 0
    overdue_days = (today - invoice.due_date).days
    return notify(
        "invoice_overdue",
        member_users([invoice.member_id]).get(invoice.member_id, []),
        f"{invoice.consortium.name}: invoice {invoice.number} is overdue, {pounds(invoice.due_pence)} to pay",
        "invoice_overdue",
        _invoice_context(invoice) | {"overdue_days": overdue_days, "stage": stage},
        invoice.consortium,
        f"overdue:{invoice.id}:{stage}",
    )
