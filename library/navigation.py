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
    for grant in user.grants:
        if grant.member is not None:
            result.append(
                Card(
                    f"Impact: {grant.member.name}",
                    "Savings, buy-social spend, policies adopted and the figures you record (jobs, volunteers, "
                    "people supported), for funders as PDF or CSV.",
                    [
                        Link("Impact", url_for("impact.member", member_id=grant.member_id)),
                        Link("Record a figure", url_for("impact.records", member_id=grant.member_id)),
                    ],
                    order=15,
                )
            )
    if user.is_admin:
        result.append(
            Card(
                "Impact across the platform",
                "Every consortium's savings, buy-social spend, policies adopted and members' verified figures.",
                [Link("Platform impact", url_for("impact.platform"))],
                order=42,
            )
        )
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
                        Link("Impact", url_for("impact.consortium", consortium_id=grant.consortium_id)),
                        Link("Impact measures", url_for("impact.measures", consortium_id=grant.consortium_id)),
                    ],
                    order=24,
                )
            )
    return result


def links(user: User) -> list[Link]:
    if user.is_admin or user.member_ids or user.secretary_consortium_ids:
        return [Link("Policies", url_for("library.index"))]
    return []
