"""`POST /stripe/webhook`: Stripe tells us what it collected; we verify, then record it once.

Signed by Stripe rather than by a session cookie, so CSRF does not apply. Answers 2xx only
when the event's change (or its recognition as a duplicate) is committed; any other answer
makes Stripe deliver it again later.
"""

import logging

import stripe
from flask import Blueprint, current_app, jsonify, request
from marshmallow import INCLUDE, Schema, fields, validate
from sqlalchemy.exc import IntegrityError

from billing.payments import handle_event
from billing.stripe_gateway import stripe_enabled
from kernel.api import error_response, flat_messages
from kernel.extensions import csrf, db

log = logging.getLogger(__name__)
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
    problems = EVENT_SCHEMA.validate(event.to_dict())
    if problems:
        return error_response(400, "bad_request", "The body is not a Stripe event.", flat_messages(problems))
    try:
        handled = handle_event(event)
    except IntegrityError:
        db.session.rollback()
        return error_response(409, "conflict", "This event's payment is being recorded by another delivery.")
    except (KeyError, TypeError, ValueError, AttributeError) as error:  # signed by Stripe, yet not the shape we know
        db.session.rollback()
        log.warning("Stripe event %s could not be read: %r", event["id"], error)
        return error_response(400, "bad_request", "The event's object is not in the shape this event type has.")
    return jsonify({"received": True, "duplicate": not handled})


class _EventDataSchema(Schema):
    object = fields.Dict(required=True)


class _EventSchema(Schema):
    """The envelope every Stripe event has; what its object holds is each handler's to read."""

    class Meta:
        unknown = INCLUDE

    id = fields.String(required=True, validate=validate.Length(min=1, max=255))
    type = fields.String(required=True, validate=validate.Length(min=1, max=100))
    created = fields.Integer(strict=True, validate=validate.Range(min=0, max=2**40))
    data = fields.Nested(_EventDataSchema, required=True, unknown=INCLUDE)


EVENT_SCHEMA = _EventSchema()
