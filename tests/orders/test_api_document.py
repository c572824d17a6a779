"""The OpenAPI document lists every catalogue, pool and pledge endpoint and describes what they answer."""

from datetime import timedelta

import pytest
from openapi_schema_validator import OAS30Validator

from kernel.clock import utcnow
from kernel.extensions import db
from tests import factories
from tests.factories import api_token
from tests.orders.conftest import make_pool

ENDPOINTS = [
    ("get", "/api/v1/me"),
    ("get", "/api/v1/openapi.json"),
    ("get", "/api/v1/categories"),
    ("get", "/api/v1/offers"),
    ("get", "/api/v1/offers/{offer_id}"),
    ("post", "/api/v1/offers"),
    ("patch", "/api/v1/offers/{offer_id}"),
    ("get", "/api/v1/pools"),
    ("get", "/api/v1/pools/{pool_id}"),
    ("post", "/api/v1/pools"),
    ("post", "/api/v1/pools/{pool_id}/open"),
    ("post", "/api/v1/pools/{pool_id}/cancel"),
    ("put", "/api/v1/pools/{pool_id}/pledge"),
    ("delete", "/api/v1/pools/{pool_id}/pledge"),
    ("get", "/api/v1/pledges"),
]


@pytest.fixture
def document(client) -> dict:
    return client.get("/api/v1/openapi.json").json


def resolved(node, document):
    """The schema with every $ref replaced by the component it names."""
    if isinstance(node, dict):
        if "$ref" in node:
            return resolved(document["components"]["schemas"][node["$ref"].rsplit("/", 1)[1]], document)
        return {key: resolved(value, document) for key, value in node.items()}
    if isinstance(node, list):
        return [resolved(value, document) for value in node]
    return node


def assert_documented(document, method: str, path: str, response) -> None:
    """The response's status is documented for the operation, and its body fits the documented schema."""
    operation = document["paths"][path][method]
    assert str(response.status_code) in operation["responses"], (method, path, response.status_code)
    schema = resolved(
        operation["responses"][str(response.status_code)]["content"]["application/json"]["schema"], document
    )
    errors = [f"{list(error.path)}: {error.message}" for error in OAS30Validator(schema).iter_errors(response.json)]
    assert not errors, f"{method.upper()} {path} answered {response.status_code} unlike its document:\n" + "\n".join(
        errors[:10]
    )


def test_every_endpoint_of_the_catalogue_and_pools_is_documented(document):
    missing = [
        f"{method.upper()} {path}" for method, path in ENDPOINTS if method not in document["paths"].get(path, {})
    ]
    assert not missing
    pools = {p["name"] for p in document["paths"]["/api/v1/pools"]["get"]["parameters"]}
    offers = {p["name"] for p in document["paths"]["/api/v1/offers"]["get"]["parameters"]}
    assert {"status", "category"} <= pools and {"category", "supplier", "q"} <= offers
    pool = resolved(document["components"]["schemas"]["Pool"], document)
    assert {
        "total_quantity",
        "member_count",
        "unit_price",
        "next_tier",
        "minimum_quantity",
        "capacity",
        "deadline",
        "status",
    } <= set(pool["required"])
    pledge_in = document["components"]["schemas"]["PledgeIn"]["properties"]
    assert pledge_in["quantity"]["type"] == "integer" and pledge_in["flexible_extra"]["type"] == "integer"


def test_unit_prices_are_documented_as_the_decimal_strings_the_api_writes(document):
    pool = document["components"]["schemas"]["Pool"]["properties"]
    assert pool["unit_price"] == {"type": "string", "format": "decimal"}
    assert pool["list_price"] == {"type": "string", "format": "decimal"}


def test_what_the_member_reads_matches_the_document(client, world, offer, document):
    pool = make_pool(world.secretary, offer, [world.consortium], capacity=100, delivery=1500)
    headers = api_token(world.member_user)
    calls = [
        (
            "put",
            "/api/v1/pools/{pool_id}/pledge",
            client.put(f"/api/v1/pools/{pool.id}/pledge", headers=headers, json={"quantity": 12, "flexible_extra": 2}),
        ),
        (
            "put",
            "/api/v1/pools/{pool_id}/pledge",
            client.put(f"/api/v1/pools/{pool.id}/pledge", headers=headers, json={"quantity": 20}),
        ),
        (
            "put",
            "/api/v1/pools/{pool_id}/pledge",
            client.put(f"/api/v1/pools/{pool.id}/pledge", headers=headers, json={"quantity": 0}),
        ),
        ("get", "/api/v1/pools/{pool_id}", client.get(f"/api/v1/pools/{pool.id}", headers=headers)),
        ("get", "/api/v1/pools", client.get("/api/v1/pools", headers=headers)),
        ("get", "/api/v1/pools", client.get("/api/v1/pools?status=nonsense", headers=headers)),
        ("get", "/api/v1/pools/{pool_id}", client.get("/api/v1/pools/999999", headers=headers)),
        ("delete", "/api/v1/pools/{pool_id}/pledge", client.delete(f"/api/v1/pools/{pool.id}/pledge", headers=headers)),
        ("get", "/api/v1/pledges", client.get("/api/v1/pledges", headers=headers)),
        ("get", "/api/v1/me", client.get("/api/v1/me", headers=headers)),
        ("get", "/api/v1/me", client.get("/api/v1/me")),
        ("get", "/api/v1/offers", client.get("/api/v1/offers", headers=headers)),
        ("get", "/api/v1/offers/{offer_id}", client.get(f"/api/v1/offers/{offer.id}", headers=headers)),
        ("get", "/api/v1/categories", client.get("/api/v1/categories", headers=headers)),
    ]
    assert [response.status_code for *_, response in calls] == [
        201,
        200,
        422,
        200,
        200,
        422,
        404,
        200,
        200,
        200,
        401,
        200,
        200,
        200,
    ]
    for method, path, response in calls:
        assert_documented(document, method, path, response)


def test_what_the_secretary_and_supplier_write_matches_the_document(client, world, offer, document):
    secretary, supplier = api_token(world.secretary), api_token(world.supplier_user)
    deadline = (utcnow() + timedelta(days=5)).isoformat()
    created = client.post(
        "/api/v1/pools",
        headers=secretary,
        json={"offer_id": offer.id, "consortium_ids": [world.consortium.id], "deadline": deadline},
    )
    pool_id = created.json["id"]
    draft = make_pool(world.secretary, offer, [world.consortium], open_=False)
    category = factories.category("stationery", "Stationery")
    db.session.commit()
    new_offer = client.post(
        "/api/v1/offers",
        headers=supplier,
        json={
            "name": "Recycled envelopes",
            "category": category.slug,
            "unit": "box",
            "vat_rate": "standard",
            "list_price": "6.5000",
            "tiers": [{"min_quantity": 20, "unit_price": "5.9000"}],
        },
    )
    calls = [
        ("post", "/api/v1/pools", created),
        ("post", "/api/v1/pools", client.post("/api/v1/pools", headers=secretary, json={"offer_id": "x"})),
        ("post", "/api/v1/pools/{pool_id}/open", client.post(f"/api/v1/pools/{pool_id}/open", headers=secretary)),
        ("post", "/api/v1/pools/{pool_id}/open", client.post(f"/api/v1/pools/{pool_id}/open", headers=secretary)),
        (
            "post",
            "/api/v1/pools/{pool_id}/cancel",
            client.post(f"/api/v1/pools/{draft.id}/cancel", headers=secretary, json={"reason": "Wrong offer"}),
        ),
        ("post", "/api/v1/offers", new_offer),
        (
            "patch",
            "/api/v1/offers/{offer_id}",
            client.patch(f"/api/v1/offers/{new_offer.json['id']}", headers=supplier, json={"list_price": "6.2500"}),
        ),
        (
            "patch",
            "/api/v1/offers/{offer_id}",
            client.patch(
                f"/api/v1/offers/{new_offer.json['id']}",
                headers=supplier,
                json={"tiers": [{"min_quantity": 5, "unit_price": "9.00"}]},
            ),
        ),
    ]
    assert [response.status_code for *_, response in calls] == [201, 422, 200, 409, 200, 201, 200, 422]
    for method, path, response in calls:
        assert_documented(document, method, path, response)
