"""The catalogue's dashboard cards and menu link."""

from flask import url_for

from kernel.navigation import Card, Link
from organisations.models import User


def cards(user: User) -> list[Card]:
    result = [
        Card(
            "Catalogue",
            "Browse what suppliers offer and the volume prices pooled demand can reach.",
            [
                Link("Browse the catalogue", url_for("catalogue.browse")),
                Link("Buy social: offers from social enterprises", url_for("catalogue.browse", buy_social="y")),
            ],
            order=25,
        )
    ]
    for grant in user.grants:
        if grant.supplier is not None:
            result.append(
                Card(
                    f"Your offers: {grant.supplier.name}",
                    "Keep this supplier's offers, prices and volume tiers up to date.",
                    [
                        Link("Your offers", url_for("catalogue.supplier_offers", supplier_id=grant.supplier_id)),
                        Link("Add an offer", url_for("catalogue.new_offer", supplier_id=grant.supplier_id)),
                    ],
                    order=31,
                )
            )
    return result


def links(user: User) -> list[Link]:
    return [Link("Catalogue", url_for("catalogue.browse"))]
