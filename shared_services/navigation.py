"""Dashboard cards and menu links for shared-service pools."""

from flask import url_for

from kernel.navigation import Card, Link
from organisations.models import User


def cards(user: User) -> list[Card]:
    result = []
    if user.member_ids:
        result.append(
            Card(
                "Shared services",
                "Share a PR retainer, an HR advice line or IT support: "
                "each period's cost split exactly among the members taking part.",
                [Link("Shared services", url_for("shared_services.list_pools"))],
                order=13,
            )
        )
    if user.is_admin:
        result.append(
            Card(
                "Shared-service pools",
                "Open shared services, national ones across consortia.",
                [
                    Link("All shared services", url_for("shared_services.list_pools")),
                    Link("Create a shared-service pool", url_for("shared_services.create_pool")),
                ],
                order=23,
            )
        )
    for grant in user.grants:
        if grant.consortium is not None:
            result.append(
                Card(
                    f"Shared services: {grant.consortium.name}",
                    "Open shared-service pools, follow who takes part, bill each period.",
                    [
                        Link("Shared services", url_for("shared_services.list_pools")),
                        Link("Create a shared-service pool", url_for("shared_services.create_pool")),
                        Link(
                            "Billing calendar", url_for("shared_services.calendar", consortium_id=grant.consortium_id)
                        ),
                    ],
                    order=23,
                )
            )
    return result


def links(user: User) -> list[Link]:
    if user.member_ids or user.secretary_consortium_ids or user.is_admin:
        return [Link("Shared services", url_for("shared_services.list_pools"))]
    return []
