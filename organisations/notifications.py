"""Notifications: who is told of an event, in which kinds, and how they switch a kind off.

Every notification goes to users, never to a bare address, so each one can switch each kind
off (on their profile, or with the signed link in the email, without signing in). A member
is told through the users who act for it; a supplier through its users. `notify` is the one
way in (`notify_each` for many letters at once): it skips users who switched the kind off, adds
the unsubscribe link and writes the messages to the outbox. The sender calls it as it expands
an outbox event, in a transaction of its own (organisations.outbox).
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, cast
from urllib.parse import urlsplit

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import bindparam, delete, select
from sqlalchemy.orm import InstrumentedAttribute
from werkzeug.routing import MapAdapter

from kernel.errors import DomainError, ValidationFailed
from kernel.extensions import db, upsert
from organisations import outbox
from organisations.models import Consortium, NotificationOptOut, OutboxMessage, Role, RoleGrant, User

MEMBERS, SUPPLIERS = "member", "supplier"


@dataclass(frozen=True)
class Kind:
    label: str
    audience: str


KINDS: dict[str, Kind] = {
    "pool_opened": Kind("A pool opens in our consortium", MEMBERS),
    "pool_tier_reached": Kind("A pool we pledged to reaches a better price tier", MEMBERS),
    "pool_prices_lowered": Kind("A pool we pledged to lowers its prices", MEMBERS),
    "pool_deadline_soon": Kind("Two days before a pool's deadline, when we have not pledged", MEMBERS),
    "pool_closed": Kind("A pool we pledged to closes, with our allocation", MEMBERS),
    "pool_cancelled": Kind("A pool we pledged to is cancelled, with the reason", MEMBERS),
    "shared_service_cancelled": Kind("A shared service we joined is cancelled", MEMBERS),
    "invoice_issued": Kind("An invoice is issued to us", MEMBERS),
    "payment_received": Kind("A payment of ours is received", MEMBERS),
    "invoice_overdue": Kind("An invoice of ours is 7 and 14 days overdue", MEMBERS),
    "policy_review": Kind("A new version of a policy we adopted is out, to review", MEMBERS),
    "purchase_order_sent": Kind("A consortium sends us a purchase order", SUPPLIERS),
    "tender_published": Kind("We are invited to tender", SUPPLIERS),
    "tender_cancelled": Kind("A tender we were invited to or bid in is cancelled", SUPPLIERS),
    "enquiry_received": Kind("Someone sends us an enquiry through the buy-social directory", MEMBERS),
    "enquiry_replied": Kind("A member replies to an enquiry we sent through the directory", MEMBERS),
    "rebate_shared": Kind("A supplier's rebate is shared back to us, with our share", MEMBERS),
    "booking_requested": Kind("A member asks to book one of our listings", MEMBERS),
    "booking_answered": Kind("A booking of ours is accepted, declined or cancelled", MEMBERS),
    "booking_delivery": Kind("A booking of ours is delivered or disputed, or its dispute resolved", MEMBERS),
    "trade_invoice_issued": Kind("A member invoices us, or we invoice a member, for a booking", MEMBERS),
}

UNSUBSCRIBE_SALT = "notifications-unsubscribe"
UNSUBSCRIBE_MAX_AGE = 400 * 24 * 3600  # a year's emails and then some
NOT_VALID = "This unsubscribe link is not valid. Sign in and choose your emails on your profile."


class InvalidLink(DomainError):
    """An unsubscribe link that was altered, made with another key, or is too old."""

    status_code = 400
    code = "invalid_link"


# Links in emails


def external_url(endpoint: str, **values: Any) -> str:
    """An absolute link under PUBLIC_URL, built the same way in a request, a CLI job or a test."""
    return _public_adapter().build(endpoint, values, force_external=True)


def _public_adapter() -> MapAdapter:
    base = urlsplit(current_app.config["PUBLIC_URL"])
    return current_app.url_map.bind(base.netloc, script_name=base.path or "/", url_scheme=base.scheme)


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=UNSUBSCRIBE_SALT)


def unsubscribe_token(user: User, kind: str) -> str:
    return _serializer().dumps([user.id, kind])


def read_unsubscribe_token(token: str) -> tuple[User, str]:
    """The user and kind a link names; InvalidLink for anything not signed by us, or too old."""
    try:
        user_id, kind = _serializer().loads(token, max_age=UNSUBSCRIBE_MAX_AGE)
    except SignatureExpired:
        raise InvalidLink("This link has expired. Sign in and choose your emails on your profile.") from None
    except (BadSignature, ValueError, TypeError):
        raise InvalidLink(NOT_VALID) from None
    user = db.session.get(User, user_id) if isinstance(user_id, int) else None
    if user is None or kind not in KINDS:
        raise InvalidLink(NOT_VALID)
    return user, kind


# Preferences


def kinds_for(user: User) -> dict[str, Kind]:
    """The kinds this user can receive, from the roles they hold (admins see every kind)."""
    audiences = ({MEMBERS} if user.member_ids else set()) | ({SUPPLIERS} if user.supplier_ids else set())
    if user.is_admin:
        audiences = {MEMBERS, SUPPLIERS}
    return {name: kind for name, kind in KINDS.items() if kind.audience in audiences}


def switched_off(user: User) -> set[str]:
    return set(db.session.scalars(select(NotificationOptOut.kind).where(NotificationOptOut.user_id == user.id)))


def switch_off(user: User, kind: str) -> None:
    """Idempotent: switching a kind off twice (two clicks, two mail clients) leaves one row."""
    if kind not in KINDS:
        raise ValidationFailed.field("kind", "There is no such kind of email.")
    db.session.execute(
        upsert(NotificationOptOut)
        .values(user_id=user.id, kind=kind)
        .on_conflict_do_nothing(index_elements=["user_id", "kind"])
    )


def set_received(user: User, received: Iterable[str]) -> None:
    """The user receives exactly the `received` kinds of those open to them; the others are off."""
    received = set(received)
    unknown = received - KINDS.keys()
    if unknown:
        raise ValidationFailed.field("receive", "Choose only from the kinds of email listed.")
    off = set(kinds_for(user)) - received
    db.session.execute(
        delete(NotificationOptOut).where(
            NotificationOptOut.user_id == user.id, NotificationOptOut.kind.not_in(off or {""})
        )
    )
    for kind in sorted(off):
        switch_off(user, kind)
    db.session.flush()


# Recipients


def member_users(member_ids: Iterable[int]) -> dict[int, list[User]]:
    """The active users who act for each member, in one query per 5,000 members.

    The ids (integers) are written into the statement rather than bound one parameter each,
    which the PostgreSQL driver would parse one by one in Python.
    """
    member_ids = set(member_ids)
    if not member_ids:
        return {}
    users: dict[int, list[User]] = {}
    # A member's grants name it: the IN below leaves no grant without a member_id.
    granted_member_id = cast("InstrumentedAttribute[int]", RoleGrant.member_id)
    for chunk in _chunks(sorted(member_ids)):
        rows = db.session.execute(
            select(granted_member_id, User)
            .join(User, RoleGrant.user_id == User.id)
            .where(
                RoleGrant.role == Role.MEMBER,
                User.active,
                RoleGrant.member_id.in_(bindparam("member_ids", chunk, expanding=True, literal_execute=True)),
            )
            .order_by(User.id)
        )
        for member_id, user in rows:
            users.setdefault(member_id, []).append(user)
    return users


def _chunks(values: list, size: int = 5000) -> Iterable[list]:
    """Keeps IN lists under SQLite's limit on bound parameters, for events that reach thousands."""
    for start in range(0, len(values), size):
        yield values[start : start + size]


def supplier_users(supplier_id: int) -> list[User]:
    return list(
        db.session.scalars(
            select(User)
            .join(RoleGrant, RoleGrant.user_id == User.id)
            .where(RoleGrant.role == Role.SUPPLIER, RoleGrant.supplier_id == supplier_id, User.active)
            .order_by(User.id)
        )
    )


# Sending


@dataclass(frozen=True)
class Letter:
    """What one group of users is told of an event: the same subject and context for each, their own link."""

    users: list[User]
    subject: str
    template: str
    context: dict[str, Any]
    consortium: Consortium | None
    dedupe_key: str


def notify(
    kind: str,
    users: Iterable[User],
    subject: str,
    template: str,
    context: dict[str, Any],
    consortium: Consortium | None,
    dedupe_key: str,
) -> int:
    """Writes one message per user who has not switched `kind` off; returns how many were written."""
    return notify_each(kind, [Letter(list(users), subject, template, context, consortium, dedupe_key)])


def notify_each(kind: str, letters: Iterable[Letter]) -> int:
    """Writes each letter's message to each of its users who has not switched `kind` off; returns how many.

    One event can reach thousands of members, each with its own letter (a closed pool's
    allocation, an invoice): the choices and the keys already written are read for all of them
    at once, a query per 5,000 users, and the messages written in one statement. Each message
    carries the user's own unsubscribe link. The dedupe key is made per user, so telling of one
    event again writes nothing new, and nothing is rendered for a key already in the outbox.
    """
    if kind not in KINDS:
        raise ValueError(f"Unknown notification kind {kind!r}")
    addressed = [(letter, user) for letter in letters for user in {user.id: user for user in letter.users}.values()]
    if not addressed:
        return 0
    off = {
        user_id
        for chunk in _chunks(sorted({user.id for _, user in addressed}))
        for user_id in db.session.scalars(
            select(NotificationOptOut.user_id).where(
                NotificationOptOut.kind == kind, NotificationOptOut.user_id.in_(chunk)
            )
        )
    }
    keyed = [(letter, user, f"{letter.dedupe_key}:u{user.id}") for letter, user in addressed if user.id not in off]
    told = {
        key
        for chunk in _chunks([key for _, _, key in keyed])
        for key in db.session.scalars(select(OutboxMessage.dedupe_key).where(OutboxMessage.dedupe_key.in_(chunk)))
    }
    preferences_url = external_url("notifications.preferences")
    unsubscribe_link = _unsubscribe_links(kind)
    drafts = []
    for letter, user, key in keyed:
        if key in told:
            continue
        unsubscribe_url = unsubscribe_link(user)
        drafts.append(
            outbox.Draft(
                kind=kind,
                to_email=user.email,
                subject=letter.subject,
                template=letter.template,
                context=letter.context
                | {
                    "recipient": user,
                    "unsubscribe_url": unsubscribe_url,
                    "preferences_url": preferences_url,
                    "kind_label": KINDS[kind].label,
                },
                consortium=letter.consortium,
                dedupe_key=key,
                unsubscribe_url=unsubscribe_url,
            )
        )
    outbox.enqueue_many(drafts)
    return len(drafts)


def _unsubscribe_links(kind: str) -> Callable[[User], str]:
    """Builds each user's unsubscribe link with one URL adapter and one signer, not one of each per user."""
    adapter, serializer = _public_adapter(), _serializer()

    def link(user: User) -> str:
        token = serializer.dumps([user.id, kind])
        return adapter.build("notifications.unsubscribe", {"token": token}, force_external=True)

    return link
