"""Dashboard cards, to-do sections and menu links: each package contributes its own, the factory wires them.

A contributor is a function of the user returning cards (or to-do sections); this keeps the
dashboard in the kernel without it importing the packages above it. The dashboard page and its
JSON twin both read `dashboard_todos`, so they cannot disagree.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask import Flask, current_app
from sqlalchemy import Select, func

from kernel.extensions import db

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


@dataclass
class Entry:
    """One of the first few things a to-do section lists: what, where to act on it (`action` names the button
    when there is one, "Pay" say), a figure beside it."""

    label: str
    url: str
    detail: str = ""
    tone: str = "neutral"
    action: str = ""


@dataclass
class Todo:
    """A dashboard section that says what to do: how many there are, where to act on them all, the first few.

    `key` names it for the API (role.what, e.g. "secretary.pools_to_close"); `amount_pence` is the money the
    section is about, when it is about money; `tone` is how loudly it asks (info, success, warning, danger).
    """

    key: str
    role: str
    title: str
    count: int
    url: str
    action: str
    entries: list[Entry] = field(default_factory=list)
    amount_pence: int | None = None
    text: str = ""
    tone: str = "info"
    order: int = 50


Contributor = Callable[[User], list[Card]]
TodoContributor = Callable[[User], list[Todo]]
ROLES = ("member", "secretary", "supplier", "admin")
"""The order of the dashboard's role sections."""


def register(
    app: Flask,
    cards: Contributor | None = None,
    links: Callable[[User], list[Link]] | None = None,
    todos: TodoContributor | None = None,
) -> None:
    registry = app.extensions.setdefault("navigation", {"cards": [], "links": [], "todos": []})
    if cards:
        registry["cards"].append(cards)
    if links:
        registry["links"].append(links)
    if todos:
        registry["todos"].append(todos)


def dashboard_cards(user: User) -> list[Card]:
    registry = current_app.extensions["navigation"]
    cards = [card for contributor in registry["cards"] for card in contributor(user)]
    return sorted(cards, key=lambda card: card.order)


FIRST_FEW = 5
"""A to-do section lists this many of its rows; its count and link cover the rest."""


def first_few(query: Select) -> tuple[int, list]:
    """How many rows `query` has and the first few, in one statement however many rows there are: each row
    carries the count of them all (a window over the whole result), so no second statement counts them."""
    rows = db.session.execute(query.add_columns(func.count().over()).limit(FIRST_FEW)).unique().all()
    return (rows[0][-1] if rows else 0), [row[0] for row in rows]


def dashboard_todos(user: User) -> list[Todo]:
    """Every to-do section the user's roles give them, by role then order: the page and the API both show this."""
    registry = current_app.extensions["navigation"]
    todos = [todo for contributor in registry["todos"] for todo in contributor(user)]
    return sorted(todos, key=lambda todo: (ROLES.index(todo.role), todo.order))


def nav_links(user: User) -> list[Link]:
    registry = current_app.extensions["navigation"]
    return [link for contributor in registry["links"] for link in contributor(user)]


def init_app(app: Flask) -> None:
    app.add_template_global(dashboard_cards)
    app.add_template_global(nav_links)
