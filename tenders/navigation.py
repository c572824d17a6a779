"""Dashboard cards and the menu link for tenders: secretaries run them, suppliers bid, evaluators score."""

from flask import url_for

from kernel.navigation import Card, Link
from organisations.models import User


def cards(user: User) -> list[Card]:
    result = []
    if user.is_admin or user.secretary_consortium_ids:
        result.append(
            Card(
                "Tenders",
                "Put a pool's forecast demand out to competition: sealed bids priced as tiers, weighted scoring, "
                "and an award that becomes the pool's prices.",
                [Link("Tenders", url_for("tenders.index")), Link("Start a tender", url_for("tenders.new"))],
                order=26,
            )
        )
    if user.supplier_ids:
        result.append(
            Card(
                "Invitations to tender",
                "Tenders you are invited to: read the specification, ask questions, and bid before the deadline.",
                [Link("Tenders", url_for("tenders.index"))],
                order=26,
            )
        )
    return result


def links(user: User) -> list[Link]:
    if user.is_admin or user.secretary_consortium_ids or user.supplier_ids:
        return [Link("Tenders", url_for("tenders.index"))]
    return []
