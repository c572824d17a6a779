"""The dashboard cards and menu links of organisations, people and the admin."""

from flask import Flask, url_for
from sqlalchemy import func, select

from kernel.extensions import db
from kernel.navigation import Card, Link, Todo, register
from organisations.models import OutboxEvent, OutboxMessage, User


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
                [Link("Admin pages", url_for("admin.index")), Link("Audit log", url_for("admin.audit_log"))],
                order=40,
            )
        )
    cards.append(
        Card(
            "Your account",
            "Your password, where you are signed in, and two-factor sign-in.",
            [
                Link("Change password", url_for("account.change_password")),
                Link("Where you are signed in", url_for("account.sessions")),
                Link("Two-factor sign-in", url_for("account.two_factor")),
            ],
            order=80,
        )
    )
    cards.append(
        Card(
            "Emails",
            "Choose which emails the platform sends you, or download the personal data it holds about you.",
            [
                Link("Email choices", url_for("notifications.preferences")),
                Link("Download my data", url_for("marketplace.my_data")),
            ],
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


def outbox_todos(user: User) -> list[Todo]:
    """The admin's count of emails that failed for good, and of events whose messages could not be written."""
    if not user.is_admin:
        return []
    messages = db.session.scalar(select(func.count()).where(OutboxMessage.failed_at.is_not(None))) or 0
    events = db.session.scalar(select(func.count()).where(OutboxEvent.failed_at.is_not(None))) or 0
    return [
        Todo(
            "admin.outbox_failures",
            "admin",
            "Emails that failed",
            messages + events,
            url_for("outbox.messages"),
            "Open the outbox",
            text=f"{messages} message{'' if messages == 1 else 's'} not sent after every retry; "
            f"{events} event{'' if events == 1 else 's'} whose messages could not be written.",
            tone="danger" if messages + events else "success",
            order=42,
        )
    ]


def admin_links(user: User) -> list[Link]:
    return [Link("Admin", url_for("admin.index"))] if user.is_admin else []


def init_app(app: Flask) -> None:
    register(app, marketplace_cards, admin_links, outbox_todos)
