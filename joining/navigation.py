"""Dashboard cards for invitations, applications to join and the membership import."""

from flask import Flask, url_for

from joining import services
from kernel.navigation import Card, Link, Todo, register
from organisations.models import User


def joining_cards(user: User) -> list[Card]:
    cards = []
    if user.is_admin or user.secretary_consortium_ids:
        waiting = services.to_do_count(user)
        links = [
            Link(f"Applications to join ({waiting} waiting)", url_for("joining.applications")),
            Link("Invitations", url_for("joining.invitations")),
        ]
        links += [
            Link(
                f"Import or export {grant.consortium.name}'s members",
                url_for("joining.import_members", consortium_id=grant.consortium_id),
            )
            for grant in user.grants
            if grant.consortium is not None
        ]
        text = (
            f"{waiting} application{'s' if waiting != 1 else ''} to decide."
            if waiting
            else "No applications to decide."
        )
        cards.append(Card("Joining", text, links, order=25))
    elif user.member_ids or user.supplier_ids:
        cards.append(
            Card(
                "Colleagues",
                "Invite the people who act for your organisation with you.",
                [Link("Invitations", url_for("joining.invitations"))],
                order=60,
            )
        )
    return cards


def joining_todos(user: User) -> list[Todo]:
    if not user.secretary_consortium_ids:
        return []
    waiting = services.to_do_count(user)
    return [
        Todo(
            "secretary.applications",
            "secretary",
            "Applications to join",
            waiting,
            url_for("joining.applications"),
            "Decide them",
            text="Social enterprises asking to join your networks: approve or decline with a reason.",
            tone="warning" if waiting else "info",
            order=27,
        )
    ]


def init_app(app: Flask) -> None:
    register(app, joining_cards, todos=joining_todos)
