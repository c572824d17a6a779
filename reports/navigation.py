"""Dashboard cards and menu links for the savings and sales reports."""

from flask import url_for

from kernel.navigation import Card, Link
from organisations.models import User


def cards(user: User) -> list[Card]:
    result = []
    if user.is_admin:
        result.append(
            Card(
                "Savings across the platform",
                "What every consortium saved against list prices, by "
                "category and month, and the share of spend with social enterprises.",
                [Link("Platform savings", url_for("reports.platform")), Link("All reports", url_for("reports.index"))],
                order=41,
            )
        )
    for grant in user.grants:
        if grant.member is not None:
            result.append(
                Card(
                    f"Savings: {grant.member.name}",
                    "What you spent through the pools, what it would have cost at list price, and how "
                    "much went to social enterprises.",
                    [Link("Savings report", url_for("reports.member", member_id=grant.member_id))],
                    order=13,
                )
            )
        elif grant.consortium is not None:
            result.append(
                Card(
                    f"Savings and impact: {grant.consortium.name}",
                    "Figures for funders: spend and saving by category, month, network and member; CSV.",
                    [Link("Savings report", url_for("reports.consortium", consortium_id=grant.consortium_id))],
                    order=23,
                )
            )
        elif grant.supplier is not None:
            result.append(
                Card(
                    f"Sales: {grant.supplier.name}",
                    "Units and value invoiced for your orders, by consortium and month; CSV.",
                    [Link("Sales report", url_for("reports.supplier", supplier_id=grant.supplier_id))],
                    order=33,
                )
            )
    return result


def links(user: User) -> list[Link]:
    if user.is_admin or user.member_ids or user.secretary_consortium_ids or user.supplier_ids:
        return [Link("Reports", url_for("reports.index"))]
    return []
