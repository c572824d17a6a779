"""Dashboard cards and menu links for trading between members."""

from flask import url_for

from kernel.navigation import Card, Link
from organisations.models import User
from trading import services


def cards(user: User) -> list[Card]:
    result = []
    if user.member_ids:
        waiting = services.waiting_requests(user)
        flagged = f" {waiting} booking request{'s' if waiting != 1 else ''} wait for your answer." if waiting else ""
        result.append(
            Card(
                "Trading with members",
                "Offer your spare rooms, capacity, equipment and staff time to other members, and book theirs."
                + flagged,
                [
                    Link("Listings", url_for("trading.index")),
                    Link("Bookings", url_for("trading.bookings")),
                    Link("Trade invoices", url_for("trading.invoices")),
                ],
                order=16,
            )
        )
    for grant in user.grants:
        if grant.consortium is not None:
            result.append(
                Card(
                    f"Trading: {grant.consortium.name}",
                    "Members' listings and bookings, trading terms, disputes and monthly clearing.",
                    [
                        Link("Listings", url_for("trading.index")),
                        Link("Trading terms", url_for("trading.terms", consortium_id=grant.consortium_id)),
                        Link("Monthly clearing", url_for("trading.run_clearing", consortium_id=grant.consortium_id)),
                    ],
                    order=25,
                )
            )
    return result


def links(user: User) -> list[Link]:
    if user.is_admin or user.member_ids or user.secretary_consortium_ids:
        return [Link("Trading", url_for("trading.index"))]
    return []
