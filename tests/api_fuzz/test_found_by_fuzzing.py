"""What the fuzzer found, pinned as plain tests so they hold however few examples it runs."""

import pytest
from openapi_spec_validator import validate

from kernel.api import INT_MAX, PREFIX
from kernel.extensions import db
from kernel.text import CONTROL_MESSAGE
from tests.factories import api_token, sign_in
from tests.orders.conftest import make_offer
from tests.organisations.test_api import assert_error


def test_an_id_too_big_for_the_database_is_404_for_every_method(client, world):
    headers = api_token(world.secretary)
    too_big = INT_MAX + 1
    assert_error(client.get(f"{PREFIX}/pools/{too_big}", headers=headers), 404, "not_found")
    assert_error(client.post(f"{PREFIX}/pools/{too_big}/cancel", headers=headers, json={"reason": "x"}), 404)
    assert_error(client.get(f"{PREFIX}/invoices/{10**22}", headers=headers), 404, "not_found")
    assert_error(client.patch(f"{PREFIX}/offers/{too_big}", headers=api_token(world.supplier_user), json={}), 404)
    sign_in(client, world.secretary)
    assert client.get(f"/pools/{10**22}").status_code == 404


def test_an_integer_too_big_for_the_database_in_a_body_or_query_is_422_naming_it(client, world):
    headers = api_token(world.secretary)
    body = {"offer_id": 1, "consortium_ids": [world.consortium.id, 2**40], "deadline": "2030-01-01T00:00:00Z"}
    error = assert_error(client.post(f"{PREFIX}/pools", headers=headers, json=body), 422, "validation_failed")
    assert list(error["fields"]) == ["consortium_ids.1"]
    error = assert_error(
        client.get(f"{PREFIX}/statement?member_id={10**22}", headers=api_token(world.member_user)),
        422,
        "validation_failed",
    )
    assert list(error["fields"]) == ["member_id"]


def test_a_wrong_method_names_the_allowed_ones(client, world):
    response = client.delete(f"{PREFIX}/me", headers=api_token(world.member_user))
    assert_error(response, 405, "method_not_allowed")
    assert set(response.headers["Allow"].split(", ")) >= {"GET"}


def test_the_document_declares_what_the_endpoints_answer(client):
    document = client.get(f"{PREFIX}/openapi.json").get_json()
    validate(document)
    paths, schemas = document["paths"], document["components"]["schemas"]
    assert schemas["OfferTier"]["properties"]["unit_price"]["type"] == "string"
    assert {"200", "201"} <= set(paths[f"{PREFIX}/pools/{{pool_id}}/pledge"]["put"]["responses"])
    assert {"200", "201"} <= set(paths[f"{PREFIX}/purchase-orders/{{order_id}}/invoices"]["post"]["responses"])
    pledges = paths[f"{PREFIX}/pledges"]["get"]
    assert {p["name"]: p["schema"]["maximum"] for p in pledges["parameters"]} == {"page": 1_000_000, "per_page": 200}
    assert {"403", "422"} <= set(pledges["responses"])
    pools = [p["name"] for p in paths[f"{PREFIX}/pools"]["get"]["parameters"]]
    assert pools.count("page") == 1 and pools.count("per_page") == 1
    pool_id = paths[f"{PREFIX}/pools/{{pool_id}}"]["get"]["parameters"][0]["schema"]
    assert pool_id == {"type": "integer", "minimum": 0, "maximum": INT_MAX}
    assert schemas["PoolCreate"]["properties"]["offer_id"]["maximum"] == INT_MAX


def test_a_payment_too_big_for_the_database_is_refused_not_a_crash(client, world):
    from tests.billing.conftest import issued_invoice

    invoice = issued_invoice(world.member)
    body = {"amount_pence": INT_MAX + 1, "received_on": "2026-03-10", "reference": "BACS 1"}
    response = client.post(f"{PREFIX}/invoices/{invoice.id}/payments", headers=api_token(world.secretary), json=body)
    assert list(assert_error(response, 422, "validation_failed")["fields"]) == ["amount_pence"]


def test_a_list_without_filters_refuses_query_arguments_it_does_not_know(client, world):
    headers = api_token(world.member_user)
    assert client.get(f"{PREFIX}/pledges?page=1&per_page=5", headers=headers).status_code == 200
    error = assert_error(client.get(f"{PREFIX}/pledges?colour=red", headers=headers), 422, "validation_failed")
    assert list(error["fields"]) == ["colour"]


def test_a_nul_character_in_a_body_or_query_is_422_naming_the_field(client, world):
    headers = api_token(world.secretary)
    error = assert_error(client.get(f"{PREFIX}/offers?q=a%00b", headers=headers), 422, "validation_failed")
    assert list(error["fields"]) == ["q"]
    body = {"offer_id": 1, "consortium_ids": [world.consortium.id], "deadline": "2030-01-01T00:00:00Z"}
    error = assert_error(client.post(f"{PREFIX}/pools", headers=headers, json=body | {"note": "a\u0000"}), 422)
    assert list(error["fields"]) == ["note"]
    body = {
        "offer_id": 1,
        "consortium_ids": [world.consortium.id],
        "deadline": "2030-01-01T00:00:00Z",
        "note": ["x", "a\u0000"],
    }
    error = assert_error(client.post(f"{PREFIX}/pools", headers=headers, json=body), 422)
    assert list(error["fields"]) == ["note.1"]


@pytest.mark.parametrize("character", ["\x01", "\x08", "\x0b", "\x1f", "\x7f"])
def test_a_control_character_in_a_name_is_422_so_no_document_is_malformed(client, world, character):
    supplier_offer = make_offer(world.supplier)
    db.session.commit()
    headers = api_token(world.supplier_user)
    error = assert_error(
        client.patch(f"{PREFIX}/offers/{supplier_offer.id}", headers=headers, json={"name": f"A4{character} paper"}),
        422,
        "validation_failed",
    )
    assert error["fields"] == {"name": [CONTROL_MESSAGE]}
    tab_and_newline = client.patch(
        f"{PREFIX}/offers/{supplier_offer.id}", headers=headers, json={"description": "Line one\n\tLine two"}
    )
    assert tab_and_newline.status_code == 200
