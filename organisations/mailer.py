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

import base64
import logging
import re
import smtplib
import ssl
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from email import policy
from email.header import Header
from email.utils import formatdate, parseaddr

from flask import current_app
from sqlalchemy import or_, select, update

from kernel.clock import utcnow
from kernel.extensions import db
from organisations.models import OutboxMessage

log = logging.getLogger(__name__)

FIRST_RETRY = timedelta(minutes=1)
LONGEST_WAIT = timedelta(hours=6)
CRLF = "\r\n"
_LINE_BREAK = re.compile(r"[\r\n\0]")
MAX_HEADER_CHARACTERS = 900  # RFC 5322 allows 998 characters a line, the header's name included
# Errors about this one message; anything else (the server is down) ends the run early.
MESSAGE_ERRORS = (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused, smtplib.SMTPDataError)


class NotConfigured(Exception):
    """SMTP_HOST or MAIL_FROM is unset: the outbox page and the log are the delivery."""


def retry_delay(attempts: int) -> timedelta:
    """The wait after the `attempts`-th failure: 1, 2, 4, 8 minutes... at most six hours."""
    return min(FIRST_RETRY * 2 ** (attempts - 1), LONGEST_WAIT)


@dataclass(frozen=True)
class Sender:
    """The From header, folded and encoded once per run, and the bare address for the envelope."""

    header: str
    address: str
    domain: str

    @classmethod
    def of(cls, mail_from: str) -> "Sender":
        address = parseaddr(mail_from)[1]
        return cls(policy.SMTP.fold("From", mail_from), address, address.rpartition("@")[2] or "localhost")


@dataclass(frozen=True)
class Email:
    """One message as the bytes sent over SMTP, with its envelope."""

    sender: str
    recipient: str
    data: bytes

    @property
    def international(self) -> bool:
        """An address outside ASCII needs the server's SMTPUTF8 (RFC 6531), as smtplib's send_message asks."""
        return not (self.sender.isascii() and self.recipient.isascii())


def _header(name: str, value: str, raw_utf8: bool) -> str:
    """One header line; RFC 2047 words for text outside ASCII unless the message travels as SMTPUTF8."""
    if _LINE_BREAK.search(value):
        raise ValueError(f"The {name} header would hold a line break.")
    if len(value) > MAX_HEADER_CHARACTERS:
        raise ValueError(f"The {name} header is longer than {MAX_HEADER_CHARACTERS} characters.")
    if value.isascii() or raw_utf8:
        return f"{name}: {value}\r\n"
    return f"{name}: {Header(value, 'utf-8', header_name=name).encode(linesep=CRLF)}\r\n"


def _part(content_type: str, text: str) -> str:
    body = base64.encodebytes(text.encode()).decode("ascii").replace("\n", CRLF)
    return f'Content-Type: {content_type}; charset="utf-8"\r\nContent-Transfer-Encoding: base64\r\n\r\n{body}'


def email_message(message: OutboxMessage, sender: Sender) -> Email:
    """Plain text with an HTML alternative; one-click unsubscribe headers (RFC 8058) when it has a link.

    Written straight to bytes, not through the email package's header objects, which cost more than the
    SMTP conversation itself; the tests read each message back with that package. The Message-ID comes
    from the message's row, so a message sent again after a crash keeps it.
    """
    recipient = message.to_email
    raw = not (sender.address.isascii() and recipient.isascii())
    stamp = int(message.created_at.timestamp())
    boundary = f"=_outbox-{message.id}-{stamp}"
    headers = [
        sender.header,
        _header("To", recipient, raw),
        _header("Subject", message.subject, raw),
        f"Date: {formatdate(stamp, localtime=False)}\r\n",
        f"Message-ID: <outbox.{message.id}.{stamp}@{sender.domain}>\r\n",
    ]
    if message.unsubscribe_url:
        headers.append(_header("List-Unsubscribe", f"<{message.unsubscribe_url}>", raw))
        headers.append("List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n")
    headers.append(f'MIME-Version: 1.0\r\nContent-Type: multipart/alternative; boundary="{boundary}"\r\n')
    text = "".join(
        [
            *headers,
            f"\r\n--{boundary}\r\n",
            _part("text/plain", message.body_text),
            f"\r\n--{boundary}\r\n",
            _part("text/html", message.body_html),
            f"\r\n--{boundary}--\r\n",
        ]
    )
    return Email(sender.address, recipient, text.encode())


class Connection:
    """One SMTP session, opened on the first message of a run and reused for the rest."""

    def __init__(self, config):
        self.config = config
        self.smtp: smtplib.SMTP | None = None

    def send(self, email: Email) -> None:
        if self.smtp is None:
            self.smtp = self._open()
        options = ["SMTPUTF8", "BODY=8BITMIME"] if email.international else []
        self.smtp.sendmail(email.sender, [email.recipient], email.data, mail_options=options)

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
    aside as failed with the reason, and the run carries on with the next. A batch goes out over
    OUTBOX_CONNECTIONS SMTP sessions at once: most of a message's time is waiting for the server's
    four replies, which other sessions can use.
    """
    config = current_app.config
    if not config["SMTP_HOST"] or not config["MAIL_FROM"]:
        raise NotConfigured(
            "Email is not set up (SMTP_HOST and MAIL_FROM); the outbox page and the log are the delivery."
        )
    report, sender = SendReport(), Sender.of(config["MAIL_FROM"])
    connections = [Connection(config) for _ in range(max(1, config["OUTBOX_CONNECTIONS"]))]
    started = utcnow()
    try:
        with ThreadPoolExecutor(len(connections), thread_name_prefix="smtp") as pool:
            while not report.stopped_early and (limit is None or report.handled < limit):
                size = config["OUTBOX_BATCH"] if limit is None else min(config["OUTBOX_BATCH"], limit - report.handled)
                batch = claim_batch(started, size)
                if not batch:
                    db.session.commit()
                    break
                _send_batch(batch, _Delivery(pool, connections), sender, config, report)
                db.session.commit()
    finally:
        db.session.rollback()
        for connection in connections:
            connection.close()
    return report


NOT_TRIED = "not tried"


@dataclass
class _Delivery:
    """The run's SMTP sessions: each takes every n-th email of a batch in turn."""

    pool: ThreadPoolExecutor
    connections: list[Connection]

    def send(self, emails: list[Email]) -> list[Exception | str | None]:
        """Each email's outcome: None once sent, the error, or NOT_TRIED when a failure of the server (not of the
        message) on any session stopped the rest."""
        outcomes: list[Exception | str | None] = [NOT_TRIED] * len(emails)
        stop = threading.Event()
        sessions = min(len(self.connections), len(emails))

        def work(index: int) -> None:
            connection = self.connections[index]
            for position in range(index, len(emails), sessions):
                if stop.is_set():
                    return
                try:
                    connection.send(emails[position])
                except (OSError, smtplib.SMTPException) as error:
                    outcomes[position] = error
                    connection.close()
                    if not isinstance(error, MESSAGE_ERRORS):
                        stop.set()
                        return
                else:
                    outcomes[position] = None

        list(self.pool.map(work, range(sessions)))
        return outcomes


def _send_batch(batch: list[OutboxMessage], delivery: _Delivery, sender: Sender, config, report: SendReport) -> None:
    made: list[tuple[OutboxMessage, Email]] = []
    for message in batch:
        try:
            made.append((message, email_message(message, sender)))
        except (ValueError, TypeError) as error:
            _set_aside(message, error, report)
    outcomes = delivery.send([email for _, email in made])
    for (message, _), outcome in zip(made, outcomes, strict=True):
        if outcome is None:
            message.sent_at, message.next_attempt_at, message.last_error = utcnow(), None, None
            report.sent += 1
        elif isinstance(outcome, Exception):
            _record_failure(message, outcome, config["OUTBOX_MAX_ATTEMPTS"], report)
            report.stopped_early = report.stopped_early or not isinstance(outcome, MESSAGE_ERRORS)
        else:
            message.attempts -= 1  # not tried: the attempt does not count


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
