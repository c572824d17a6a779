"""Outgoing email, in two steps: events written with the change, messages written by the sender.

A change that people are to hear of writes one `OutboxEvent` in its own transaction: what
happened, to which pool, order or invoice. That costs one row however many people it reaches,
so a close of 10,000 pledges, or a pledge under a pool's lock, renders and fans out nothing.
The sender (`flask send-outbox`) expands each event in a transaction of its own: it finds the
users to tell, skips those who switched the kind off, renders one message per user, writes
them, and marks the event written. Claimed with SKIP LOCKED and committed with its messages,
an event is expanded exactly once with any number of senders; a sender that dies half way
leaves no messages and the event waiting for the next one.

A rolled-back change writes no event, so tells nobody. A single message to one address (a
reminder, a pay link) is written straight away with `enqueue`. Without SMTP settings (the
embedded default) the log is the delivery, and admins read the outbox on its page.
"""

import logging
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import Flask, current_app, render_template
from sqlalchemy import select, update

from kernel.clock import utcnow
from kernel.errors import Conflict
from kernel.extensions import db, upsert
from organisations.models import Consortium, OutboxEvent, OutboxMessage

log = logging.getLogger(__name__)

Expander = Callable[[OutboxEvent], int]
MAX_EVENT_ATTEMPTS = 3


class AlreadyQueued(Conflict):
    """The event named by the dedupe key already has its message."""


def init_app(app: Flask, expanders: Mapping[str, Expander]) -> None:
    """Installs the function that turns each kind of event into its messages, returning how many it wrote.

    Each domain has its own (orders.messages, billing.messages...): the app gathers them, so the
    outbox, at the bottom of the layers, can expand events about things above it.
    """
    app.extensions["outbox_expanders"] = dict(expanders)


def _expanders() -> dict[str, Expander]:
    return current_app.extensions["outbox_expanders"]


def record(kind: str, subject_id: int, dedupe_key: str, **detail: Any) -> bool:
    """Writes the event in the caller's transaction; False when an event with this key was written before.

    The insert does nothing on conflict, so the same event told twice (a re-run job, two
    requests at once) is one event.
    """
    if kind not in _expanders():
        raise ValueError(f"No expander for outbox events of kind {kind!r}")
    written = db.session.execute(
        upsert(OutboxEvent)
        .values(kind=kind, subject_id=subject_id, detail=detail, dedupe_key=dedupe_key, created_at=utcnow())
        .on_conflict_do_nothing(index_elements=["dedupe_key"])
        .returning(OutboxEvent.id)
    ).scalar()
    return written is not None


@dataclass(frozen=True)
class Draft:
    """One message before it is rendered: templates/emails/<template>.txt and .html with `context`."""

    kind: str
    to_email: str
    subject: str
    template: str
    context: dict[str, Any]
    consortium: Consortium | None = None
    dedupe_key: str | None = None
    unsubscribe_url: str | None = None

    def values(self) -> dict[str, Any]:
        """The row: both bodies rendered, with `consortium` and `unsubscribe_url` given to the templates."""
        context = {"consortium": self.consortium, "unsubscribe_url": self.unsubscribe_url} | self.context
        return dict(
            kind=self.kind,
            to_email=self.to_email,
            subject=self.subject,
            body_text=render_template(f"emails/{self.template}.txt", **context),
            body_html=render_template(f"emails/{self.template}.html", **context),
            consortium_id=self.consortium.id if self.consortium is not None else None,
            dedupe_key=self.dedupe_key,
            unsubscribe_url=self.unsubscribe_url,
        )


def enqueue(
    kind: str,
    to_email: str,
    subject: str,
    template: str,
    context: dict[str, Any],
    consortium: Consortium | None = None,
    dedupe_key: str | None = None,
    unsubscribe_url: str | None = None,
) -> OutboxMessage:
    """Adds one message rendered from templates/emails/<template>.txt and .html; the caller commits.

    For a message to one address; what tells many people is an event (`record`). The templates
    receive `consortium` besides `context`, so every message can name it. With a `dedupe_key`
    already in the outbox nothing is added and `AlreadyQueued` is raised; the insert does nothing
    on conflict, so two requests at once cannot both add one.
    """
    values = Draft(kind, to_email, subject, template, context, consortium, dedupe_key, unsubscribe_url).values()
    message_id = db.session.execute(
        upsert(OutboxMessage)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["dedupe_key"])
        .returning(OutboxMessage.id)
    ).scalar()
    if message_id is None:
        raise AlreadyQueued("This message is already in the outbox.")
    message = db.session.get_one(OutboxMessage, message_id)
    log.info("Outbox message %s (%s) to %s: %s\n%s", message.id, kind, to_email, subject, message.body_text)
    return message


def enqueue_many(drafts: list[Draft]) -> None:
    """Adds many messages in one statement: an event's expansion; the caller commits.

    Drafts whose dedupe key is already in the outbox are passed over without an error, so an
    event told again adds only the messages it did not add before.
    """
    if not drafts:
        return
    created = utcnow()
    rows = [draft.values() | {"created_at": created, "attempts": 0} for draft in drafts]
    db.session.execute(upsert(OutboxMessage).on_conflict_do_nothing(index_elements=["dedupe_key"]), rows)


# Expanding events, by the sender


@dataclass
class ExpandReport:
    events: int = 0
    messages: int = 0
    failed: int = 0


def _waiting():
    return OutboxEvent.expanded_at.is_(None), OutboxEvent.failed_at.is_(None)


def claim_next_event(passed_over: Collection[int] = ()) -> OutboxEvent | None:
    """Claims the oldest waiting event for this transaction, counting the attempt; None when none waits.

    PostgreSQL skips an event another sender holds; SQLite lets one writer in at a time.
    `passed_over` are events that failed earlier in this run, left for the next.
    """
    oldest = (
        select(OutboxEvent.id)
        .where(*_waiting(), OutboxEvent.id.not_in(passed_over or {-1}))
        .order_by(OutboxEvent.id)
        .limit(1)
        .with_for_update(skip_locked=True)
        .scalar_subquery()
    )
    event_id = db.session.execute(
        update(OutboxEvent)
        .where(OutboxEvent.id == oldest, *_waiting())
        .values(attempts=OutboxEvent.attempts + 1)
        .returning(OutboxEvent.id)
    ).scalar()
    if event_id is None:
        return None
    return db.session.scalar(
        select(OutboxEvent).where(OutboxEvent.id == event_id).execution_options(populate_existing=True)
    )


def expand_pending(limit: int | None = None) -> ExpandReport:
    """Turns every waiting event into its messages, each event in its own transaction; commits as it goes.

    An event whose expansion raises (a template that cannot render, a subject since deleted) is
    rolled back, its error kept, and tried again on the next run, then given up as failed after
    MAX_EVENT_ATTEMPTS; the events after it are expanded all the same.
    """
    report, failed = ExpandReport(), set[int]()
    try:
        while limit is None or report.events + report.failed < limit:
            event = claim_next_event(failed)
            if event is None:
                db.session.commit()
                break
            event_id, attempts = event.id, event.attempts
            try:
                written = _expanders()[event.kind](event)
            except Exception as error:  # any failure of one event must leave the others to be expanded
                db.session.rollback()
                _record_failure(event_id, attempts, error)
                failed.add(event_id)
                report.failed += 1
                continue
            event.expanded_at, event.messages, event.last_error = utcnow(), written, None
            db.session.commit()
            log.info("Outbox event %s (%s %s): %s messages written", event_id, event.kind, event.subject_id, written)
            report.events += 1
            report.messages += written
    finally:
        db.session.rollback()
    return report


def _record_failure(event_id: int, attempts: int, error: Exception) -> None:
    message = f"{type(error).__name__}: {error}"[:1000]
    given_up: datetime | None = utcnow() if attempts >= MAX_EVENT_ATTEMPTS else None
    db.session.execute(
        update(OutboxEvent)
        .where(OutboxEvent.id == event_id)
        .values(attempts=attempts, last_error=message, failed_at=given_up)
    )
    db.session.commit()
    log.error(
        "Outbox event %s could not be written as messages (attempt %s)%s: %s",
        event_id,
        attempts,
        ", given up" if given_up else "",
        message,
        exc_info=error,
    )
