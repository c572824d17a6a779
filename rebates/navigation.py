"""Dashboard cards and menu links for rebates."""

from flask import url_for

from kernel.navigation import Card, Link
from organisations.models import User


def cards(user: User) -> list[Card]:
    result = []
    if user.member_ids:
        result.append(
            Card(
                "Rebates",
                "What suppliers returned on what we bought together, shared by what each of us spent.",
                [Link("Our rebate shares", url_for("rebates.my_shares"))],
                order=14,
            )
        )
    if user.is_admin or user.secretary_consortium_ids:
        result.append(
            Card(
                "Rebate agreements",
                "Rebates on cumulative volume: claimed when a period ends, shared back to the members.",
                [
                    Link("Rebate agreements", url_for("rebates.list_agreements")),
                    Link("Make a rebate agreement", url_for("rebates.create_agreement")),
                ],
                order=24,
            )
        )
    elif user.supplier_ids:
        result.append(
            Card(
                "Rebate claims",
                "The rebates claimed from you on the consortia's volume.",
                [Link("Rebate claims", url_for("rebates.list_agreements"))],
                order=24,
            )
        )
    return result


def links(user: User) -> list[Link]:
    if user.is_admin or user.secretary_consortium_ids or user.supplier_ids:
        return [Link("Rebates", url_for("rebates.list_agreements"))]
    if user.member_ids:
        return [Link("Rebates", url_for("rebates.my_shares"))]
    return []
