"""Dashboard cards and menu links for invoices and billing."""

from flask import url_for

from kernel.navigation import Card, Link
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
