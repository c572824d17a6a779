"""Personal data: what the platform holds about a person, and erasing it.

A person's data is their account, roles, API tokens, email choices and the audit entries of
what they did; packages above this one (joining: invitations, applications) add their own parts
through `register`, which the app wires. Erasing a person replaces their name and email, ends
every session and token (the account is deactivated, which the sign-in loader refuses) and
revokes their roles. Invoices are untouched: they carry the organisation's details, copied
when issued, never a person's.
"""

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Flask, current_app
from sqlalchemy import select
from werkzeug.security import generate_password_hash

from kernel.clock import utcnow
from kernel.errors import Conflict, Forbidden
from kernel.extensions import db
from organisations import audit
from organisations.models import ApiToken, NotificationOptOut, Role, RoleGrant, User

ERASED_NAME = "Erased person"
ERASED_DOMAIN = "erased.invalid"


@dataclass(frozen=True)
class Part:
    """One package's share: `collect(user)` returns its data as JSON values, `erase(user, old_email)` replaces it."""

    name: str
    collect: Callable[[User], Any]
    erase: Callable[[User, str], None]


def register(app: Flask, part: Part) -> None:
    app.extensions.setdefault("privacy_parts", []).append(part)


def _parts() -> list[Part]:
    parts: list[Part] = current_app.extensions.get("privacy_parts", [])
    return parts


def _iso(value: Any) -> Any:
    return value.isoformat() if value is not None else None


def personal_data(user: User) -> dict[str, Any]:
    """Everything held about the person, as JSON values."""
    grants = db.session.scalars(select(RoleGrant).where(RoleGrant.user_id == user.id).order_by(RoleGrant.id))
    tokens = db.session.scalars(select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id))
    opt_outs = db.session.scalars(select(NotificationOptOut.kind).where(NotificationOptOut.user_id == user.id))
    actions = db.session.scalars(
        select(audit.AuditEntry).where(audit.AuditEntry.actor_id == user.id).order_by(audit.AuditEntry.id)
    )
    data: dict[str, Any] = {
        "account": {
            "id": user.id,
            "name": user.name,
            "email": user.email,
            "active": user.active,
            "created_at": _iso(user.created_at),
        },
        "roles": [{"role": g.role.value, "organisation": g.description, "since": _iso(g.created_at)} for g in grants],
        "api_tokens": [
            {
                "name": t.name,
                "prefix": t.prefix,
                "created_at": _iso(t.created_at),
                "last_used_at": _iso(t.last_used_at),
                "revoked_at": _iso(t.revoked_at),
            }
            for t in tokens
        ],
        "emails_switched_off": sorted(opt_outs),
        "actions_in_the_audit_log": [
            {"at": _iso(e.at), "action": e.action_label, "subject": e.subject, "from": e.origin} for e in actions
        ],
    }
    for part in _parts():
        data[part.name] = part.collect(user)
    return data


def erase(actor: User, user: User) -> User:
    """Replaces the person's name and email, ends their sessions and tokens, revokes their roles."""
    if not actor.is_admin:
        raise Forbidden("Only an admin erases a person.")
    if user.id == actor.id:
        raise Conflict("You cannot erase yourself; ask another admin.")
    if user.email.endswith("@" + ERASED_DOMAIN):
        raise Conflict("This person has been erased already.")
    if user.is_admin and _other_active_admins(user) == 0:
        raise Conflict("The last admin cannot be erased.")
    old_email = user.email
    audit.record(actor, "person_erased", f"User {user.id}")
    user.name = ERASED_NAME
    user.email = f"erased-{user.id}@{ERASED_DOMAIN}"
    # The hash of a random password nobody is told: the account can never be signed into again.
    user.password_hash = generate_password_hash(
        secrets.token_urlsafe(32), method=current_app.config["PASSWORD_HASH_METHOD"]
    )
    user.active = False
    user.grants.clear()
    now = utcnow()
    for token in db.session.scalars(select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))):
        token.revoked_at = now
    for part in _parts():
        part.erase(user, old_email)
    db.session.flush()
    return user


def _other_active_admins(user: User) -> int:
    return len(
        db.session.scalars(
            select(RoleGrant.id).join(User).where(RoleGrant.role == Role.ADMIN, User.active, User.id != user.id)
        ).all()
    )
