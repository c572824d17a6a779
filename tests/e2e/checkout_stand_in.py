"""Stripe over HTTP on another origin: the fake Stripe's API for the app, and its Checkout page for the browser.

The app (gunicorn, another process) talks to `/v1/...` here as it would to api.stripe.com; the Checkout
Sessions it makes carry URLs on this server's origin, so the Pay button's redirect leaves the site as it
does for real. The page shows the session the app made (its amount) and its Pay button completes the
session in the fake and redirects to the session's success URL, as Stripe Checkout does.
"""

import html
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from kernel.formatting import pounds
from tests.billing.fake_stripe import FakeStripe

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Checkout stand-in</title></head>
<body><main><h1>Invoice {invoice}</h1><p>Amount: <strong>{amount}</strong></p>
<form method="post"><button type="submit">Pay</button></form></main></body></html>"""


class CheckoutStandIn:
    """Serves on 127.0.0.1 from a thread; `completed` holds each paid session as Stripe's webhook would send it."""

    def __init__(self):
        self.fake = FakeStripe()
        self.completed: dict[str, dict] = {}
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.origin = f"http://127.0.0.1:{self._server.server_address[1]}"
        self.fake.checkout_origin = self.origin
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> "CheckoutStandIn":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                if self.path.startswith("/c/pay/"):
                    session = stand_in.fake.sessions.get(self.path.removeprefix("/c/pay/"))
                    if session is None:
                        return self._send(404, "text/plain", b"No such Checkout Session")
                    page = PAGE.format(
                        invoice=html.escape(session["metadata"].get("invoice_number", "")),
                        amount=pounds(session["amount_total"]),
                    )
                    return self._send(200, "text/html; charset=utf-8", page.encode())
                return self._api()

            def do_POST(self):
                if self.path.startswith("/c/pay/"):
                    session_id = self.path.removeprefix("/c/pay/")
                    with stand_in._lock:
                        stand_in.completed[session_id] = completed = stand_in.fake.complete_checkout(session_id)
                    self.send_response(303)
                    self.send_header("Location", completed["success_url"])
                    self.end_headers()
                    return None
                return self._api()

            def _api(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with stand_in._lock:
                    answer, status, headers = stand_in.fake.request(
                        self.command, stand_in.origin + self.path, dict(self.headers), body
                    )
                return self._send(status, "application/json", answer.encode(), headers)

            def _send(self, status: int, content_type: str, body: bytes, headers: dict | None = None):
                self.send_response(status)
                for name, value in (headers or {}).items():
                    if name.lower() != "content-type":
                        self.send_header(name, value)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        return Handler
