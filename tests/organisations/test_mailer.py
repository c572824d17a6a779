"""The sender: multipart email by SMTP, retries with back-off, and every message delivered once."""

import smtplib
import socketserver
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from email import message_from_bytes, policy
from email.utils import parseaddr
from threading import Barrier

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as examples
from hypothesis import strategies as st
from sqlalchemy import select

from app import settings
from kernel.clock import utcnow
from kernel.extensions import db
from organisations import mailer
from organisations.models import OutboxMessage
from tests.factories import sign_in

SMTP_CONFIG = {
    "SMTP_HOST": "smtp.example.org",
    "SMTP_PORT": 587,
    "SMTP_USERNAME": "mailer",
    "SMTP_PASSWORD": "secret",
    "SMTP_STARTTLS": True,
    "SMTP_SSL": False,
    "MAIL_FROM": "Consortia Marketplace <noreply@marketplace.example.org>",
    "OUTBOX_MAX_ATTEMPTS": 3,
}
with_smtp = pytest.mark.app_config(SMTP_CONFIG)


class FakeSMTP:
    """Stands in for smtplib.SMTP: records the session and each message; `failures` makes sends fail."""

    sent: list = []
    sessions: list = []
    failures: list = []
    refused: dict = {}  # recipient -> the error its RCPT gets, whichever session sends it
    delay = 0.0
    lock = threading.Lock()

    def __init__(self, host, port, timeout=None):
        self.calls = [("connect", host, port)]
        with self.lock:
            FakeSMTP.sessions.append(self.calls)

    def starttls(self, context=None):
        self.calls.append(("starttls",))

    def login(self, username, password):
        self.calls.append(("login", username, password))

    def sendmail(self, from_addr, to_addrs, msg, mail_options=(), rcpt_options=()):
        """smtplib's own signature; the bytes are read back as a mail client would, and must say the same."""
        if self.delay:
            time.sleep(self.delay)
        email = message_from_bytes(msg, policy=policy.SMTPUTF8 if "SMTPUTF8" in mail_options else policy.SMTP)
        assert isinstance(msg, bytes) and not email.defects, email.defects
        assert (parseaddr(email["From"])[1], [email["To"]]) == (from_addr, list(to_addrs))
        with self.lock:
            if FakeSMTP.failures:
                raise FakeSMTP.failures.pop(0)
            if to_addrs[0] in FakeSMTP.refused:
                raise FakeSMTP.refused[to_addrs[0]]
            FakeSMTP.sent.append(email)

    def quit(self):
        self.calls.append(("quit",))

    def close(self):
        self.calls.append(("close",))


@pytest.fixture
def smtp(monkeypatch):
    FakeSMTP.sent, FakeSMTP.sessions, FakeSMTP.failures, FakeSMTP.refused, FakeSMTP.delay = [], [], [], {}, 0.0
    monkeypatch.setattr(smtplib, "SMTP", FakeSMTP)
    return FakeSMTP


def add(n: int = 1, **fields) -> list[OutboxMessage]:
    messages = [
        OutboxMessage(
            kind="pool_opened",
            to_email=f"m{i}@example.org",
            subject=f"Message {i}",
            body_text=f"Plain {i}",
            body_html=f"<p>HTML {i}</p>",
            **fields,
        )
        for i in range(n)
    ]
    db.session.add_all(messages)
    db.session.commit()
    return messages


def reloaded(message: OutboxMessage) -> OutboxMessage:
    return db.session.scalar(
        select(OutboxMessage).where(OutboxMessage.id == message.id).execution_options(populate_existing=True)
    )


@with_smtp
def test_a_message_goes_out_as_text_with_an_html_alternative_and_is_marked_sent(world, smtp):
    [message] = add(unsubscribe_url="https://marketplace.example.org/unsubscribe/abc")
    report = mailer.send_pending()

    assert (report.sent, report.retrying, report.failed) == (1, 0, 0)
    [session] = smtp.sessions
    assert session[:3] == [("connect", "smtp.example.org", 587), ("starttls",), ("login", "mailer", "secret")]
    [email] = smtp.sent
    assert email["To"] == "m0@example.org" and email["Subject"] == "Message 0"
    assert email["From"] == "Consortia Marketplace <noreply@marketplace.example.org>"
    assert email["Message-ID"] == f"<outbox.{message.id}.{int(message.created_at.timestamp())}@marketplace.example.org>"
    assert email["List-Unsubscribe"] == "<https://marketplace.example.org/unsubscribe/abc>"
    assert email["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert email.get_content_type() == "multipart/alternative"
    assert email.get_body(("plain",)).get_content().strip() == "Plain 0"
    assert email.get_body(("html",)).get_content().strip() == "<p>HTML 0</p>"
    message = reloaded(message)
    assert message.sent_at is not None and message.attempts == 1 and message.state == "sent"


@with_smtp
def test_a_second_run_sends_nothing_again(world, smtp):
    add(3)
    assert mailer.send_pending().sent == 3
    assert mailer.send_pending().sent == 0
    assert sorted(str(e["To"]) for e in smtp.sent) == ["m0@example.org", "m1@example.org", "m2@example.org"]
    assert len(smtp.sessions) == 3, "one session for each message of the first run's batch, none for the empty run"


@with_smtp
def test_a_batch_goes_out_over_several_sessions_and_a_server_failure_stops_them_all(app, world, smtp):
    app.config["OUTBOX_CONNECTIONS"] = 4
    add(12)
    smtp.delay = 0.01
    smtp.failures = [smtplib.SMTPServerDisconnected("gone")]
    report = mailer.send_pending()
    assert report.stopped_early and report.retrying == 1
    assert len(smtp.sessions) == 4
    first_run = sorted(str(e["To"]) for e in smtp.sent)
    assert len(first_run) < 11, "the other sessions stopped too"
    counted = db.session.scalars(select(OutboxMessage.attempts).where(OutboxMessage.sent_at.is_(None))).all()
    assert sorted(counted) == [0] * (11 - len(first_run)) + [1], "only the failed message's attempt counts"
    smtp.delay = 0.0
    for message in db.session.scalars(select(OutboxMessage)):
        message.next_attempt_at = None
    db.session.commit()
    assert mailer.send_pending().sent == 12 - len(first_run)
    assert sorted(str(e["To"]) for e in smtp.sent) == sorted(f"m{i}@example.org" for i in range(12)), "each once"


@with_smtp
def test_a_failure_is_retried_later_with_a_growing_wait_then_sent(world, smtp):
    [message] = add()
    smtp.failures = [smtplib.SMTPServerDisconnected("connection lost"), smtplib.SMTPServerDisconnected("again")]

    before = utcnow()
    report = mailer.send_pending()
    assert (report.sent, report.retrying, report.stopped_early) == (0, 1, True)
    message = reloaded(message)
    assert message.attempts == 1 and message.sent_at is None and "connection lost" in message.last_error
    first_wait = message.next_attempt_at - before
    assert timedelta(seconds=59) < first_wait <= timedelta(seconds=61)
    assert message.state == "retrying"

    assert mailer.send_pending().sent == 0, "not due yet"
    message.next_attempt_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    before = utcnow()
    mailer.send_pending()
    message = reloaded(message)
    assert message.attempts == 2 and timedelta(seconds=119) < message.next_attempt_at - before <= timedelta(seconds=121)

    message.next_attempt_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert mailer.send_pending().sent == 1
    message = reloaded(message)
    assert message.attempts == 3 and message.sent_at is not None and message.last_error is None
    assert len(smtp.sent) == 1


SMTP_VARIABLES = (
    "SMTP_HOST",
    "SMTP_PORT",
    "SMTP_USERNAME",
    "SMTP_PASSWORD",
    "SMTP_STARTTLS",
    "SMTP_SSL",
    "MAIL_FROM",
    "PUBLIC_URL",
)


def test_email_settings_come_from_the_environment(monkeypatch, tmp_path):
    for name in SMTP_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    config = settings.from_environment(str(tmp_path))
    assert (config["SMTP_HOST"], config["MAIL_FROM"], config["PUBLIC_URL"]) == (None, None, "http://127.0.0.1:5000")
    assert (config["SMTP_PORT"], config["SMTP_STARTTLS"], config["SMTP_SSL"]) == (587, True, False)

    monkeypatch.setenv("SMTP_HOST", "smtp.example.org")
    monkeypatch.setenv("SMTP_SSL", "1")
    monkeypatch.setenv("PUBLIC_URL", "https://marketplace.example.org/")
    config = settings.from_environment(str(tmp_path))
    assert (config["SMTP_PORT"], config["SMTP_STARTTLS"], config["SMTP_SSL"]) == (465, False, True)
    assert config["PUBLIC_URL"] == "https://marketplace.example.org"
    monkeypatch.setenv("SMTP_SSL", "0")
    monkeypatch.setenv("SMTP_STARTTLS", "no")
    monkeypatch.setenv("SMTP_PORT", "25")
    config = settings.from_environment(str(tmp_path))
    assert (config["SMTP_PORT"], config["SMTP_STARTTLS"], config["SMTP_SSL"]) == (25, False, False)


def test_the_wait_doubles_up_to_six_hours():
    assert [mailer.retry_delay(n).total_seconds() for n in (1, 2, 3, 4)] == [60, 120, 240, 480]
    assert mailer.retry_delay(30) == timedelta(hours=6)


@with_smtp
def test_after_the_last_attempt_the_message_is_given_up_as_failed(world, smtp):
    [message] = add(attempts=2)
    smtp.failures = [smtplib.SMTPRecipientsRefused({"m0@example.org": (550, b"no such user")})]
    report = mailer.send_pending()
    assert (report.failed, report.retrying) == (1, 0)
    message = reloaded(message)
    assert message.failed_at is not None and message.next_attempt_at is None and message.state == "failed"
    assert "SMTPRecipientsRefused" in message.last_error
    assert mailer.send_pending().sent == 0


@with_smtp
def test_one_refused_recipient_does_not_hold_up_the_others(world, smtp):
    _first, _second = add(2)
    smtp.refused = {"m0@example.org": smtplib.SMTPRecipientsRefused({"m0@example.org": (550, b"no such user")})}
    report = mailer.send_pending()
    assert (report.sent, report.retrying, report.stopped_early) == (1, 1, False)
    assert [e["To"] for e in smtp.sent] == ["m1@example.org"]


def test_without_smtp_settings_the_command_says_the_log_is_the_delivery(world, runner):
    add()
    result = runner.invoke(args=["send-outbox"])
    assert result.exit_code == 1 and "Email is not set up" in result.output
    assert reloaded(db.session.scalars(select(OutboxMessage)).one()).attempts == 0


@with_smtp
def test_the_command_reports_what_it_sent(world, runner, smtp):
    add(2)
    result = runner.invoke(args=["send-outbox"])
    assert result.exit_code == 0 and "2 sent, 0 to retry, 0 given up." in result.output


@with_smtp
def test_watch_keeps_sending_new_messages(world, runner, smtp, monkeypatch):
    add()
    naps = []

    def sleep(seconds):
        naps.append(seconds)
        if len(naps) == 1:
            add()
        else:
            raise KeyboardInterrupt

    monkeypatch.setattr(time, "sleep", sleep)
    result = runner.invoke(args=["send-outbox", "--watch", "--interval", "5"])
    assert naps == [5, 5] and result.output.count("1 sent") == 2
    assert len(smtp.sent) == 2


@with_smtp
def test_two_senders_at_once_send_each_message_once(app, world, smtp, postgresql_only):
    add(20)
    smtp.delay = 0.01
    app.config["OUTBOX_BATCH"] = 5
    start = Barrier(2)

    def sender(_):
        with app.app_context():
            start.wait()
            try:
                return mailer.send_pending().sent
            finally:
                db.session.remove()

    with ThreadPoolExecutor(2) as pool:
        counts = list(pool.map(sender, [1, 2]))
    assert sum(counts) == 20 and all(counts), counts
    assert sorted(e["To"] for e in smtp.sent) == sorted(f"m{i}@example.org" for i in range(20))
    assert all(
        m.sent_at is not None and m.attempts == 1
        for m in db.session.scalars(select(OutboxMessage).execution_options(populate_existing=True))
    )


class LoopbackSMTP(socketserver.StreamRequestHandler):
    """Just enough of an SMTP server on 127.0.0.1 to receive what smtplib sends."""

    received: list = []

    def reply(self, line: str) -> None:
        self.wfile.write(line.encode() + b"\r\n")

    def handle(self):
        self.reply("220 loopback ready")
        while line := self.rfile.readline():
            command = line.decode().strip().upper()
            if command.startswith("EHLO"):
                self.reply("250 loopback")
            elif command == "DATA":
                self.reply("354 go ahead")
                data = b""
                while (chunk := self.rfile.readline()) != b".\r\n":
                    data += chunk
                LoopbackSMTP.received.append(data)
                self.reply("250 queued")
            elif command == "QUIT":
                self.reply("221 bye")
                return
            else:
                self.reply("250 ok")


@pytest.fixture
def loopback_server():
    LoopbackSMTP.received = []
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), LoopbackSMTP)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def test_a_real_smtp_conversation_over_loopback(app, world, loopback_server):
    app.config.update(
        SMTP_CONFIG
        | {
            "SMTP_HOST": "127.0.0.1",
            "SMTP_PORT": loopback_server.server_address[1],
            "SMTP_STARTTLS": False,
            "SMTP_USERNAME": None,
        }
    )
    add(unsubscribe_url="https://marketplace.example.org/unsubscribe/xyz")
    assert mailer.send_pending().sent == 1
    [raw] = LoopbackSMTP.received
    email = message_from_bytes(raw, policy=policy.default)
    assert email["To"] == "m0@example.org"
    assert email.get_body(("html",)).get_content().strip() == "<p>HTML 0</p>"
    assert email["List-Unsubscribe"] == "<https://marketplace.example.org/unsubscribe/xyz>"


@with_smtp
def test_admins_see_which_messages_are_retrying_or_given_up(client, world, smtp):
    retrying, given_up = add(2)
    given_up.attempts = 2
    db.session.commit()
    smtp.failures = [smtplib.SMTPRecipientsRefused({}), smtplib.SMTPRecipientsRefused({})]
    mailer.send_pending()
    sign_in(client, world.admin)
    page = client.get("/admin/outbox").get_data(as_text=True)
    assert "retrying" in page and "failed" in page
    detail = client.get(f"/admin/outbox/{retrying.id}").get_data(as_text=True)
    assert "not sent; next try" in detail and "SMTPRecipientsRefused" in detail
    assert "given up" in client.get(f"/admin/outbox/{given_up.id}").get_data(as_text=True)


# The message is written as bytes by hand: a mail client reading them back must find exactly what was meant.
_SUBJECTS = st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=200)
_BODIES = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\r"), max_size=500)


@examples(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(subject=_SUBJECTS, text=_BODIES, html=_BODIES)
def test_any_subject_and_body_read_back_as_written(subject, text, html):
    message = OutboxMessage(
        id=7, to_email="m@example.org", subject=subject, body_text=text, body_html=html, created_at=utcnow()
    )
    sender = mailer.Sender.of("Consortia Marketplace – Tayside <noreply@marketplace.example.org>")
    email = message_from_bytes(mailer.email_message(message, sender).data, policy=policy.SMTP)
    assert not email.defects
    assert " ".join(email["Subject"].split()) == " ".join(subject.split()), "folding may only move whitespace"
    assert email["From"] == "Consortia Marketplace – Tayside <noreply@marketplace.example.org>"
    assert email.get_body(("plain",)).get_content() == text
    assert email.get_body(("html",)).get_content() == html


@with_smtp
def test_an_international_address_travels_as_smtputf8_and_a_line_break_in_it_is_refused(world, smtp):
    add(1, unsubscribe_url=None)
    db.session.add(
        OutboxMessage(
            kind="pool_opened",
            to_email="zoë@exämple.org",
            subject="Closed at £3.85 a ream",
            body_text="Ok",
            body_html="<p>Ok</p>",
        )
    )
    db.session.add(
        OutboxMessage(
            kind="pool_opened",
            to_email="a@example.org\r\nBcc: all@example.org",
            subject="x",
            body_text="-",
            body_html="-",
        )
    )
    db.session.commit()
    report = mailer.send_pending()
    assert (report.sent, report.failed) == (2, 1)
    by_recipient = {str(e["To"]): e for e in smtp.sent}
    assert sorted(by_recipient) == ["m0@example.org", "zoë@exämple.org"]
    assert by_recipient["zoë@exämple.org"]["Subject"] == "Closed at £3.85 a ream"
