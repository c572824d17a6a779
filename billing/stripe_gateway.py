"""Every call to Stripe goes through here, on a `StripeClient` handed in (a fake one in tests).

The app stays the system of record: Stripe only collects money, and what it collected is
recorded when its webhook says so (billing.payments.handle_event). Stripe is switched on
by setting both STRIPE_SECRET_KEY and STRIPE_WEBHOOK_SECRET.

Every request names the API version the installed `stripe` library pins; the parameters below are
the ones that version declares (`stripe.params`), so the app starts with Stripe on only when the
library pins SUPPORTED_API_VERSION.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

import stripe
from flask import current_app
from sqlalchemy import func, select
from stripe import RequestOptions, StripeClient
from stripe.params import CustomerCreateParams, PaymentIntentCreateParams
from stripe.params.checkout import SessionCreateParams

from billing import charging
from billing.models import CheckoutAttempt, Invoice, SavedMethodCharge, StripeCustomer
from billing.payments import record_stripe_payment
from billing.reminders import send_pay_link
from kernel.clock import uk_today, utcnow
from kernel.errors import Conflict, DomainError
from kernel.extensions import db
from organisations.models import Member
from organisations.notifications import external_url

log = logging.getLogger(__name__)

Params = TypeVar("Params")
Answer = TypeVar("Answer")

SUPPORTED_API_VERSION = "2026-10-28.endive"  # what stripe 16.x pins; pyproject.toml keeps stripe to 16.x
NETWORK_RETRIES = 2
CURRENCY = "gbp"
# Card, Bacs Direct Debit and UK bank transfer (Stripe's customer balance, funded by a GB transfer).
PAYMENT_METHOD_TYPES = ["card", "bacs_debit", "customer_balance"]
SAVED_METHOD_TYPES = ["card", "bacs_debit"]


class PaymentsUnavailable(DomainError):
    """Stripe could not be reached or refused the request; the member can retry or pay by bank transfer."""

    status_code = 503
    code = "payments_unavailable"


class UnsupportedStripeLibrary(RuntimeError):
    """The installed `stripe` library talks another API version than the one these calls are written for."""


def check_library() -> None:
    """Refuses to go on with a library whose API version's parameters may differ from the ones sent here."""
    if stripe.api_version != SUPPORTED_API_VERSION:
        raise UnsupportedStripeLibrary(
            f"The installed stripe {stripe.VERSION} talks Stripe API version {stripe.api_version}, but card and "
            f"Direct Debit payments are written for {SUPPORTED_API_VERSION} (stripe 16.x): install the stripe "
            "version in requirements.lock, or unset STRIPE_SECRET_KEY to take payments by bank transfer only."
        )


def stripe_enabled(config) -> bool:
    return bool(config.get("STRIPE_SECRET_KEY")) and bool(config.get("STRIPE_WEBHOOK_SECRET"))


def has_saved_method(member_id: int) -> bool:
    customer = db.session.get(StripeCustomer, member_id)
    return customer is not None and bool(customer.payment_method_id)


def client_from_config(config, http_client: stripe.HTTPClient | None = None) -> StripeClient:
    """A client on the configured key whose calls, retries included, end within STRIPE_TIMEOUT's bound (see
    `worst_case_seconds`); STRIPE_HTTP_CLIENT (set only by tests) replaces the network."""
    return StripeClient(
        config["STRIPE_SECRET_KEY"],
        http_client=http_client
        or config.get("STRIPE_HTTP_CLIENT")
        or stripe.new_default_http_client(timeout=config["STRIPE_TIMEOUT"]),
        base_addresses={"api": config["STRIPE_API_BASE"]} if config.get("STRIPE_API_BASE") else None,
        max_network_retries=NETWORK_RETRIES,
    )


def worst_case_seconds(config) -> float:
    """The longest one Stripe call can take: every try timing out, with the library's longest waits between."""
    return (NETWORK_RETRIES + 1) * config["STRIPE_TIMEOUT"] + NETWORK_RETRIES * stripe._http_client.HTTPClient.MAX_DELAY


class StripeGateway:
    def __init__(self, client: StripeClient):
        self.client = client

    def checkout_url(self, invoice: Invoice, success_url: str, cancel_url: str) -> str:
        """A new Checkout Session for what is due now; its attempt number makes the idempotency key."""
        invoice = db.session.execute(
            select(Invoice).where(Invoice.id == invoice.id).with_for_update().execution_options(populate_existing=True)
        ).scalar_one()
        due = invoice.due_pence
        if due <= 0:
            raise Conflict(f"Nothing is due on invoice {invoice.number}.")
        attempt = (
            1
            + db.session.execute(
                select(func.coalesce(func.max(CheckoutAttempt.attempt), 0)).where(
                    CheckoutAttempt.invoice_id == invoice.id
                )
            ).scalar_one()
        )
        customer = self._customer(invoice.member)
        metadata = {"invoice_id": str(invoice.id), "invoice_number": invoice.number}
        params: SessionCreateParams = {
            "mode": "payment",
            "customer": customer.customer_id,
            "client_reference_id": str(invoice.id),
            "line_items": [
                {
                    "quantity": 1,
                    "price_data": {
                        "currency": CURRENCY,
                        "unit_amount": due,
                        "product_data": {"name": f"Invoice {invoice.number}"},
                    },
                }
            ],
            "allowed_payment_method_types": PAYMENT_METHOD_TYPES,
            "payment_method_options": {
                "customer_balance": {"funding_type": "bank_transfer", "bank_transfer": {"type": "gb_bank_transfer"}}
            },
            "payment_intent_data": {"metadata": metadata, "description": f"Invoice {invoice.number}"},
            "metadata": metadata | {"attempt": str(attempt)},
            "success_url": success_url,
            "cancel_url": cancel_url,
        }
        session = self._call(self.client.v1.checkout.sessions.create, params, f"invoice-{invoice.id}-attempt-{attempt}")
        url = _page_url(session)
        db.session.add(CheckoutAttempt(invoice_id=invoice.id, attempt=attempt, session_id=session.id, url=url))
        db.session.flush()
        return url

    def setup_url(self, member: Member, success_url: str, cancel_url: str) -> str:
        """A Checkout Session in setup mode: the member saves a card or Direct Debit for invoices to come."""
        customer = self._customer(member)
        params: SessionCreateParams = {
            "mode": "setup",
            "currency": CURRENCY,
            "customer": customer.customer_id,
            "allowed_payment_method_types": SAVED_METHOD_TYPES,
            "setup_intent_data": {"metadata": {"member_id": str(member.id)}},
            "metadata": {"member_id": str(member.id)},
            "success_url": success_url,
            "cancel_url": cancel_url,
        }
        return _page_url(self._call(self.client.v1.checkout.sessions.create, params))

    def charge_saved_method(self, invoice: Invoice, pay_url: str, idempotency_key: str) -> bool:
        """Charge what is due to the member's saved method, off-session.

        True when nothing is asked of the member (paid, collecting, or nothing due); False when
        they must act (no saved method, a decline, authentication needed, Stripe unreachable),
        and the caller sends them the pay link. Never raises for Stripe's answers, so issuing
        an invoice never fails because of a card.
        """
        due = invoice.due_pence
        if due <= 0:
            return True
        customer = db.session.get(StripeCustomer, invoice.member_id)
        if customer is None or not customer.payment_method_id:
            return False
        params: PaymentIntentCreateParams = {
            "amount": due,
            "currency": CURRENCY,
            "customer": customer.customer_id,
            "payment_method": customer.payment_method_id,
            "allowed_payment_method_types": SAVED_METHOD_TYPES,
            "off_session": True,
            "confirm": True,
            "return_url": pay_url,
            "description": f"Invoice {invoice.number}",
            "metadata": {"invoice_id": str(invoice.id), "invoice_number": invoice.number},
        }
        try:
            intent = self.client.v1.payment_intents.create(params, {"idempotency_key": idempotency_key})
        except stripe.CardError as error:
            log.info("Off-session charge for invoice %s needs the member: %s", invoice.number, error.code)
            return False
        except stripe.StripeError as error:
            log.warning("Off-session charge for invoice %s failed: %s", invoice.number, error)
            return False
        if intent.status == "succeeded":
            record_stripe_payment(invoice, intent.id, intent.amount_received, uk_today())
            return True
        return intent.status == "processing"

    def _customer(self, member: Member) -> StripeCustomer:
        """The member's Stripe customer, made the first time it pays or saves a method."""
        customer = db.session.get(StripeCustomer, member.id)
        if customer is not None:
            return customer
        params: CustomerCreateParams = {
            "name": member.name,
            "email": member.billing_email or member.organisation.contact_email,
            "metadata": {"member_id": str(member.id)},
        }
        created = self._call(self.client.v1.customers.create, params, f"member-{member.id}-customer")
        customer = StripeCustomer(member_id=member.id, customer_id=created.id, updated_at=utcnow())
        db.session.add(customer)
        db.session.flush()
        return customer

    @staticmethod
    def _call(
        method: Callable[[Params, RequestOptions | None], Answer], params: Params, idempotency_key: str | None = None
    ) -> Answer:
        options: RequestOptions | None = {"idempotency_key": idempotency_key} if idempotency_key else None
        try:
            return method(params, options)
        except stripe.StripeError as error:
            log.warning("Stripe refused %s: %s", method.__qualname__, error)
            raise PaymentsUnavailable(
                "Online payment is unavailable just now; please try again later or pay by bank transfer."
            ) from error


def _page_url(session: stripe.checkout.Session) -> str:
    """A hosted Checkout Session's page; Stripe leaves the URL out only for embedded ones, which we never make."""
    if session.url is None:
        log.warning("Stripe answered Checkout Session %s without a page URL", session.id)
        raise PaymentsUnavailable(
            "Online payment is unavailable just now; please try again later or pay by bank transfer."
        )
    return session.url


@dataclass
class ChargeRun:
    """What one run of the charging job did."""

    charged: int = 0  # paid, or a Direct Debit now collecting
    needs_member: int = 0  # declined, needs authentication, or tried too often: the member was sent the pay link
    failed: int = 0  # broke off; its claim lapses and a later run tries again


def charge_due(limit: int | None = None) -> ChargeRun:
    """Charges the queued invoices' saved payment methods (billing.charging), each claim and each outcome committed.

    Never raises for one charge: a charge that broke off is logged and left to its lease, so one bad invoice
    holds up no other.
    """
    run = ChargeRun()
    config = current_app.config
    if not stripe_enabled(config):
        return run
    gateway = StripeGateway(client_from_config(config))
    while limit is None or run.charged + run.needs_member + run.failed < limit:
        charge = charging.claim_next(utcnow())
        db.session.commit()
        if charge is None:
            return run
        try:
            charged = _charge(gateway, charge)
            db.session.commit()
        except Exception:
            db.session.rollback()
            log.exception("Charging the saved payment method for invoice %s broke off", charge.invoice_id)
            run.failed += 1
            continue
        if charged:
            run.charged += 1
        else:
            run.needs_member += 1
    return run


def _charge(gateway: StripeGateway, charge: SavedMethodCharge) -> bool:
    """One claimed charge to Stripe and its outcome; a pay link to the member when they must act."""
    invoice = db.session.get_one(Invoice, charge.invoice_id)
    pay_url = external_url("billing.invoice", invoice_id=invoice.id)
    if charge.tries > charging.MAX_TRIES:
        log.error(
            "Gave up charging invoice %s after %s tries; the member is sent the pay link",
            invoice.number,
            charge.tries - 1,
        )
        charged = invoice.due_pence <= 0
    else:
        charged = gateway.charge_saved_method(invoice, pay_url, charging.idempotency_key(charge))
    if not charged:
        send_pay_link(invoice, pay_url)
    charge.finished_at, charge.outcome = utcnow(), "charged" if charged else "needs_member"
    return charged
