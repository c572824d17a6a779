"""The sender: multipart email by SMTP, retries with back-off, and every message delivered once."""

import smtplib
import socketserver
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from email import message_from_bytes, policy
from threading import Barrier

import pytest
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

    def send_message(self, email):
        if self.delay:
            time.sleep(self.delay)
        with self.lock:
            if FakeSMTP.failures:
                raise FakeSMTP.failures.pop(0)
            FakeSMTP.sent.append(email)

    def quit(self):
        self.calls.append(("quit",))

    def close(self):
        self.calls.append(("close",))


@pytest.fixture
def smtp(monkeypatch):
    FakeSMTP.sent, FakeSMTP.sessions, FakeSMTP.failures, FakeSMTP.delay = [], [], [], 0.0
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
    assert len(smtp.sent) == 3 and len(smtp.sessions) == 1


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
    smtp.failures = [smtplib.SMTPRecipientsRefused({"m0@example.org": (550, b"no such user")})]
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
