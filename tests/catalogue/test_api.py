"""The catalogue's JSON endpoints, as scripts and spreadsheets use them."""

from decimal import Decimal

import pytest

from catalogue.models import Offer
from kernel.extensions import db
from organisations.models import Role
from tests import factories
from tests.factories import api_token


@pytest.fixture
def catalogue(world):
    paper = factories.category("stationery", "Stationery", position=1)
    utilities = factories.category("utilities", "Utilities", position=3)
    copier = factories.offer(
        world.supplier,
        paper,
        name="A4 copier paper",
        pack_size=5,
        list_price="4.20",
        tiers=((100, "3.85"), (500, "3.49")),
    )
    electricity = factories.offer(
        world.other_supplier,
        utilities,
        name="Renewable electricity",
        unit="kWh",
        vat_rate="reduced",
        list_price="0.2450",
        tiers=((100000, "0.2310"), (500000, "0.2190")),
    )
    db.session.commit()
    return {"paper": paper, "utilities": utilities, "copier": copier, "electricity": electricity}


def body(category="stationery", **overrides) -> dict:
    return {
        "name": "C4 recycled envelopes",
        "category": category,
        "unit": "envelope",
        "pack_size": 250,
        "vat_rate": "standard",
        "list_price": "0.0960",
        "minimum_order_quantity": 250,
        "lead_time_days": 2,
        "tiers": [{"min_quantity": 5000, "unit_price": "0.0840"}, {"min_quantity": 20000, "unit_price": "0.0715"}],
    } | overrides


def test_categories(client, world, catalogue):
    response = client.get("/api/v1/categories", headers=api_token(world.member_user))
    assert response.status_code == 200
    assert [c["slug"] for c in response.json["items"]] == ["stationery", "utilities"]
    assert (response.json["page"], response.json["per_page"], response.json["total"]) == (1, 50, 2)


def test_categories_are_paged_like_every_other_list(client, world, catalogue):
    headers = api_token(world.member_user)
    second = client.get("/api/v1/categories?page=2&per_page=1", headers=headers)
    assert second.status_code == 200
    assert [c["slug"] for c in second.json["items"]] == ["utilities"] and second.json["total"] == 2
    too_many = client.get("/api/v1/categories?per_page=201", headers=headers)
    assert too_many.status_code == 422 and "per_page" in too_many.json["error"]["fields"]


def test_the_api_needs_a_token(client, world, catalogue):
    assert client.get("/api/v1/offers").status_code == 401


def test_offers_are_searched_and_paginated(client, world, catalogue):
    headers = api_token(world.member_user)
    everything = client.get("/api/v1/offers", headers=headers).json
    assert everything["total"] == 2
    assert [o["name"] for o in everything["items"]] == ["A4 copier paper", "Renewable electricity"]
    by_slug = client.get("/api/v1/offers?category=utilities", headers=headers).json
    by_id = client.get(f"/api/v1/offers?category={catalogue['utilities'].id}", headers=headers).json
    assert [o["name"] for o in by_slug["items"]] == [o["name"] for o in by_id["items"]] == ["Renewable electricity"]
    by_supplier = client.get(f"/api/v1/offers?supplier={world.supplier.id}", headers=headers).json
    assert [o["name"] for o in by_supplier["items"]] == ["A4 copier paper"]
    by_text = client.get("/api/v1/offers?q=Forth", headers=headers).json
    assert [o["name"] for o in by_text["items"]] == ["Renewable electricity"]
    page = client.get("/api/v1/offers?per_page=1&page=2", headers=headers).json
    assert page["total"] == 2 and page["page"] == 2 and page["per_page"] == 1
    assert [o["name"] for o in page["items"]] == ["Renewable electricity"]


def test_offers_filtered_for_buy_social(client, world, catalogue):
    world.other_supplier.organisation.is_social_enterprise = False
    db.session.commit()
    headers = api_token(world.member_user)
    social = client.get("/api/v1/offers?buy_social=true", headers=headers).json
    assert [o["name"] for o in social["items"]] == ["A4 copier paper"]
    others = client.get("/api/v1/offers?buy_social=false", headers=headers).json
    assert [o["name"] for o in others["items"]] == ["Renewable electricity"]


def test_bad_filters_are_422(client, world, catalogue):
    headers = api_token(world.member_user)
    for category in ("nope", "²", "99999999999999999999"):
        response = client.get("/api/v1/offers", query_string={"category": category}, headers=headers)
        assert response.status_code == 422 and "category" in response.json["error"]["fields"]
    response = client.get("/api/v1/offers?per_page=500", headers=headers)
    assert response.status_code == 422 and "per_page" in response.json["error"]["fields"]


def test_one_offer_with_tiers_as_decimal_strings(client, world, catalogue):
    offer = catalogue["electricity"]
    response = client.get(f"/api/v1/offers/{offer.id}", headers=api_token(world.member_user))
    data = response.json
    assert response.status_code == 200
    assert data["list_price"] == "0.2450" and data["vat_rate"] == "reduced" and data["unit"] == "kWh"
    assert data["tiers"] == [
        {"min_quantity": 100000, "unit_price": "0.2310"},
        {"min_quantity": 500000, "unit_price": "0.2190"},
    ]
    assert data["supplier"] == {
        "id": world.other_supplier.id,
        "name": "Forth IT Support Ltd",
        "buy_social": world.other_supplier.buy_social,
    }
    assert data["category"]["slug"] == "utilities"
    assert client.get("/api/v1/offers/999", headers=api_token(world.member_user)).status_code == 404


def test_supplier_creates_an_offer_for_its_only_supplier(client, world, catalogue):
    response = client.post("/api/v1/offers", json=body(), headers=api_token(world.supplier_user))
    assert response.status_code == 201, response.json
    assert response.json["list_price"] == "0.0960" and response.json["best_price"] == "0.0715"
    assert response.json["supplier"]["id"] == world.supplier.id
    offer = db.session.get(Offer, response.json["id"])
    assert [(t.min_quantity, t.unit_price) for t in offer.tiers] == [
        (5000, Decimal("0.0840")),
        (20000, Decimal("0.0715")),
    ]


def test_a_user_of_several_suppliers_must_name_one(client, world, catalogue):
    both = factories.user(None, (Role.SUPPLIER, world.supplier.id), (Role.SUPPLIER, world.other_supplier.id))
    headers = api_token(both)
    response = client.post("/api/v1/offers", json=body(), headers=headers)
    assert response.status_code == 422 and "supplier_id" in response.json["error"]["fields"]
    response = client.post("/api/v1/offers", json=body(supplier_id=world.other_supplier.id), headers=headers)
    assert response.status_code == 201 and response.json["supplier"]["id"] == world.other_supplier.id


def test_creating_for_another_supplier_is_404_and_for_a_member_403(client, world, catalogue):
    response = client.post(
        "/api/v1/offers", json=body(supplier_id=world.other_supplier.id), headers=api_token(world.supplier_user)
    )
    assert response.status_code == 404
    response = client.post(
        "/api/v1/offers", json=body(supplier_id=world.supplier.id), headers=api_token(world.member_user)
    )
    assert response.status_code == 403
    assert db.session.scalar(db.select(db.func.count(Offer.id))) == 2


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"list_price": "0"}, "list_price"),
        ({"list_price": "-4.20"}, "list_price"),
        ({"list_price": "0.09601"}, "list_price"),
        ({"list_price": 0.096}, "list_price"),
        ({"pack_size": 2.5}, "pack_size"),
        ({"pack_size": "250"}, "pack_size"),
        ({"pack_size": 0}, "pack_size"),
        ({"category": "no-such-category"}, "category"),
        ({"category": 9999}, "category"),
        ({"category": "²"}, "category"),
        ({"category": "99999999999999999999"}, "category"),
        ({"vat_rate": "luxury"}, "vat_rate"),
        ({"name": ""}, "name"),
        (
            {
                "tiers": [
                    {"min_quantity": 5000, "unit_price": "0.0840"},
                    {"min_quantity": 20000, "unit_price": "0.0900"},
                ]
            },
            "tiers",
        ),
        ({"tiers": [{"min_quantity": 5000, "unit_price": "0.1000"}]}, "tiers"),
        ({"tiers": [{"min_quantity": 5000, "unit_price": "-0.08"}]}, "tiers"),
        ({"tiers": [{"min_quantity": 5000.5, "unit_price": "0.08"}]}, "tiers.0.min_quantity"),
    ],
)
def test_bad_offers_are_422_naming_the_field(client, world, catalogue, overrides, field):
    response = client.post("/api/v1/offers", json=body(**overrides), headers=api_token(world.supplier_user))
    assert response.status_code == 422, response.json
    assert field in response.json["error"]["fields"]
    assert db.session.scalar(db.select(db.func.count(Offer.id))) == 2


def test_missing_fields_and_a_non_json_body(client, world, catalogue):
    headers = api_token(world.supplier_user)
    response = client.post("/api/v1/offers", json={"name": "Paper"}, headers=headers)
    assert response.status_code == 422
    assert {"category", "unit", "vat_rate", "list_price"} <= set(response.json["error"]["fields"])
    assert client.post("/api/v1/offers", data="nope", headers=headers).status_code == 400


def test_patch_changes_fields_and_replaces_tiers(client, world, catalogue):
    offer = catalogue["copier"]
    headers = api_token(world.supplier_user)
    response = client.patch(
        f"/api/v1/offers/{offer.id}",
        headers=headers,
        json={"lead_time_days": 3, "tiers": [{"min_quantity": 200, "unit_price": "3.70"}]},
    )
    assert response.status_code == 200, response.json
    assert response.json["lead_time_days"] == 3 and response.json["name"] == "A4 copier paper"
    assert response.json["tiers"] == [{"min_quantity": 200, "unit_price": "3.7000"}]
    response = client.patch(f"/api/v1/offers/{offer.id}", headers=headers, json={"active": False})
    assert response.json["active"] is False
    listed = client.get("/api/v1/offers", headers=api_token(world.member_user)).json
    assert "A4 copier paper" not in [o["name"] for o in listed["items"]]
    own = client.get(f"/api/v1/offers?supplier={world.supplier.id}&include_withdrawn=true", headers=headers).json
    assert [o["name"] for o in own["items"]] == ["A4 copier paper"]
    response = client.patch(f"/api/v1/offers/{offer.id}", headers=headers, json={"active": True})
    assert response.json["active"] is True


def test_patch_errors(client, world, catalogue):
    headers = api_token(world.supplier_user)
    theirs = catalogue["electricity"]
    assert client.patch(f"/api/v1/offers/{theirs.id}", headers=headers, json={"name": "Mine"}).status_code == 404
    ours = catalogue["copier"]
    response = client.patch(f"/api/v1/offers/{ours.id}", headers=headers, json={"list_price": "3.00"})
    assert response.status_code == 422 and "list_price" in response.json["error"]["fields"]
    response = client.patch(f"/api/v1/offers/{ours.id}", headers=headers, json={"colour": "blue"})
    assert response.status_code == 422 and "colour" in response.json["error"]["fields"]
    member = api_token(world.member_user)
    assert client.patch(f"/api/v1/offers/{ours.id}", headers=member, json={"name": "Mine"}).status_code == 403
    db.session.expire_all()
    assert db.session.get(Offer, ours.id).list_price == Decimal("4.20")


def test_the_catalogue_endpoints_are_in_the_openapi_document(client, app):
    paths = client.get("/api/v1/openapi.json").json["paths"]
    assert set(paths["/api/v1/offers"]) == {"get", "post"}
    assert set(paths["/api/v1/offers/{offer_id}"]) == {"get", "patch"}
    assert "get" in paths["/api/v1/categories"]
    assert "403" in paths["/api/v1/offers"]["post"]["responses"]
