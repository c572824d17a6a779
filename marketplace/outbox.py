"""Outgoing email: each message is written to the outbox in the transaction of the change it tells of.

A sender delivers the outbox later, outside the web request, so a rolled-back change sends
nothing and a slow mail server slows no page. Without SMTP settings (the embedded default)
the log line written here is the delivery, and admins read the outbox on its page.
"""
import logging
from typing import Any, Optional

from flask import render_template

from marketplace.errors import Conflict
from marketplace.extensions import db, upsert
from marketplace.models import Consortium, OutboxMessage

log = logging.getLogger(__name__)


class AlreadyQueued(Conflict):
    """The event named by the dedupe key already has its message."""


def enqueue(kind: str, to_email: str, subject: str, template: str, context: dict[str, Any],
            consortium: Optional[Consortium] = None, dedupe_key: Optional[str] = None) -> OutboxMessage:
    """Adds a message rendered from templates/emails/<template>.txt and .html; the caller commits.

    The templates receive `consortium` besides `context`, so every message can name it. With a
    `dedupe_key` already in the outbox nothing is added and `AlreadyQueued` is raised; the insert
    does nothing on conflict, so two requests at once cannot both add one.
    """
    context = {"consortium": consortium} | context
    values = dict(
        kind=kind, to_email=to_email, subject=subject,
        body_text=render_template(f"emails/{template}.txt", **context),
        body_html=render_template(f"emails/{template}.html", **context),
        consortium_id=consortium.id if consortium is not None else None, dedupe_key=dedupe_key,
    )
    message_id = db.session.execute(upsert(OutboxMessage).values(**values)
                                    .on_conflict_do_nothing(index_elements=["dedupe_key"])
                                    .returning(OutboxMessage.id)).scalar()
    if message_id is None:
        raise AlreadyQueued("This message is already in the outbox.")
    message = db.session.get(OutboxMessage, message_id)
    log.info("Outbox message %s (%s) to %s: %s\n%s", message.id, kind, to_email, subject, message.body_text)
    return message
