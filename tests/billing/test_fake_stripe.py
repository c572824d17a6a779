"""The fake Stripe refuses what the real API refuses, so a test that passes on it means a request Stripe takes.

Each request goes through the real `stripe` library, as the app's do. The first two tests send the
requests the app made before it moved to `allowed_payment_method_types`: Stripe's API version
2026-10-28.endive no longer accepts `payment_method_types` on PaymentIntents and SetupIntents.
"""

import re

import pytest
import stripe

from billing.stripe_gateway import SUPPORTED_API_VERSION, client_from_config
from tests.billing.fake_stripe import API_VERSION, CONFIG, ENDPOINTS, FakeStripe
from tests.billing.stripe_params import every_parameter

APP_CONFIG = CONFIG | {"STRIPE_TIMEOUT": 5}
CHARGE = {"amount": 12_000, "currency": "gbp", "customer": "cus_1", "payment_method": "pm_1", "confirm": True}


@pytest.fixture
def fake() -> FakeStripe:
    return FakeStripe()


@pytest.fixture
def client(fake) -> stripe.StripeClient:
    return client_from_config(APP_CONFIG, http_client=fake)


def test_the_old_off_session_charge_with_payment_method_types_is_refused(client, fake):
    with pytest.raises(stripe.InvalidRequestError) as refused:
        client.v1.payment_intents.create(CHARGE | {"payment_method_types": ["card", "bacs_debit"]})  # type: ignore[typeddict-unknown-key]

    assert refused.value.http_status == 400
    assert refused.value.param == "payment_method_types"
    assert "Received unknown parameter: payment_method_types" in str(refused.value)
    assert fake.answered("/v1/payment_intents") == []


def test_the_old_setup_intent_with_payment_method_types_is_refused(client):
    with pytest.raises(stripe.InvalidRequestError, match="Received unknown parameter: payment_method_types"):
        client.v1.setup_intents.create({"customer": "cus_1", "payment_method_types": ["card"]})  # type: ignore[typeddict-unknown-key]


def test_what_the_library_declares_is_accepted(client, fake):
    intent = client.v1.payment_intents.create(CHARGE | {"allowed_payment_method_types": ["card"], "off_session": True})
    setup = client.v1.setup_intents.create({"customer": "cus_1", "allowed_payment_method_types": ["bacs_debit"]})

    assert (intent.status, intent.amount) == ("succeeded", 12_000)
    assert setup.id.startswith("seti_")


def test_a_nested_parameter_the_library_does_not_declare_is_refused(client):
    with pytest.raises(stripe.InvalidRequestError, match=r"unknown parameter: line_items\[0\]\[price_data\]\[colour\]"):
        client.v1.checkout.sessions.create(
            {
                "mode": "payment",
                "line_items": [{"quantity": 1, "price_data": {"currency": "gbp", "unit_amount": 1, "colour": "red"}}],  # type: ignore[typeddict-unknown-key]
            }
        )


def test_an_endpoint_the_fake_does_not_model_is_refused_with_404(client, fake):
    with pytest.raises(stripe.InvalidRequestError, match=r"Unrecognized request URL \(POST: /v1/payment_links\)") as e:
        client.v1.payment_links.create({"line_items": [{"price": "price_1", "quantity": 1}]})
    assert e.value.http_status == 404
    with pytest.raises(stripe.InvalidRequestError, match=r"Unrecognized request URL \(GET: /v1/payment_intents/pi_1\)"):
        client.v1.payment_intents.retrieve("pi_1")


@pytest.mark.parametrize(
    ("change", "message", "param"),
    [
        ({"amount": "twelve pounds"}, "Invalid integer: twelve pounds", "amount"),
        ({"confirm": "please"}, "Invalid boolean: please", "confirm"),
        ({"metadata": "invoice 3"}, "Invalid object: metadata", "metadata"),
        ({"customer": {"id_of": "cus_1"}}, "Invalid string: customer is an object", "customer"),
    ],
)
def test_a_value_of_the_wrong_type_is_refused(client, change, message, param):
    with pytest.raises(stripe.InvalidRequestError) as refused:
        client.v1.payment_intents.create(CHARGE | change)
    assert message in str(refused.value)
    assert refused.value.param == param


def test_a_value_outside_a_closed_list_is_refused(client):
    """Most of Stripe's lists are open (the library declares `Literal[...] | str`); the closed ones are checked."""
    funded_by = "payment_method_options[customer_balance][funding_type]"
    with pytest.raises(
        stripe.InvalidRequestError, match=rf"Invalid {re.escape(funded_by)}: must be one of bank_transfer"
    ):
        client.v1.checkout.sessions.create(
            {"mode": "payment", "payment_method_options": {"customer_balance": {"funding_type": "cash"}}}  # type: ignore[typeddict-item]
        )


def test_a_list_sent_as_one_value_is_refused(client):
    with pytest.raises(stripe.InvalidRequestError, match="Invalid array: allowed_payment_method_types"):
        client.v1.payment_intents.create(CHARGE | {"allowed_payment_method_types": "card"})  # type: ignore[typeddict-item]


def test_a_missing_required_parameter_is_refused(client):
    with pytest.raises(stripe.InvalidRequestError, match=r"Missing required param: amount\.") as refused:
        client.v1.payment_intents.create({"currency": "gbp"})  # type: ignore[typeddict-item]
    assert refused.value.param == "amount"
    with pytest.raises(stripe.InvalidRequestError, match=r"Missing required param: line_items\[0\]\[price_data\]"):
        client.v1.checkout.sessions.create(
            {"mode": "payment", "line_items": [{"quantity": 1, "price_data": {"unit_amount": 1}}]}  # type: ignore[typeddict-item]
        )


def test_another_api_version_is_refused(client, fake):
    with pytest.raises(stripe.InvalidRequestError, match="Invalid Stripe API version: 2024-06-20"):
        client.v1.payment_intents.create(CHARGE, {"stripe_version": "2024-06-20"})
    assert fake.requests[-1].headers["Stripe-Version"] == "2024-06-20"
    assert client.v1.payment_intents.create(CHARGE).status == "succeeded"
    assert fake.requests[-1].headers["Stripe-Version"] == API_VERSION


def test_another_secret_key_is_refused(fake):
    other = client_from_config(APP_CONFIG | {"STRIPE_SECRET_KEY": "sk_test_someone_else"}, http_client=fake)
    with pytest.raises(stripe.AuthenticationError):
        other.v1.customers.create({"name": "Re-Tweed"})


def test_the_fake_speaks_the_version_the_app_supports():
    assert API_VERSION == stripe.api_version == SUPPORTED_API_VERSION


@pytest.mark.parametrize("path", sorted(ENDPOINTS))
def test_the_fake_can_judge_every_parameter_the_library_declares(path):
    assert every_parameter(ENDPOINTS[path]) > 10


# Idempotency keys, as Stripe keeps them


def test_one_key_twice_is_one_charge_and_the_same_answer(client, fake):
    first = client.v1.payment_intents.create(CHARGE, {"idempotency_key": "invoice-3-charge-1"})
    again = client.v1.payment_intents.create(CHARGE, {"idempotency_key": "invoice-3-charge-1"})

    assert again.id == first.id
    assert len(fake.answered("/v1/payment_intents")) == 1
    assert len(fake.to("/v1/payment_intents")) == 2


def test_a_decline_is_kept_for_its_key_too(client, fake):
    fake.declines.append("card_declined")
    for _ in range(2):
        with pytest.raises(stripe.CardError):
            client.v1.payment_intents.create(CHARGE, {"idempotency_key": "invoice-3-charge-1"})
    assert len(fake.answered("/v1/payment_intents")) == 1


def test_one_key_with_other_parameters_is_refused(client, fake):
    client.v1.payment_intents.create(CHARGE, {"idempotency_key": "invoice-3-charge-1"})

    with pytest.raises(stripe.IdempotencyError, match="same parameters"):
        client.v1.payment_intents.create(CHARGE | {"amount": 1}, {"idempotency_key": "invoice-3-charge-1"})
    assert len(fake.answered("/v1/payment_intents")) == 1


def test_a_refused_request_keeps_nothing_for_its_key(client, fake):
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.payment_intents.create(CHARGE | {"amount": "x"}, {"idempotency_key": "invoice-3-charge-1"})

    assert client.v1.payment_intents.create(CHARGE, {"idempotency_key": "invoice-3-charge-1"}).status == "succeeded"
