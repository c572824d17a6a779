"""A fake Stripe for tests: the real `stripe` library over an HTTP client that never leaves the process.

`FakeStripe` records each request (method, path, form parameters, headers) and answers with
canned JSON shaped like Stripe's, replaying the first answer for a repeated Idempotency-Key
as Stripe does. `sign(payload, secret)` makes a Stripe-Signature header the way Stripe does.
"""

import itertools
import json
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import stripe
from stripe import RequestOptions
from stripe.params import CustomerCreateParams, PaymentIntentCreateParams, SetupIntentCreateParams
from stripe.params.checkout import SessionCreateParams

# What each endpoint accepts, from the installed library's own parameter types; Stripe refuses any other
# parameter with a 400, and so does the fake. (The TypedDicts extend RequestOptions, which travel as headers.)
ACCEPTED = {
    path: (set(params.__annotations__) - set(RequestOptions.__annotations__), params.__required_keys__)
    for path, params in {
        "/v1/customers": CustomerCreateParams,
        "/v1/checkout/sessions": SessionCreateParams,
        "/v1/setup_intents": SetupIntentCreateParams,
        "/v1/payment_intents": PaymentIntentCreateParams,
    }.items()
}

SECRET_KEY = "sk_test_fake"
WEBHOOK_SECRET = "whsec_test_fake"
CONFIG = {"STRIPE_SECRET_KEY": SECRET_KEY, "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET, "STRIPE_WEBHOOK_TOLERANCE": 300}


@dataclass
class Request:
    method: str
    path: str
    params: dict[str, str]
    headers: dict[str, str]


@dataclass
class FakeStripe(stripe.HTTPClient):
    """Answers /v1/customers, /v1/checkout/sessions, /v1/setup_intents and /v1/payment_intents."""

    name = "fake"
    requests: list[Request] = field(default_factory=list)
    replies: list[tuple[Request, dict]] = field(default_factory=list)
    declines: list[str] = field(default_factory=list)
    payment_intent_status: str = "succeeded"
    unreachable: bool = False

    def __post_init__(self):
        super().__init__()
        self._ids = itertools.count(1)
        self._replies: dict[str, tuple[str, int, dict]] = {}

    def request(self, method, url, headers, post_data=None, *, _usage=None):
        if self.unreachable:
            raise stripe.APIConnectionError("Could not connect to Stripe (fake).", should_retry=False)
        parts = urlsplit(url)
        body = post_data.decode() if isinstance(post_data, bytes) else (post_data or parts.query)
        request = Request(method.upper(), parts.path, dict(parse_qsl(body)), dict(headers or {}))
        self.requests.append(request)
        key = request.headers.get("Idempotency-Key")
        if key in self._replies:
            return self._replies[key]
        reply = self._answer(request)
        self.replies.append((request, json.loads(reply[0])))
        if key:
            self._replies[key] = reply
        return reply

    def close(self):
        pass

    def to(self, path: str) -> list[Request]:
        return [r for r in self.requests if r.path == path]

    def answered(self, path: str) -> list[dict]:
        """The bodies Stripe answered for `path`, first answers only (not idempotent replays)."""
        return [body for request, body in self.replies if request.path == path]

    def _answer(self, request: Request) -> tuple[str, int, dict]:
        n = next(self._ids)
        p = request.params
        refused = _refused(request)
        if refused is not None:
            return _reply(400, {"error": {"type": "invalid_request_error", "message": refused}})
        if request.path == "/v1/customers":
            return _ok(
                {"id": f"cus_test_{n}", "object": "customer", "email": p.get("email"), "metadata": _sub(p, "metadata")}
            )
        if request.path == "/v1/checkout/sessions":
            return _ok(
                {
                    "id": f"cs_test_{n}",
                    "object": "checkout.session",
                    "mode": p.get("mode"),
                    "url": f"https://checkout.stripe.com/c/pay/cs_test_{n}",
                    "customer": p.get("customer"),
                    "metadata": _sub(p, "metadata"),
                    "payment_status": "unpaid",
                    "status": "open",
                }
            )
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
        if request.path == "/v1/payment_intents":
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
                    {
                        "error": {
                            "type": "card_error",
                            "code": code,
                            "message": f"Fake {code}.",
                            "payment_intent": intent,
                        }
                    },
                )
            received = intent["amount"] if self.payment_intent_status == "succeeded" else 0
            return _ok(intent | {"status": self.payment_intent_status, "amount_received": received})
        return _reply(404, {"error": {"type": "invalid_request_error", "message": f"No fake for {request.path}"}})


def _refused(request: Request) -> str | None:
    """Stripe's answer to a parameter the endpoint does not declare, or a required one left out."""
    if request.method != "POST" or request.path not in ACCEPTED:
        return None
    accepted, required = ACCEPTED[request.path]
    sent = {name.split("[", 1)[0] for name in request.params}
    if unknown := sorted(sent - accepted):
        return f"Received unknown parameter: {unknown[0]}"
    if missing := sorted(required - sent):
        return f"Missing required param: {missing[0]}."
    return None


def _sub(params: dict[str, str], name: str) -> dict[str, str]:
    """`metadata[invoice_id]=3` form fields back into {"invoice_id": "3"}."""
    prefix = f"{name}["
    return {k[len(prefix) : -1]: v for k, v in params.items() if k.startswith(prefix) and k.count("[") == 1}


def _ok(body: dict) -> tuple[str, int, dict]:
    return _reply(200, body)


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
