"""`make run PORT=...` serves on that port, and the emails it writes link to the same address."""

import subprocess
from pathlib import Path

import pytest
from sqlalchemy import select

from kernel.extensions import db
from organisations.models import OutboxMessage
from tests.billing.conftest import issued_invoice
from tests.factories import sign_in

ROOT = Path(__file__).resolve().parent.parent


def test_make_run_gives_every_command_the_address_it_serves_on():
    dry_run = subprocess.run(
        ["make", "-n", "run", "PORT=8123", "RUN_INSTALLED=Makefile"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    flask_lines = [line for line in dry_run.splitlines() if "flask --app wsgi" in line]
    assert len(flask_lines) == 4
    assert all("PUBLIC_URL=http://127.0.0.1:8123 " in line for line in flask_lines)
    assert "--port 8123" in flask_lines[-1]


@pytest.mark.app_config({"PUBLIC_URL": "http://127.0.0.1:8123"})
def test_an_emails_link_carries_the_configured_address(client, world):
    invoice = issued_invoice(world.member)
    sign_in(client, world.secretary)

    assert client.post(f"/invoices/{invoice.id}/reminder").status_code == 302

    [message] = db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "invoice_reminder")).all()
    for body in (message.body_text, message.body_html):
        assert f"http://127.0.0.1:8123/invoices/{invoice.id}" in body
