"""The audit log: who did what sensitive thing, when and from where, kept for good.

Services call `record` with one line where they grant or revoke roles, issue invoices or credit
notes, record payments or refunds, cancel pools, change bank details, invite people, decide
applications and import members. Nothing updates or deletes an entry: the ORM refuses it here,
and on PostgreSQL a trigger (made by the migration) refuses it for any client.

Where an action came from is the request's address, set by the app for each request
(`set_origin`), so services never read the request; outside one it is the command line.
"""

from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import ForeignKey, Select, String, Text, event, or_, select
from sqlalchemy.orm import Mapped, mapped_column, relationship

from kernel.clock import UK
from kernel.errors import Conflict
from kernel.extensions import Model, created_at, db, intpk
from organisations.models import User

COMMAND_LINE = "command line"
_origin: ContextVar[str] = ContextVar("audit_origin", default=COMMAND_LINE)

ACTIONS = {
    "role_granted": "Role granted",
    "role_revoked": "Role revoked",
    "invoices_issued": "Invoices issued",
    "credit_note_issued": "Credit note issued",
    "payment_recorded": "Payment recorded",
    "refund_recorded": "Refund recorded",
    "pool_cancelled": "Pool cancelled",
    "bank_details_changed": "Bank details changed",
    "invitation_sent": "Invitation sent",
    "invitation_resent": "Invitation sent again",
    "invitation_revoked": "Invitation revoked",
    "invitation_accepted": "Invitation accepted",
    "application_approved": "Application approved",
    "application_declined": "Application declined",
    "members_imported": "Members imported",
    "person_erased": "Person erased",
}


class AuditEntry(Model):
    """One sensitive action. `actor_id` is None for the application itself (a webhook, a job)."""

    __tablename__ = "audit_entry"

    id: Mapped[intpk]
    at: Mapped[created_at]
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), index=True)
    action: Mapped[str] = mapped_column(String(40), index=True)
    subject: Mapped[str] = mapped_column(String(200))
    consortium_id: Mapped[int | None] = mapped_column(ForeignKey("consortium.id"), index=True)
    origin: Mapped[str] = mapped_column(String(64))
    detail: Mapped[str | None] = mapped_column(Text)

    actor: Mapped[User | None] = relationship(lazy="joined")

    @property
    def action_label(self) -> str:
        return ACTIONS.get(self.action, self.action)


@event.listens_for(AuditEntry, "before_update")
@event.listens_for(AuditEntry, "before_delete")
def _refuse_changes(mapper: Any, connection: Any, target: AuditEntry) -> None:
    raise Conflict("The audit log is kept as written: an entry is never changed or deleted.")


def set_origin(address: str | None) -> Any:
    """For a request's start; `reset_origin(token)` at its end."""
    return _origin.set((address or "unknown")[:64])


def reset_origin(token: Any) -> None:
    _origin.reset(token)


def record(
    actor: User | None, action: str, subject: str, consortium_id: int | None = None, detail: str | None = None
) -> AuditEntry:
    """Adds one entry; the caller's transaction keeps it or rolls it back with the action itself."""
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    entry = AuditEntry(
        actor_id=actor.id if actor is not None else None,
        action=action,
        subject=subject[:200],
        consortium_id=consortium_id,
        origin=_origin.get(),
        detail=detail,
    )
    db.session.add(entry)
    return entry


@dataclass(frozen=True)
class Search:
    """What an admin narrows the log by; every part optional."""

    action: str | None = None
    text: str | None = None
    consortium_id: int | None = None
    from_date: date | None = None
    to_date: date | None = None


def search(criteria: Search) -> Select:
    """Newest first. `text` matches the subject, the detail, the origin and the actor's name or email."""
    query = select(AuditEntry).order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
    if criteria.action:
        query = query.where(AuditEntry.action == criteria.action)
    if criteria.consortium_id is not None:
        query = query.where(AuditEntry.consortium_id == criteria.consortium_id)
    if criteria.from_date is not None:
        query = query.where(AuditEntry.at >= _uk_midnight(criteria.from_date))
    if criteria.to_date is not None:
        query = query.where(AuditEntry.at < _uk_midnight(criteria.to_date + timedelta(days=1)))
    if criteria.text:
        pattern = f"%{criteria.text.strip().lower()}%"
        actors = select(User.id).where(or_(db.func.lower(User.name).like(pattern), User.email.like(pattern)))
        query = query.where(
            or_(
                db.func.lower(AuditEntry.subject).like(pattern),
                db.func.lower(AuditEntry.detail).like(pattern),
                AuditEntry.origin.like(pattern),
                AuditEntry.actor_id.in_(actors),
            )
        )
    return query


def _uk_midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=UK)
