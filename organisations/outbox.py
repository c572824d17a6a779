"""Outgoing email: each message is written to the outbox in the transaction of the change it tells of.

A sender delivers the outbox later, outside the web request, so a rolled-back change sends
nothing and a slow mail server slows no page. Without SMTP settings (the embedded default)
the log line written here is the delivery, and admins read the outbox on its page.
"""

import logging
from dataclasses import dataclass
from typing import Any

from flask import render_template

from kernel.clock import utcnow
from kernel.errors import Conflict
from kernel.extensions import db, upsert
from organisations.models import Consortium, OutboxMessage

log = logging.getLogger(__name__)


class AlreadyQueued(Conflict):
    """The event named by the dedupe key already has its message."""


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
    """Adds a message rendered from templates/emails/<template>.txt and .html; the caller commits.

    The templates receive `consortium` besides `context`, so every message can name it. With a
    `dedupe_key` already in the outbox nothing is added and `AlreadyQueued` is raised; the insert
    does nothing on conflict, so two requests at once cannot both add one.
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
    """Adds many messages in one statement (an event can tell thousands of users); the caller commits.

    Drafts whose dedupe key is already in the outbox are passed over without an error, so an
    event told again adds only the messages it did not add before.
    """
    if not drafts:
        return
    created = utcnow()
    rows = [draft.values() | {"created_at": created, "attempts": 0} for draft in drafts]
    db.session.execute(upsert(OutboxMessage).on_conflict_do_nothing(index_elements=["dedupe_key"]), rows)
    for row in rows:
        log.info("Outbox message (%s) to %s: %s\n%s", row["kind"], row["to_email"], row["subject"], row["body_text"])
