"""Dashboard cards and menu links: each package contributes its own, the factory wires them.

A contributor is a function of the user returning cards; this keeps the dashboard in
`marketplace` without it importing the packages above it.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from flask import Flask, current_app, url_for

from marketplace.models import User


@dataclass
class Link:
    label: str
    url: str


@dataclass
class Card:
    title: str
    text: str = ""
    links: list[Link] = field(default_factory=list)
    order: int = 50


Contributor = Callable[[User], list[Card]]


def marketplace_cards(user: User) -> list[Card]:
    cards = []
    for grant in user.grants:
        if grant.member is not None:
            cards.append(
                Card(
                    f"{grant.member.name}",
                    f"You act for this member of the {grant.member.network.name}.",
                    [Link("Billing details", url_for("marketplace.member_profile", member_id=grant.member_id))],
                    order=10,
                )
            )
        elif grant.consortium is not None:
            cards.append(
                Card(
                    f"Secretary of {grant.consortium.name}",
                    "You run this consortium's pools, orders and invoices.",
                    order=20,
                )
            )
        elif grant.supplier is not None:
            cards.append(
                Card(
                    f"Supplier: {grant.supplier.name}",
                    "You keep this supplier's catalogue and see the demand for it.",
                    order=30,
                )
            )
    if user.is_admin:
        cards.append(
            Card(
                "Platform admin",
                "Consortia, networks, members, suppliers and users.",
                [Link("Admin pages", url_for("admin.index"))],
                order=40,
            )
        )
    cards.append(
        Card(
            "Emails",
            "Choose which emails the platform sends you.",
            [Link("Email choices", url_for("notifications.preferences"))],
            order=85,
        )
    )
    cards.append(
        Card(
            "Integrations",
            "Use the JSON API from scripts and spreadsheets.",
            [Link("API tokens", url_for("marketplace.api_tokens"))],
            order=90,
        )
    )
    return cards


def admin_links(user: User) -> list[Link]:
    return [Link("Admin", url_for("admin.index"))] if user.is_admin else []


def register(app: Flask, cards: Contributor | None = None, links: Callable[[User], list[Link]] | None = None) -> None:
    registry = app.extensions.setdefault("navigation", {"cards": [], "links": []})
    if cards:
        registry["cards"].append(cards)
    if links:
        registry["links"].append(links)


def dashboard_cards(user: User) -> list[Card]:
    registry = current_app.extensions["navigation"]
    cards = [card for contributor in registry["cards"] for card in contributor(user)]
    return sorted(cards, key=lambda card: card.order)


def nav_links(user: User) -> list[Link]:
    registry = current_app.extensions["navigation"]
    return [link for contributor in registry["links"] for link in contributor(user)]


def init_app(app: Flask) -> None:
    register(app, marketplace_cards, admin_links)
    app.add_template_global(dashboard_cards)
    app.add_template_global(nav_links)
