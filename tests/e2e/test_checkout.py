"""The member pays an invoice through Stripe Checkout in Chromium: the Pay button leaves the site for a Checkout
page on another origin (the stand-in, driven by the fake Stripe the app called), comes back to the invoice
showing the payment processing, and the invoice reads paid once the signed webhook arrives."""

import json
import re
import urllib.request

import pytest
from sqlalchemy import select

from app.factory import create_app
from kernel.clock import uk_today
from kernel.extensions import db
from organisations.models import Member
from tests.billing.conftest import issued_invoice
from tests.billing.fake_stripe import SECRET_KEY, WEBHOOK_SECRET, event, sign
from tests.conftest import BACKENDS, TEST_CONFIG
from tests.e2e.checkout_stand_in import CheckoutStandIn
from tests.e2e.conftest import _serving, _visits


@pytest.fixture(scope="session", params=BACKENDS)
def stripe_server(request, browser, tmp_path_factory):
    """The app with Stripe on, its API and Checkout pages on a stand-in's origin: (app URL, database URL, stand-in).

    One stand-in per app, as each deployment has its own Stripe account: their idempotency keys would meet.
    """
    with CheckoutStandIn() as stand_in:
        settings = {
            "STRIPE_SECRET_KEY": SECRET_KEY,
            "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
            "STRIPE_API_BASE": stand_in.origin,
            "STRIPE_CHECKOUT_ORIGIN": stand_in.origin,
        }
        with _serving(request.param, tmp_path_factory, **settings) as (url, database_url):
            yield url, database_url, stand_in


@pytest.fixture
def visit(browser, stripe_server, request):
    yield from _visits(browser, stripe_server[0], request)


def _an_invoice_for_the_demo_member(database_url: str) -> tuple[int, int]:
    """A new £120.00 invoice to Re-Tweed Dundee CIC (the demo's own are paid), written through the models."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": TEST_CONFIG["SECRET_KEY"]})
    with app.app_context():
        member = next(m for m in db.session.scalars(select(Member)) if m.name == "Re-Tweed Dundee CIC")
        invoice = issued_invoice(member, issue_date=uk_today())
        found = invoice.id, invoice.due_pence
        db.session.remove()
        db.engine.dispose()
    return found


def _deliver(base_url: str, body: dict) -> int:
    payload = json.dumps(body)
    request = urllib.request.Request(
        f"{base_url}/stripe/webhook",
        data=payload.encode(),
        headers={"Content-Type": "application/json", "Stripe-Signature": sign(payload)},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status


def test_a_member_pays_an_invoice_through_checkout_on_another_origin(visit, stripe_server):
    base_url, database_url, stand_in = stripe_server
    invoice_id, due_pence = _an_invoice_for_the_demo_member(database_url)
    member = visit("member")
    member.sign_in("member@example.org")

    with member.at("opens the invoice"):
        member.goto(f"/invoices/{invoice_id}")
        due = member.cell("Due now", within="table tfoot")
        assert member.page.get_by_text("Status: issued").is_visible()

    with member.at("presses Pay"):
        with member.page.expect_navigation(url=re.compile(re.escape(stand_in.origin) + "/c/pay/")):
            member.page.get_by_role("button", name=f"Pay {due} by card or Direct Debit").click()
        assert not member.refused_by_csp, member.refused_by_csp
        session_id = member.page.url.rsplit("/", 1)[1]
        session = stand_in.fake.sessions[session_id]
        assert (session["amount_total"], session["metadata"]["invoice_id"]) == (due_pence, str(invoice_id))
        assert member.page.get_by_text(f"Amount: {due}").is_visible()

    with member.at("pays on Checkout and comes back"):
        member.follow(member.page.get_by_role("button", name="Pay", exact=True))
        assert member.page.url == f"{base_url}/invoices/{invoice_id}?paid=1"
        assert member.page.get_by_text("Payment processing").is_visible()
        assert member.page.get_by_text("Status: issued").is_visible()

    with member.at("sees it paid once the webhook arrives"):
        assert _deliver(base_url, event("checkout.session.completed", stand_in.completed[session_id])) == 200
        member.goto(f"/invoices/{invoice_id}")
        assert member.page.get_by_text("Status: paid").is_visible()
        assert member.cell("Due now", within="table tfoot") == "£0.00"
