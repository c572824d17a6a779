"""What the dashboard and menu offer around pools and pledges."""

from flask import url_for

from kernel.navigation import Card, Link
from organisations.models import User


def cards(user: User) -> list[Card]:
    result = []
    if user.member_ids:
        result.append(
            Card(
                "Buy together",
                "Pledge into open pools and watch the price fall as demand grows.",
                [Link("Open pools", url_for("orders.list_pools")), Link("My pledges", url_for("orders.my_pledges"))],
                order=11,
            )
        )
    if user.secretary_consortium_ids or user.is_admin:
        result.append(
            Card(
                "Pools",
                "Open pools from the catalogue, follow their demand, cancel if needed.",
                [
                    Link("All pools", url_for("orders.list_pools", status="all")),
                    Link("Create a pool", url_for("orders.create_pool")),
                ],
                order=21,
            )
        )
    return result


def links(user: User) -> list[Link]:
    result = []
    if user.member_ids or user.secretary_consortium_ids or user.is_admin:
        result.append(Link("Pools", url_for("orders.list_pools")))
    if user.secretary_consortium_ids or user.supplier_ids or user.is_admin:
        result.append(Link("Purchase orders", url_for("orders.purchase_orders_list")))
    return result
