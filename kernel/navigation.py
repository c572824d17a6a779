"""Dashboard cards and menu links: each package contributes its own, the factory wires them.

A contributor is a function of the user returning cards; this keeps the dashboard in
the kernel without it importing the packages above it.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask import Flask, current_app

# The signed-in user: the kernel knows no people, only that contributors take one.
User = Any


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
    app.add_template_global(dashboard_cards)
    app.add_template_global(nav_links)
