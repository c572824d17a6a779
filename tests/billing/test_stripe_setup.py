"""Switching Stripe on: the library version it is written for, calls that end before gunicorn's timeout,
a Content-Security-Policy that lets the Pay button reach Checkout, and links built on PUBLIC_URL."""

import runpy
from pathlib import Path

import pytest
import stripe

from app.factory import create_app
from billing.stripe_gateway import SUPPORTED_API_VERSION, UnsupportedStripeLibrary, worst_case_seconds
from tests.billing.fake_stripe import CONFIG
from tests.conftest import TEST_CONFIG

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
