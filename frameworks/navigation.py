"""Menu links and dashboard cards for framework agreements."""

from flask import url_for

from kernel.navigation import Card, Link
from organisations.models import User


def cards(user: User) -> list[Card]:
    if not (user.is_admin or user.member_ids or user.secretary_consortium_ids or user.supplier_ids):
        return []
    return [
        Card(
            "Frameworks",
            "Agreed prices for a term: call off what you need, follow what is ordered, delivered and invoiced.",
            [Link("Frameworks", url_for("frameworks.list_frameworks"))],
            order=14,
        )
    ]


def links(user: User) -> list[Link]:
    if user.is_admin or user.member_ids or user.secretary_consortium_ids or user.supplier_ids:
        return [Link("Frameworks", url_for("frameworks.list_frameworks"))]
    return []
