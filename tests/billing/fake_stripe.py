"""A fake Stripe for tests: the real `stripe` library over an HTTP client that never leaves the process.

`FakeStripe` answers what the real API answers, and refuses what it refuses: a request to an endpoint
it does not model, a parameter the installed library's types (`stripe.params`) do not declare for the
endpoint, a value of the wrong type, a required parameter left out, another API version than the one
the library pins, another secret key. It records each request (method, path, form parameters,
headers), replays the first answer for a repeated Idempotency-Key as Stripe does (and refuses the key
with other parameters), and keeps the Checkout Sessions it made so a stand-in Checkout page can show
and complete them. `sign(payload, secret)` makes a Stripe-Signature header the way Stripe does.
"""

import itertools
import json
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import stripe
from stripe.params import CustomerCreateParams, PaymentIntentCreateParams, SetupIntentCreateParams
from stripe.params.checkout import SessionCreateParams

from tests.billing.stripe_params import Refused, check, form

# The endpoints the fake models (all POST), each with what it accepts: the installed library's own parameter types.
ENDPOINTS: dict[str, type] = {
    "/v1/customers": CustomerCreateParams,
    "/v1/checkout/sessions": SessionCreateParams,
    "/v1/setup_intents": SetupIntentCreateParams,
    "/v1/payment_intents": PaymentIntentCreateParams,
}
API_VERSION = stripe.api_version  # the version the installed library pins, and so the one its types describe

SECRET_KEY = "sk_test_fake"
WEBHOOK_SECRET = "whsec_test_fake"
CONFIG = {"STRIPE_SECRET_KEY": SECRET_KEY, "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET, "STRIPE_WEBHOOK_TOLERANCE": 300}
CHECKOUT_ORIGIN = "https://checkout.stripe.com"


@dataclass
class Request:
    method: str
    path: str
    params: dict[str, str]
    headers: dict[str, str]


@dataclass
class FakeStripe(stripe.HTTPClient):
    """Answers POST /v1/customers, /v1/checkout/sessions, /v1/setup_intents and /v1/payment_intents."""

    name = "fake"
    requests: list[Request] = field(default_factory=list)
    replies: list[tuple[Request, dict]] = field(default_factory=list)
    declines: list[str] = field(default_factory=list)
    payment_intent_status: str = "succeeded"
    unreachable: bool = False
    checkout_origin: str = CHECKOUT_ORIGIN
    sessions: dict[str, dict] = field(default_factory=dict)

    def __post_init__(self):
        super().__init__()
        self._ids = itertools.count(1)
        self._replies: dict[str, tuple[tuple[str, str, str], tuple[str, int, dict]]] = {}

    def request(self, method, url, headers, post_data=None, *, _usage=None):
        if self.unreachable:
            raise stripe.APIConnectionError("Could not connect to Stripe (fake).", should_retry=False)
        parts = urlsplit(url)
        body = post_data.decode() if isinstance(post_data, bytes) else (post_data or parts.query)
        pairs = parse_qsl(body, keep_blank_values=True)
        request = Request(method.upper(), parts.path, dict(pairs), dict(headers or {}))
        self.requests.append(request)
        refused = _refused(request, pairs)
        if refused is not None:
            return refused
        key = request.headers.get("Idempotency-Key")
        if key in self._replies:
            first, reply = self._replies[key]
            if first != (request.method, request.path, body):
                return _error(
                    400,
                    "idempotency_error",
                    f"Keys for idempotent requests can only be used with the same parameters they were first used "
                    f"with. Try using a key other than '{key}' if you meant to execute a different request.",
                )
            return reply[0], reply[1], reply[2] | {"Idempotent-Replayed": "true"}
        reply = self._answer(request)
        self.replies.append((request, json.loads(reply[0])))
        if key:
            self._replies[key] = ((request.method, request.path, body), reply)
        return reply

    def close(self):
        pass

    def to(self, path: str) -> list[Request]:
        return [r for r in self.requests if r.path == path]

    def answered(self, path: str) -> list[dict]:
        """The bodies Stripe answered for `path`, first answers only (not idempotent replays)."""
        return [body for request, body in self.replies if request.path == path]

    def complete_checkout(self, session_id: str) -> dict:
        """The member pays on the Checkout page: the session as Stripe then sends it in `checkout.session.completed`."""
        session = self.sessions[session_id]
        session |= {"status": "complete", "payment_status": "paid", "payment_intent": f"pi_test_{next(self._ids)}"}
        return {k: v for k, v in session.items() if k not in ("payment_intent_data",)}

    def _answer(self, request: Request) -> tuple[str, int, dict]:
        n = next(self._ids)
        p = request.params
        if request.path == "/v1/customers":
            return _ok(
                {"id": f"cus_test_{n}", "object": "customer", "email": p.get("email"), "metadata": _sub(p, "metadata")}
            )
        if request.path == "/v1/checkout/sessions":
            session = {
                "id": f"cs_test_{n}",
                "object": "checkout.session",
                "mode": p.get("mode"),
                "url": f"{self.checkout_origin}/c/pay/cs_test_{n}",
                "customer": p.get("customer"),
                "currency": p.get("currency") or p.get("line_items[0][price_data][currency]"),
                "amount_total": int(p.get("line_items[0][price_data][unit_amount]") or 0),
                "metadata": _sub(p, "metadata"),
                "success_url": p.get("success_url"),
                "cancel_url": p.get("cancel_url"),
                "payment_status": "unpaid",
                "status": "open",
            }
            self.sessions[session["id"]] = dict(session)
            return _ok(session)
        if request.path == "/v1/setup_intents":
            return _ok(
                {
                    "id": f"seti_test_{n}",
                    "object": "setup_intent",
                    "status": "requires_payment_method",
                    "customer": p.get("customer"),
                    "client_secret": f"seti_test_{n}_secret",
                }
            )
        intent = {
            "id": f"pi_test_{n}",
            "object": "payment_intent",
            "amount": int(p["amount"]),
            "currency": p["currency"],
            "customer": p.get("customer"),
            "metadata": _sub(p, "metadata"),
            "payment_method": p.get("payment_method"),
        }
        if self.declines:
            code = self.declines.pop(0)
            intent |= {"status": "requires_payment_method", "amount_received": 0}
            return _reply(
                402,
                {"error": {"type": "card_error", "code": code, "message": f"Fake {code}.", "payment_intent": intent}},
            )
        received = intent["amount"] if self.payment_intent_status == "succeeded" else 0
        return _ok(intent | {"status": self.payment_intent_status, "amount_received": received})


def _refused(request: Request, pairs: list[tuple[str, str]]) -> tuple[str, int, dict] | None:
    """Stripe's answer to a request it refuses before doing anything, so it is never kept for an Idempotency-Key."""
    if request.headers.get("Authorization") != f"Bearer {SECRET_KEY}":
        return _error(401, "invalid_request_error", "Invalid API Key provided.")
    version = request.headers.get("Stripe-Version")
    if version != API_VERSION:
        return _error(400, "invalid_request_error", f"Invalid Stripe API version: {version}", "Stripe-Version")
    params_type = ENDPOINTS.get(request.path) if request.method == "POST" else None
    if params_type is None:
        return _error(404, "invalid_request_error", f"Unrecognized request URL ({request.method}: {request.path}).")
    try:
        check(params_type, form(pairs))
    except Refused as refused:
        return _error(400, "invalid_request_error", refused.message, refused.param)
    return None


def _sub(params: dict[str, str], name: str) -> dict[str, str]:
    """`metadata[invoice_id]=3` form fields back into {"invoice_id": "3"}."""
    prefix = f"{name}["
    return {k[len(prefix) : -1]: v for k, v in params.items() if k.startswith(prefix) and k.count("[") == 1}


def _ok(body: dict) -> tuple[str, int, dict]:
    return _reply(200, body)


def _error(status: int, type_: str, message: str, param: str | None = None) -> tuple[str, int, dict]:
    return _reply(status, {"error": {"type": type_, "message": message} | ({"param": param} if param else {})})


def _reply(status: int, body: dict) -> tuple[str, int, dict]:
    return json.dumps(body), status, {"Request-Id": "req_fake", "Content-Type": "application/json"}


# Webhook events


_event_ids = itertools.count(1)


def event(type_: str, obj: dict, event_id: str | None = None, created: int | None = None) -> dict:
    return {
        "id": event_id or f"evt_test_{next(_event_ids)}",
        "object": "event",
        "type": type_,
        "api_version": stripe.api_version,
        "created": created or int(time.time()),
        "livemode": False,
        "data": {"object": obj},
    }


def checkout_session(invoice_id: int, amount: int, intent: str, payment_status: str = "paid", **extra: Any) -> dict:
    return {
        "id": f"cs_test_{intent}",
        "object": "checkout.session",
        "mode": "payment",
        "amount_total": amount,
        "currency": "gbp",
        "payment_intent": intent,
        "payment_status": payment_status,
        "metadata": {"invoice_id": str(invoice_id)},
    } | extra


def payment_intent(invoice_id: int, amount: int, intent: str, status: str = "succeeded") -> dict:
    return {
        "id": intent,
        "object": "payment_intent",
        "amount": amount,
        "amount_received": amount if status == "succeeded" else 0,
        "currency": "gbp",
        "status": status,
        "metadata": {"invoice_id": str(invoice_id)},
    }


def charge(invoice_id: int, amount: int, intent: str, refunded: int) -> dict:
    return {
        "id": f"ch_{intent}",
        "object": "charge",
        "amount": amount,
        "amount_captured": amount,
        "amount_refunded": refunded,
        "currency": "gbp",
        "payment_intent": intent,
        "status": "succeeded",
        "refunded": refunded == amount,
        "metadata": {"invoice_id": str(invoice_id)},
    }


def sign(payload: str, secret: str = WEBHOOK_SECRET, timestamp: int | None = None) -> str:
    """The Stripe-Signature header: t=<unix time>,v1=HMAC-SHA256(secret, "<t>.<payload>")."""
    return stripe.WebhookSignature.generate_signature_header(payload, secret, timestamp)
