"""Logging is set up once (app.logs): LOG_LEVEL (INFO by default), one format, to stderr, gunicorn's lines too.

The INFO lines operators rely on, the outbox's delivery line and Stripe's declines, reach that handler.
"""

import re
import runpy
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from app import logs
from billing.models import Invoice
from billing.stripe_gateway import charge_due
from kernel.extensions import db
from tests.billing.fake_stripe import FakeStripe, event, payment_intent
from tests.billing.test_invoicing import delivered_order
from tests.billing.test_saved_methods import post_event, save_method, stripe_on
from tests.factories import World, sign_in

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
LINE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d{4} (DEBUG|INFO|WARNING|ERROR|CRITICAL) [\w.]+: ", re.M)


def _info_line(stderr: str, logger: str, text: str) -> bool:
    return re.search(rf"^\S+ INFO {re.escape(logger)}: .*{re.escape(text)}", stderr, re.M) is not None


@pytest.fixture
def fake(app) -> FakeStripe:
    app.config["STRIPE_HTTP_CLIENT"] = fake = FakeStripe()
    return fake


@stripe_on
def test_the_outbox_delivery_and_a_stripe_decline_are_written_to_stderr_at_info(
    client, world: World, fake: FakeStripe, capsys: pytest.CaptureFixture[str]
) -> None:
    order = delivered_order(world)
    save_method(world.member)
    fake.declines.append("authentication_required")
    sign_in(client, world.secretary)
    capsys.readouterr()

    assert client.post(f"/purchase-orders/{order.id}/invoices").status_code == 302
    assert charge_due().needs_member == 1
    invoice = db.session.scalar(db.select(Invoice).where(Invoice.member_id == world.member.id))
    failed = event(
        "payment_intent.payment_failed", payment_intent(invoice.id, 0, "pi_declined", "requires_payment_method")
    )
    assert post_event(client, failed).status_code == 200

    stderr = capsys.readouterr().err
    assert _info_line(stderr, "billing.stripe_gateway", f"charge for invoice {invoice.number} needs the member")
    assert _info_line(stderr, "organisations.outbox", f"to {invoice.buyer_email}")  # the pay link, delivered by log
    assert _info_line(stderr, "billing.payments", f"Stripe payment failed for invoice {invoice.id} (pi_declined)")


def _python(code: str, **env: str) -> subprocess.CompletedProcess[str]:
    """A fresh process, without pytest's logging: what `flask --app wsgi ...` and gunicorn's workers see."""
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={"PATH": str(BIN), "SECRET_KEY": "logging-test", "DATABASE_URL": "sqlite://"} | env,
        capture_output=True,
        text=True,
        timeout=60,
    )


MAKE_APP_AND_LOG = """
import logging
from app.factory import create_app
create_app()
create_app()  # a second app adds no second handler
logging.getLogger("organisations.outbox").info("Outbox message 1 (note) to a@example.org: A note")
logging.getLogger("billing.payments").debug("a debug line")
"""


def test_a_fresh_process_logs_info_once_in_one_format_to_stderr() -> None:
    result = _python(MAKE_APP_AND_LOG)
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and LINE.match(lines[0]), result.stderr
    assert lines[0].endswith("INFO organisations.outbox: Outbox message 1 (note) to a@example.org: A note")


def test_log_level_comes_from_the_environment() -> None:
    debug = _python(MAKE_APP_AND_LOG, LOG_LEVEL="debug")
    assert debug.returncode == 0 and "DEBUG billing.payments: a debug line" in debug.stderr, debug.stderr
    quiet = _python(MAKE_APP_AND_LOG, LOG_LEVEL="WARNING")
    assert quiet.returncode == 0 and quiet.stderr == "", quiet.stderr
    wrong = _python(MAKE_APP_AND_LOG, LOG_LEVEL="loud")
    assert wrong.returncode != 0 and "LOG_LEVEL must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL" in wrong.stderr


def test_gunicorn_conf_sends_gunicorns_loggers_through_the_same_handler(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LOG_LEVEL", "warning")
    configured = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    assert configured["loglevel"] == "warning"
    assert configured["logconfig_dict"] == logs.config("WARNING")
    assert configured["logconfig_dict"]["root"]["handlers"] == [logs.HANDLER]
    gunicorns = configured["logconfig_dict"]["loggers"]
    assert all(
        gunicorns[name] == gunicorns[name] | {"handlers": [], "propagate": True}
        for name in ("gunicorn.error", "gunicorn.access")
    )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_gunicorn_writes_its_own_lines_and_the_access_log_in_the_apps_format(tmp_path: Path) -> None:
    port = _free_port()
    env = {
        "PATH": str(BIN),
        "DATABASE_URL": f"sqlite:///{tmp_path}/serve.db",
        "SECRET_KEY": "logging-test",
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": "1",
        "HOME": str(tmp_path),
    }
    server = subprocess.Popen(
        [str(BIN / "gunicorn"), "wsgi:app"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/sign-in", timeout=5) as response:
                    assert response.status == 200
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise
                time.sleep(0.3)
    finally:
        server.terminate()
        stdout, stderr = server.communicate(timeout=60)
    assert stdout == ""
    lines = stderr.splitlines()
    assert lines and all(LINE.match(line) for line in lines), stderr
    assert any(" INFO gunicorn.error: Booting worker" in line for line in lines), stderr
    assert any(
        " INFO gunicorn.access: 127.0.0.1 - - [" in line and '"GET /sign-in HTTP/1.1" 200' in line for line in lines
    )
