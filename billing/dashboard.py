"""What invoices ask of members and secretaries today: the dashboard's to-do sections (see orders.dashboard)."""

from flask import url_for
from sqlalchemy import Select, func, select
from sqlalchemy.orm import lazyload

from billing.models import Invoice
from billing.services import BILLABLE, in_state
from kernel.clock import uk_today
from kernel.extensions import db
from kernel.formatting import pounds, uk_date
from kernel.navigation import Entry, Todo, first_few
from kernel.words import quantity
from orders.models import PurchaseOrder
from organisations.models import User


def _owed(query: Select) -> int:
    """What the invoices of `query` still ask for, in pence."""
    owed = query.with_only_columns(
        func.coalesce(func.sum(Invoice.total_pence - Invoice.credited_pence - Invoice.paid_pence), 0)
    ).order_by(None)
    return int(db.session.scalar(owed) or 0)


def _invoice_entry(invoice: Invoice, today, pay: bool) -> Entry:
    late = invoice.due_date < today
    return Entry(
        invoice.number,
        url_for("billing.invoice", invoice_id=invoice.id),
        f"{pounds(invoice.due_pence)} {'was ' if late else ''}due {uk_date(invoice.due_date)}",
        "danger" if late else "neutral",
        "Pay" if pay else "",
    )


def _invoices(states: str, *where) -> Select:
    return in_state(select(Invoice).where(*where).options(lazyload("*")), states).order_by(Invoice.due_date, Invoice.id)


def member_todos(user: User) -> list[Todo]:
    if not user.member_ids:
        return []
    today = uk_today()
    ours = Invoice.member_id.in_(user.member_ids)
    todos = []
    for state, title, order in (("unpaid", "Invoices to pay", 12), ("overdue", "Overdue invoices", 13)):
        query = _invoices(state, ours)
        count, first = first_few(query)
        todos.append(
            Todo(
                f"member.invoices_{state}",
                "member",
                title,
                count,
                url_for("billing.invoices", status=state),
                "See them all",
                [_invoice_entry(invoice, today, pay=True) for invoice in first],
                amount_pence=_owed(query),
                text="Open an invoice to pay it by card or Direct Debit, or by bank transfer to its account.",
                tone="danger" if state == "overdue" and count else "info",
                order=order,
            )
        )
    return todos


def secretary_todos(user: User) -> list[Todo]:
    today = uk_today()
    todos = []
    for grant in user.grants:
        if grant.consortium is None:
            continue
        cid, name = grant.consortium.id, grant.consortium.name
        to_issue_count, to_issue = first_few(
            select(PurchaseOrder)
            .where(
                PurchaseOrder.consortium_id == cid,
                PurchaseOrder.status.in_(BILLABLE),
                ~select(Invoice.id).where(Invoice.purchase_order_id == PurchaseOrder.id).exists(),
            )
            .options(lazyload("*"))
            .order_by(PurchaseOrder.created_at, PurchaseOrder.id)
        )
        overdue = _invoices("overdue", Invoice.consortium_id == cid)
        overdue_count, first_overdue = first_few(overdue)
        todos += [
            Todo(
                "secretary.invoices_to_issue",
                "secretary",
                f"{name}: orders to invoice",
                to_issue_count,
                url_for("billing.billing_page", consortium_id=cid),
                "Go to billing",
                [
                    Entry(
                        order.number,
                        url_for("orders.purchase_order", order_id=order.id),
                        f"{order.offer_name}, {quantity(order.units, order)}, {order.status.value}",
                        "warning",
                    )
                    for order in to_issue
                ],
                text="Confirmed or delivered, and not invoiced yet.",
                tone="warning" if to_issue_count else "info",
                order=23,
            ),
            Todo(
                "secretary.invoices_overdue",
                "secretary",
                f"{name}: overdue invoices",
                overdue_count,
                url_for("billing.billing_page", consortium_id=cid, status="overdue"),
                "Chase them",
                [_invoice_entry(invoice, today, pay=False) for invoice in first_overdue],
                amount_pence=_owed(overdue),
                tone="danger" if overdue_count else "info",
                order=26,
            ),
        ]
    return todos


def todos(user: User) -> list[Todo]:
    return member_todos(user) + secretary_todos(user)
