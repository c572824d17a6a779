"""Holes a security review found in what people and Stripe send us (issue 15), each closed and pinned.

A line break in a one-line field could split an email's subject and stop the sender; a deeply
nested JSON body or a signed but malformed Stripe event was a 500.
"""

import json

import pytest
from sqlalchemy import select

from catalogue.models import Offer
from kernel.api import PREFIX
from kernel.extensions import db
from kernel.text import LINE_BREAK_MESSAGE
from organisations import mailer
from organisations.models import OutboxMessage
from tests.billing.fake_stripe import CONFIG as STRIPE_CONFIG
from tests.billing.fake_stripe import sign
from tests.factories import api_token, sign_in
from tests.orders.conftest import make_offer
from tests.organisations.test_api import assert_error
from tests.organisations.test_mailer import SMTP_CONFIG, FakeSMTP


@pytest.mark.parametrize("name", ["A4\r\nBcc: everyone@example.org", "A4\npaper", "A4\rpaper", "A4\u2028paper"])
def test_a_line_break_in_an_offers_name_is_422_over_the_api_and_nothing_changes(client, world, name):
    offer = make_offer(world.supplier)
    db.session.commit()
    response = client.patch(f"{PREFIX}/offers/{offer.id}", headers=api_token(world.supplier_user), json={"name": name})
    error = assert_error(response, 422, "validation_failed")
    assert error["fields"] == {"name": [LINE_BREAK_MESSAGE]}
    db.session.expire_all()
    assert db.session.get(Offer, offer.id).name == "A4 copier paper"


def test_paragraph_fields_keep_their_line_breaks_and_nested_names_are_named(client, world):
    offer = make_offer(world.supplier)
    db.session.commit()
    headers = api_token(world.supplier_user)
    ok = client.patch(f"{PREFIX}/offers/{offer.id}", headers=headers, json={"description": "One\r\nTwo"})
    assert ok.status_code == 200 and ok.json["description"] == "One\r\nTwo"
    tiers = {"tiers": [{"min_quantity": 10, "unit_price": "1.00\n"}]}
    error = assert_error(client.patch(f"{PREFIX}/offers/{offer.id}", headers=headers, json=tiers), 422)
    assert error["fields"] == {"tiers.0.unit_price": [LINE_BREAK_MESSAGE]}


def test_a_line_break_in_a_one_line_form_field_is_an_error_beside_it(client, world):
    offer = make_offer(world.supplier)
    db.session.commit()
    sign_in(client, world.supplier_user)
    page = client.get(f"/catalogue/offers/{offer.id}/edit")
    assert page.status_code == 200
    form = {
        "name": "A4\r\nBcc: everyone@example.org",
        "unit": offer.unit,
        "pack_size": offer.pack_size,
        "vat_rate": offer.vat_rate.value,
        "list_price": str(offer.list_price),
        "category": offer.category_id,
        "description": "Line one\r\nLine two",
    }
    response = client.post(f"/catalogue/offers/{offer.id}/edit", data=form)
    assert response.status_code in (200, 422)
    assert LINE_BREAK_MESSAGE in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Offer, offer.id).name == "A4 copier paper"


@pytest.mark.app_config(SMTP_CONFIG)
def test_a_message_that_cannot_be_an_email_is_set_aside_and_the_rest_are_sent(app, world, monkeypatch):
    """Text written before line breaks were refused, or by a bug: the sender carries on, and says why."""
    FakeSMTP.sent, FakeSMTP.sessions, FakeSMTP.failures, FakeSMTP.refused, FakeSMTP.delay = [], [], [], {}, 0.0
    monkeypatch.setattr("smtplib.SMTP", FakeSMTP)
    for n, subject in enumerate(["Before", "Tayside: A4\r\nBcc: everyone@example.org pool closed", "After"]):
        db.session.add(
            OutboxMessage(
                kind="pool_closed", to_email=f"m{n}@example.org", subject=subject, body_text="-", body_html="-"
            )
        )
    db.session.commit()

    report = mailer.send_pending()

    assert (report.sent, report.failed, report.stopped_early) == (2, 1, False)
    assert sorted(email["Subject"] for email in FakeSMTP.sent) == ["After", "Before"]
    stuck = db.session.scalar(select(OutboxMessage).where(OutboxMessage.to_email == "m1@example.org"))
    db.session.refresh(stuck)
    assert stuck.state == "failed" and stuck.last_error.startswith("Could not be made into an email: ValueError")
    assert mailer.send_pending().sent == 0, "set aside, not retried"


def test_a_deeply_nested_json_body_is_400_not_500(client, world):
    headers = api_token(world.secretary)
    deep = json.dumps({"offer_id": 1, "note": "[" * 5000 + "]" * 5000})
    body = '{"offer_id": 1, "consortium_ids": ' + "[" * 100_000 + "]" * 100_000 + "}"
    for payload in (body, deep.replace('"[', "[").replace(']"', "]")):
        response = client.post(f"{PREFIX}/pools", headers=headers, data=payload, content_type="application/json")
        assert_error(response, 400, "bad_request")
    shallow = {"offer_id": 1, "consortium_ids": [[[[1]]]], "deadline": "2030-01-01T00:00:00Z"}
    assert client.post(f"{PREFIX}/pools", headers=headers, json=shallow).status_code == 422


def post_signed(client, body: dict):
    payload = json.dumps(body)
    return client.post(
        "/stripe/webhook", data=payload, content_type="application/json", headers={"Stripe-Signature": sign(payload)}
    )


@pytest.mark.app_config(STRIPE_CONFIG)
@pytest.mark.parametrize(
    "body",
    [
        {"id": "evt_1", "object": "event", "type": "checkout.session.completed", "data": {}},
        {"id": "evt_2", "object": "event", "type": "checkout.session.completed", "data": {"object": "text"}},
        {
            "id": "evt_3",
            "object": "event",
            "type": "checkout.session.completed",
            "created": "yesterday",
            "data": {"object": {}},
        },
        {"object": "event", "type": "payment_intent.succeeded", "data": {"object": {}}},
        {
            "id": "evt_5",
            "object": "event",
            "type": "payment_intent.succeeded",
            "data": {"object": {"id": "pi_1", "amount_received": "lots", "currency": 5, "metadata": "none"}},
        },
    ],
)
def test_a_signed_but_malformed_stripe_event_is_400_and_records_nothing(client, world, body):
    from billing.models import StripeEvent

    response = post_signed(client, body)
    assert_error(response, 400, "bad_request")
    assert db.session.scalars(select(StripeEvent)).all() == []
