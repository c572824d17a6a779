"""Switching Stripe on: the library version it is written for, calls that end before gunicorn's timeout,
a Content-Security-Policy that lets the Pay button reach Checkout, and links built on PUBLIC_URL."""

import runpy
from pathlib import Path

import pytest
import stripe
from sqlalchemy import select

from app.factory import create_app
from billing.stripe_gateway import SUPPORTED_API_VERSION, UnsupportedStripeLibrary, worst_case_seconds
from kernel.extensions import db
from organisations.models import OutboxMessage
from tests.billing.fake_stripe import CONFIG, FakeStripe
from tests.conftest import TEST_CONFIG
from tests.factories import api_token, sign_in

ROOT = Path(__file__).resolve().parents[2]
SQLITE = {"SQLALCHEMY_DATABASE_URI": "sqlite://"}


def test_the_app_refuses_to_start_payments_on_a_library_of_another_api_version(monkeypatch):
    monkeypatch.setattr(stripe, "api_version", "2025-03-31.basil")

    with pytest.raises(UnsupportedStripeLibrary) as refused:
        create_app(TEST_CONFIG | SQLITE | CONFIG)

    message = str(refused.value)
    assert "2025-03-31.basil" in message and SUPPORTED_API_VERSION in message
    assert "unset STRIPE_SECRET_KEY" in message


def test_without_stripe_the_library_version_does_not_matter(monkeypatch):
    monkeypatch.setattr(stripe, "api_version", "2025-03-31.basil")

    assert create_app(TEST_CONFIG | SQLITE).config["STRIPE_SECRET_KEY"] is None


def test_stripe_calls_with_their_retries_end_before_gunicorn_gives_up_on_the_worker():
    gunicorn = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    app = create_app(TEST_CONFIG | SQLITE | CONFIG)

    assert worst_case_seconds(app.config) < gunicorn["timeout"] == app.config["GUNICORN_TIMEOUT"]


def test_a_stripe_timeout_beyond_gunicorns_stops_the_app_starting():
    with pytest.raises(RuntimeError, match=r"STRIPE_TIMEOUT=12 lets one Stripe call with its retries take 46 s"):
        create_app(TEST_CONFIG | SQLITE | CONFIG | {"STRIPE_TIMEOUT": 12})


def _form_action(response) -> list[str]:
    [directive] = [d for d in response.headers["Content-Security-Policy"].split(";") if "form-action" in d]
    return directive.split()[1:]


def test_with_stripe_off_forms_post_to_this_site_only(client):
    assert _form_action(client.get("/sign-in")) == ["'self'"]


@pytest.mark.app_config(CONFIG)
def test_with_stripe_on_the_pay_buttons_redirect_may_go_to_stripe_checkout_and_nowhere_else(client):
    assert _form_action(client.get("/sign-in")) == ["'self'", "https://checkout.stripe.com"]


@pytest.mark.app_config(CONFIG | {"STRIPE_CHECKOUT_ORIGIN": "http://127.0.0.1:8765"})
def test_the_checkout_origin_is_a_setting(client):
    assert _form_action(client.get("/sign-in")) == ["'self'", "http://127.0.0.1:8765"]


# Links on PUBLIC_URL, whatever Host a request names

PUBLIC = {"PUBLIC_URL": "https://market.example.org"}


@pytest.fixture
def evil_client(client):
    """Every request, sign-in included, names Host: evil.example (a proxy passing a forged Host on)."""
    client.environ_base["HTTP_HOST"] = "evil.example"
    return client


@pytest.fixture
def fake(app) -> FakeStripe:
    app.config["STRIPE_HTTP_CLIENT"] = fake = FakeStripe()
    return fake


@pytest.mark.app_config(CONFIG | PUBLIC)
def test_checkout_return_urls_are_on_public_url_not_the_requests_host(evil_client, world, invoice, fake):
    sign_in(evil_client, world.member_user)

    assert evil_client.post(f"/invoices/{invoice.id}/checkout").status_code == 303
    assert evil_client.post(f"/api/v1/invoices/{invoice.id}/checkout", headers=api_token(world.member_user)).json
    assert evil_client.post(f"/members/{world.member.id}/payment-method").status_code == 303

    invoice_url = f"https://market.example.org/invoices/{invoice.id}"
    statement_url = f"https://market.example.org/statement?member_id={world.member.id}"
    sessions = [(c.params["success_url"], c.params["cancel_url"]) for c in fake.to("/v1/checkout/sessions")]
    assert sessions == [
        (f"{invoice_url}?paid=1", invoice_url),
        (f"{invoice_url}?paid=1", invoice_url),
        (f"{statement_url}&saved=1", statement_url),
    ]


@pytest.mark.app_config(PUBLIC)
def test_a_reminder_links_to_public_url_not_the_requests_host(evil_client, world, invoice):
    sign_in(evil_client, world.secretary)

    assert evil_client.post(f"/invoices/{invoice.id}/reminder").status_code == 302

    [message] = db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "invoice_reminder")).all()
    for body in (message.body_text, message.body_html):
        assert f"https://market.example.org/invoices/{invoice.id}" in body
        assert "evil.example" not in body
