"""`POST /stripe/webhook`: Stripe tells us what it collected; we verify, then record it once.

Signed by Stripe rather than by a session cookie, so CSRF does not apply. Answers 2xx only
when the event's change (or its recognition as a duplicate) is committed; any other answer
makes Stripe deliver it again later.
"""

import stripe
from flask import Blueprint, current_app, jsonify, request
from sqlalchemy.exc import IntegrityError

from billing.payments import handle_event
from billing.stripe_gateway import stripe_enabled
from kernel.api import error_response
from kernel.extensions import csrf, db

bp = Blueprint("stripe_webhooks", __name__)
csrf.exempt(bp)


@bp.post("/stripe/webhook")
def stripe_webhook():
    config = current_app.config
    if not stripe_enabled(config):
        return error_response(404, "not_found", "Online payments are not switched on.")
    try:
        event = stripe.Webhook.construct_event(
            request.get_data(),
            request.headers.get("Stripe-Signature"),
            config["STRIPE_WEBHOOK_SECRET"],
            tolerance=config["STRIPE_WEBHOOK_TOLERANCE"],
            api_key=config["STRIPE_SECRET_KEY"],
        )
    except stripe.SignatureVerificationError:
        return error_response(400, "bad_signature", "The Stripe-Signature header does not match this body.")
    except ValueError:
        return error_response(400, "bad_request", "The body is not a Stripe event.")
    try:
        handled = handle_event(event)
    except IntegrityError:
        db.session.rollback()
        return error_response(409, "conflict", "This event's payment is being recorded by another delivery.")
    return jsonify({"received": True, "duplicate": not handled})
