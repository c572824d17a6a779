"""Dashboard cards and menu links for invoices and billing."""

from flask import url_for
from sqlalchemy import select
from sqlalchemy.orm import lazyload

from billing.models import Invoice
from kernel.extensions import db
from kernel.formatting import pounds
from kernel.navigation import Card, Link
from orders.models import Pool, PurchaseOrder
from organisations.models import User


def cards(user: User) -> list[Card]:
    result = []
    if user.member_ids:
        result.append(
            Card(
                "Invoices and payments",
                "Your cost shares, exact to the penny, and your statement.",
                [Link("Invoices", url_for("billing.invoices")), Link("Statement", url_for("billing.statement"))],
                order=12,
            )
        )
    for grant in user.grants:
        if grant.consortium is not None:
            result.append(
                Card(
                    f"Billing: {grant.consortium.name}",
                    "Invoice delivered orders, chase overdue invoices, record bank payments, credit notes, aged debt, "
                    "payments received and exports for the accountant.",
                    [
                        Link("Billing", url_for("billing.billing_page", consortium_id=grant.consortium_id)),
                        Link(
                            "Overdue invoices",
                            url_for("billing.billing_page", consortium_id=grant.consortium_id, status="overdue"),
                        ),
                        Link("Aged debt", url_for("billing.aged_debt", consortium_id=grant.consortium_id)),
                        Link(
                            "Payments received",
                            url_for("billing.payments_received", consortium_id=grant.consortium_id),
                        ),
                        Link("Invoices", url_for("billing.invoices")),
                    ],
                    order=22,
                )
            )
    return result


def links(user: User) -> list[Link]:
    if user.member_ids or user.secretary_consortium_ids:
        return [Link("Invoices", url_for("billing.invoices"))]
    return []


def pool_invoice_links(user: User, pool: Pool) -> list[Link]:
    """A closed pool's page links the user's own members' invoices for it, and its secretaries' billing pages."""
    links = []
    if user.member_ids:
        invoices = db.session.scalars(
            select(Invoice)
            .join(PurchaseOrder, PurchaseOrder.id == Invoice.purchase_order_id)
            .where(PurchaseOrder.pool_id == pool.id, Invoice.member_id.in_(user.member_ids))
            .options(lazyload("*"))
            .order_by(Invoice.id)
        )
        links += [
            Link(f"Invoice {i.number} ({pounds(i.total_pence)})", url_for("billing.invoice", invoice_id=i.id))
            for i in invoices
        ]
    links += [
        Link(f"Billing: {c.name}", url_for("billing.billing_page", consortium_id=c.id))
        for c in pool.consortia
        if c.id in user.secretary_consortium_ids
    ]
    return links
