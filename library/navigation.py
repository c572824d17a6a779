"""Dashboard cards and menu links for the policy library and the impact pages."""

from flask import url_for

from kernel.navigation import Card, Link
from library import services
from organisations.models import User


def cards(user: User) -> list[Card]:
    result = []
    if user.member_ids:
        overdue = services.overdue(member_ids=sorted(user.member_ids))
        flagged = f" {overdue.total} overdue: review them now." if overdue.total else ""
        result.append(
            Card(
                "Policies",
                "Model policies to adopt, new versions to review, and what your staff have read." + flagged,
                [Link("Policy library", url_for("library.index")), Link("Review tasks", url_for("library.tasks"))],
                order=14,
            )
        )
    if user.is_admin:
        result.append(
            Card(
                "Policy library",
                "National policy templates every consortium's members can adopt.",
                [
                    Link("Policy library", url_for("library.index")),
                    Link("New template", url_for("library.new_template")),
                ],
                order=24,
            )
        )
    for grant in user.grants:
        if grant.consortium is not None:
            overdue = services.overdue(consortium_id=grant.consortium_id)
            flagged = f" {overdue.total} reviews overdue." if overdue.total else ""
            result.append(
                Card(
                    f"Policies: {grant.consortium.name}",
                    "Publish model policies and see which members have adopted the current version." + flagged,
                    [
                        Link("Policy library", url_for("library.index")),
                        Link("Adoption grid", url_for("library.grid", consortium_id=grant.consortium_id)),
                    ],
                    order=24,
                )
            )
    return result


def links(user: User) -> list[Link]:
    if user.is_admin or user.member_ids or user.secretary_consortium_ids:
        return [Link("Policies", url_for("library.index"))]
    return []
