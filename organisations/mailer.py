"""Delivering the outbox over SMTP: once per message, however many senders run.

Each message is claimed in its own transaction by an UPDATE of the oldest due row (PostgreSQL
skips rows another sender has locked; SQLite lets one writer in at a time), sent while that
claim holds, and marked sent in the same transaction. A second sender therefore never sees a
message the first is sending, and never sees it again once it is sent. A failure is kept on
the message and retried later, each wait twice the one before, until it is given up as failed.

The one gap no outbox closes: if the process dies after the SMTP server accepted a message but
before the commit, the message is sent again on the next run. Its Message-ID stays the same,
so mail systems that deduplicate on it show it once.
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


def _due(now: datetime):
    return (
        OutboxMessage.sent_at.is_(None),
        OutboxMessage.failed_at.is_(None),
        or_(OutboxMessage.next_attempt_at.is_(None), OutboxMessage.next_attempt_at <= now),
    )


def claim_next(now: datetime) -> OutboxMessage | None:
    """Claims the oldest due message for this transaction, counting the attempt; None when none is due."""
    oldest = (
        select(OutboxMessage.id)
        .where(*_due(now))
        .order_by(OutboxMessage.id)
        .limit(1)
        .with_for_update(skip_locked=True)
        .scalar_subquery()
    )
    message_id = db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == oldest, *_due(now))
        .values(attempts=OutboxMessage.attempts + 1)
        .returning(OutboxMessage.id)
    ).scalar()
    if message_id is None:
        return None
    return db.session.scalar(
        select(OutboxMessage).where(OutboxMessage.id == message_id).execution_options(populate_existing=True)
    )


def send_pending(limit: int | None = None) -> SendReport:
    """Sends every due message, each in its own transaction; commits as it goes."""
    config = current_app.config
    if not config["SMTP_HOST"] or not config["MAIL_FROM"]:
        raise NotConfigured(
            "Email is not set up (SMTP_HOST and MAIL_FROM); the outbox page and the log are the delivery."
        )
    report, connection = SendReport(), Connection(config)
    started = utcnow()
    try:
        while limit is None or report.sent + report.retrying + report.failed < limit:
            message = claim_next(started)
            if message is None:
                db.session.commit()
                break
            try:
                connection.send(email_message(message, config["MAIL_FROM"]))
            except (OSError, smtplib.SMTPException) as error:
                _record_failure(message, error, config["OUTBOX_MAX_ATTEMPTS"], report)
                db.session.commit()
                connection.close()
                if not isinstance(error, MESSAGE_ERRORS):
                    report.stopped_early = True
                    break
                continue
            message.sent_at, message.next_attempt_at, message.last_error = utcnow(), None, None
            db.session.commit()
            report.sent += 1
    finally:
        db.session.rollback()
        connection.close()
    return report


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
