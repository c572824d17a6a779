"""Dashboard cards and menu links for suppliers' demand and secretaries' consortium dashboards."""

from flask import url_for

from kernel.navigation import Card, Link
from organisations.models import User


def cards(user: User) -> list[Card]:
    result = []
    for grant in user.grants:
        if grant.supplier is not None:
            result.append(
                Card(
                    f"Demand for {grant.supplier.name}",
                    "Open pools as a forecast, with the ones about to reach a tier; orders sent to you; CSV export.",
                    [
                        Link("Demand dashboard", url_for("portal.supplier_demand", supplier_id=grant.supplier_id)),
                        Link(
                            "Download the demand as CSV",
                            url_for("portal.supplier_demand_csv", supplier_id=grant.supplier_id),
                        ),
                    ],
                    order=32,
                )
            )
        elif grant.consortium is not None:
            result.append(
                Card(
                    f"{grant.consortium.name} at a glance",
                    "Pools by status, pools that will miss their minimum, orders to progress, members yet to pledge.",
                    [
                        Link(
                            "Consortium dashboard",
                            url_for("portal.consortium_dashboard", consortium_id=grant.consortium_id),
                        )
                    ],
                    order=22,
                )
            )
    return result


def links(user: User) -> list[Link]:
    suppliers = [g.supplier for g in user.grants if g.supplier is not None]
    return [
        Link(
            "Demand" if len(suppliers) == 1 else f"Demand: {supplier.name}",
            url_for("portal.supplier_demand", supplier_id=supplier.id),
        )
        for supplier in suppliers
    ]
