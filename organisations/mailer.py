"""Delivering the outbox over SMTP: once per message, however many senders run.

Messages are claimed a batch at a time (OUTBOX_BATCH, 50 by default) by an UPDATE of the oldest
due rows (PostgreSQL skips rows another sender has locked; SQLite lets one writer in at a time),
sent while that claim holds, and marked sent in the same transaction. A second sender therefore
never sees a message the first is sending, and never sees it again once it is sent. A failure is
kept on the message and retried later, each wait twice the one before, until it is given up as
failed; a message that cannot be made into an email at all is set aside at once.

The one gap no outbox closes: if the process dies after the SMTP server accepted a message but
before the commit, the messages of that batch are sent again on the next run. Their Message-IDs
stay the same, so mail systems that deduplicate on them show each once. A batch trades that
window (at most OUTBOX_BATCH messages) for one commit per batch instead of one per message.
"""

import logging
import smtplib
import ssl
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import formatdate, parseaddr

from flask import current_app
from sqlalchemy import or_, select, update

from kernel.clock import utcnow
from kernel.extensions import db
from organisations.models import OutboxMessage

log = logging.getLogger(__name__)

FIRST_RETRY = timedelta(minutes=1)
LONGEST_WAIT = timedelta(hours=6)
# Errors about this one message; anything else (the server is down) ends the run early.
MESSAGE_ERRORS = (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused, smtplib.SMTPDataError)


class NotConfigured(Exception):
    """SMTP_HOST or MAIL_FROM is unset: the outbox page and the log are the delivery."""


def retry_delay(attempts: int) -> timedelta:
    """The wait after the `attempts`-th failure: 1, 2, 4, 8 minutes... at most six hours."""
    return min(FIRST_RETRY * 2 ** (attempts - 1), LONGEST_WAIT)


def email_message(message: OutboxMessage, sender: str) -> EmailMessage:
    """Plain text with an HTML alternative; one-click unsubscribe headers (RFC 8058) when it has a link.

    The Message-ID comes from the message's row, so a message sent again after a crash keeps it.
    """
    email = EmailMessage()
    email["From"] = sender
    email["To"] = message.to_email
    email["Subject"] = message.subject
    email["Date"] = formatdate(message.created_at.timestamp(), localtime=False)
    domain = parseaddr(sender)[1].rpartition("@")[2] or "localhost"
    email["Message-ID"] = f"<outbox.{message.id}.{int(message.created_at.timestamp())}@{domain}>"
    if message.unsubscribe_url:
        email["List-Unsubscribe"] = f"<{message.unsubscribe_url}>"
        email["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    email.set_content(message.body_text)
    email.add_alternative(message.body_html, subtype="html")
    return email


class Connection:
    """One SMTP session, opened on the first message of a run and reused for the rest."""

    def __init__(self, config):
        self.config = config
        self.smtp: smtplib.SMTP | None = None

    def send(self, email: EmailMessage) -> None:
        if self.smtp is None:
            self.smtp = self._open()
        self.smtp.send_message(email)

    def _open(self) -> smtplib.SMTP:
        config = self.config
        context = ssl.create_default_context()
        smtp: smtplib.SMTP
        if config["SMTP_SSL"]:
            smtp = smtplib.SMTP_SSL(
                config["SMTP_HOST"], config["SMTP_PORT"], timeout=config["SMTP_TIMEOUT"], context=context
            )
        else:
            smtp = smtplib.SMTP(config["SMTP_HOST"], config["SMTP_PORT"], timeout=config["SMTP_TIMEOUT"])
            if config["SMTP_STARTTLS"]:
                smtp.starttls(context=context)
        if config["SMTP_USERNAME"]:
            smtp.login(config["SMTP_USERNAME"], config["SMTP_PASSWORD"] or "")
        return smtp

    def close(self) -> None:
        if self.smtp is not None:
            try:
                self.smtp.quit()
            except (OSError, smtplib.SMTPException):
                self.smtp.close()
            self.smtp = None


@dataclass
class SendReport:
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    stopped_early: bool = False

    @property
    def handled(self) -> int:
        return self.sent + self.retrying + self.failed


def _due(now: datetime):
    return (
        OutboxMessage.sent_at.is_(None),
        OutboxMessage.failed_at.is_(None),
        or_(OutboxMessage.next_attempt_at.is_(None), OutboxMessage.next_attempt_at <= now),
    )


def claim_batch(now: datetime, size: int) -> list[OutboxMessage]:
    """Claims up to `size` of the oldest due messages for this transaction, counting an attempt on each.

    The rows are chosen in a materialised CTE: inside `IN (...)` PostgreSQL may run a LIMIT ...
    SKIP LOCKED subquery once per row it scans, claiming far more than `size`.
    """
    oldest = (
        select(OutboxMessage.id)
        .where(*_due(now))
        .order_by(OutboxMessage.id)
        .limit(size)
        .with_for_update(skip_locked=True)
        .cte("oldest")
        .prefix_with("MATERIALIZED", dialect="postgresql")
    )
    claimed = db.session.scalars(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(select(oldest.c.id)), *_due(now))
        .values(attempts=OutboxMessage.attempts + 1)
        .returning(OutboxMessage.id)
    ).all()
    if not claimed:
        return []
    return list(
        db.session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.id.in_(claimed))
            .order_by(OutboxMessage.id)
            .execution_options(populate_existing=True)
        )
    )


def send_pending(limit: int | None = None) -> SendReport:
    """Sends every due message, a batch of OUTBOX_BATCH per transaction; commits as it goes.

    A message that cannot be made into an email (a header the email package refuses) is set
    aside as failed with the reason, and the run carries on with the next.
    """
    config = current_app.config
    if not config["SMTP_HOST"] or not config["MAIL_FROM"]:
        raise NotConfigured(
            "Email is not set up (SMTP_HOST and MAIL_FROM); the outbox page and the log are the delivery."
        )
    report, connection = SendReport(), Connection(config)
    started = utcnow()
    try:
        while not report.stopped_early and (limit is None or report.handled < limit):
            size = config["OUTBOX_BATCH"] if limit is None else min(config["OUTBOX_BATCH"], limit - report.handled)
            batch = claim_batch(started, size)
            if not batch:
                db.session.commit()
                break
            _send_batch(batch, connection, config, report)
            db.session.commit()
    finally:
        db.session.rollback()
        connection.close()
    return report


def _send_batch(batch: list[OutboxMessage], connection: Connection, config, report: SendReport) -> None:
    for position, message in enumerate(batch):
        try:
            email = email_message(message, config["MAIL_FROM"])
        except (ValueError, TypeError) as error:
            _set_aside(message, error, report)
            continue
        try:
            connection.send(email)
        except (OSError, smtplib.SMTPException) as error:
            _record_failure(message, error, config["OUTBOX_MAX_ATTEMPTS"], report)
            connection.close()
            if not isinstance(error, MESSAGE_ERRORS):
                report.stopped_early = True
                for unsent in batch[position + 1 :]:  # not tried: their attempt does not count
                    unsent.attempts -= 1
                return
            continue
        message.sent_at, message.next_attempt_at, message.last_error = utcnow(), None, None
        report.sent += 1


def _set_aside(message: OutboxMessage, error: Exception, report: SendReport) -> None:
    """Gives up at once on a message no retry could send, keeping why, so it holds up nothing after it."""
    message.failed_at, message.next_attempt_at = utcnow(), None
    message.last_error = f"Could not be made into an email: {type(error).__name__}: {error}"[:1000]
    report.failed += 1
    log.error("Outbox message %s to %s set aside: %s", message.id, message.to_email, message.last_error)


def _record_failure(message: OutboxMessage, error: Exception, max_attempts: int, report: SendReport) -> None:
    now = utcnow()
    message.last_error = f"{type(error).__name__}: {error}"[:1000]
    if message.attempts >= max_attempts:
        message.failed_at, message.next_attempt_at = now, None
        report.failed += 1
        log.error(
            "Outbox message %s to %s given up after %s attempts: %s",
            message.id,
            message.to_email,
            message.attempts,
            message.last_error,
        )
    else:
        message.next_attempt_at = now + retry_delay(message.attempts)
        report.retrying += 1
        log.warning(
            "Outbox message %s to %s failed (attempt %s), retrying at %s: %s",
            message.id,
            message.to_email,
            message.attempts,
            message.next_attempt_at.isoformat(),
            message.last_error,
        )
