"""Pools and pledges over the JSON API."""

from datetime import timedelta

import pytest

from kernel.clock import utcnow
from kernel.extensions import db
from orders.models import Pledge, Pool
from tests import factories
from tests.factories import api_token
from tests.orders.conftest import make_pool


def test_secretary_creates_opens_and_cancels_a_pool(client, world, offer):
    headers = api_token(world.secretary)
    deadline = (utcnow() + timedelta(days=5)).isoformat()
    created = client.post(
        "/api/v1/pools",
        headers=headers,
        json={
            "offer_id": offer.id,
            "consortium_ids": [world.consortium.id],
            "deadline": deadline,
            "capacity": 300,
            "delivery_charge_pence": 2500,
        },
    )
    assert created.status_code == 201, created.json
    body = created.json
    assert body["status"] == "draft" and body["minimum_quantity"] == 1 and body["capacity"] == 300
    assert body["unit_price"] == "25.0000" and body["next_tier"] == {
        "min_quantity": 10,
        "unit_price": "22.0000",
        "units_to_go": 10,
    }
    opened = client.post(f"/api/v1/pools/{body['id']}/open", headers=headers)
    assert opened.status_code == 200 and opened.json["status"] == "open"
    assert client.post(f"/api/v1/pools/{body['id']}/open", headers=headers).status_code == 409
    assert client.post(f"/api/v1/pools/{body['id']}/cancel", headers=headers, json={}).json["error"]["fields"] == {
        "reason": ["Missing data for required field."]
    }
    cancelled = client.post(f"/api/v1/pools/{body['id']}/cancel", headers=headers, json={"reason": "No budget"})
    assert cancelled.json["status"] == "cancelled" and cancelled.json["cancel_reason"] == "No budget"


def test_create_pool_validation_names_the_fields(client, world, offer):
    headers = api_token(world.secretary)
    response = client.post(
        "/api/v1/pools",
        headers=headers,
        json={"offer_id": "x", "consortium_ids": [], "deadline": "tomorrow", "delivery_charge_pence": -1},
    )
    assert response.status_code == 422
    assert set(response.json["error"]["fields"]) == {"offer_id", "consortium_ids", "deadline", "delivery_charge_pence"}
    past = client.post(
        "/api/v1/pools",
        headers=headers,
        json={"offer_id": offer.id, "consortium_ids": [world.consortium.id], "deadline": "2001-01-01T00:00:00+00:00"},
    )
    assert past.status_code == 422 and "deadline" in past.json["error"]["fields"]
    naive = client.post(
        "/api/v1/pools",
        headers=headers,
        json={"offer_id": offer.id, "consortium_ids": [world.consortium.id], "deadline": "2099-01-01T00:00:00"},
    )
    assert naive.status_code == 422 and "deadline" in naive.json["error"]["fields"]
    assert client.post("/api/v1/pools", headers=headers, data="not json").status_code == 400
    assert db.session.scalar(db.select(db.func.count()).select_from(Pool)) == 0


def test_roles_that_may_not_create_pools(client, world, offer):
    body = {
        "offer_id": offer.id,
        "consortium_ids": [world.other_consortium.id],
        "deadline": (utcnow() + timedelta(days=5)).isoformat(),
    }
    assert client.post("/api/v1/pools", headers=api_token(world.member_user), json=body).status_code == 403
    assert client.post("/api/v1/pools", headers=api_token(world.secretary), json=body).status_code == 403
    national = body | {"consortium_ids": [world.consortium.id, world.other_consortium.id]}
    assert client.post("/api/v1/pools", headers=api_token(world.secretary), json=national).status_code == 403
    created = client.post("/api/v1/pools", headers=api_token(world.admin), json=national)
    assert created.status_code == 201 and created.json["is_national"] is True


def test_member_pledges_edits_and_withdraws_over_the_api(client, world, pool):
    world.consortium.organisation.vat_number = "GB284719365"
    headers = api_token(world.member_user)
    first = client.put(f"/api/v1/pools/{pool.id}/pledge", headers=headers, json={"quantity": 12, "flexible_extra": 3})
    assert first.status_code == 201
    assert first.json["quantity"] == 12 and first.json["estimate"]["unit_price"] == "22.0000"
    assert first.json["estimate"] == {
        "unit_price": "22.0000",
        "goods_pence": 26400,
        "delivery_pence": 1500,
        "handling_fee_pence": 0,
        "solidarity_pence": 0,
        "net_pence": 27900,
        "vat": [{"vat_rate": "standard", "net_pence": 27900, "vat_pence": 5580}],
        "vat_pence": 5580,
        "total_pence": 33480,
    }
    edited = client.put(f"/api/v1/pools/{pool.id}/pledge", headers=headers, json={"quantity": 60})
    assert edited.status_code == 200 and edited.json["estimate"]["unit_price"] == "20.0000"
    shown = client.get(f"/api/v1/pools/{pool.id}", headers=headers).json
    assert shown["total_quantity"] == 60 and shown["member_count"] == 1 and shown["unit_price"] == "20.0000"
    assert shown["next_tier"] == {"min_quantity": 200, "unit_price": "18.5000", "units_to_go": 140}
    assert shown["my_pledges"][0]["quantity"] == 60
    withdrawn = client.delete(f"/api/v1/pools/{pool.id}/pledge", headers=headers)
    assert withdrawn.status_code == 200 and withdrawn.json["withdrawn"] is True
    history = client.get("/api/v1/pledges", headers=headers).json
    assert history["total"] == 1
    assert [(c["old_quantity"], c["new_quantity"]) for c in history["items"][0]["history"]] == [
        (0, 12),
        (12, 60),
        (60, 0),
    ]


@pytest.mark.parametrize(
    "body, field",
    [
        ({"quantity": 0}, "quantity"),
        ({"quantity": -3}, "quantity"),
        ({"quantity": 2.5}, "quantity"),
        ({"quantity": "7"}, "quantity"),
        ({"quantity": 10**12}, "quantity"),
        ({}, "quantity"),
        ({"quantity": 5, "flexible_extra": -1}, "flexible_extra"),
        ({"quantity": True}, "quantity"),
    ],
)
def test_bad_pledges_are_422_naming_the_field(client, world, pool, body, field):
    response = client.put(f"/api/v1/pools/{pool.id}/pledge", headers=api_token(world.member_user), json=body)
    assert response.status_code == 422
    assert field in response.json["error"]["fields"]
    assert db.session.scalar(db.select(db.func.count()).select_from(Pledge)) == 0


def test_over_capacity_is_422_and_closed_states_are_409(client, world, offer):
    pool = make_pool(world.secretary, offer, [world.consortium], capacity=10)
    headers = api_token(world.member_user)
    over = client.put(f"/api/v1/pools/{pool.id}/pledge", headers=headers, json={"quantity": 11})
    assert over.status_code == 422 and over.json["error"]["fields"]["quantity"] == [
        "Only 10 units are left in this pool's capacity."
    ]
    draft = make_pool(world.secretary, offer, [world.consortium], open_=False)
    conflict = client.put(f"/api/v1/pools/{draft.id}/pledge", headers=headers, json={"quantity": 1})
    assert conflict.status_code == 409 and conflict.json["error"]["code"] == "conflict"
    theirs = make_pool(world.admin, offer, [world.other_consortium])
    assert client.put(f"/api/v1/pools/{theirs.id}/pledge", headers=headers, json={"quantity": 1}).status_code == 404
    assert client.get(f"/api/v1/pools/{theirs.id}", headers=headers).status_code == 404
    assert (
        client.put(
            f"/api/v1/pools/{pool.id}/pledge", headers=api_token(world.supplier_user), json={"quantity": 1}
        ).status_code
        == 403
    )


def test_pool_list_is_scoped_filtered_and_paginated(client, world, offer):
    for _ in range(3):
        make_pool(world.secretary, offer, [world.consortium])
    make_pool(world.secretary, offer, [world.consortium], open_=False)
    make_pool(world.admin, offer, [world.other_consortium])
    headers = api_token(world.member_user)
    everything = client.get("/api/v1/pools", headers=headers).json
    assert everything["total"] == 3, "the draft is its secretary's until it opens"
    open_only = client.get("/api/v1/pools?status=open&per_page=2&page=2", headers=headers).json
    assert open_only["total"] == 3 and len(open_only["items"]) == 1 and open_only["page"] == 2
    assert client.get("/api/v1/pools?category=utilities", headers=headers).json["total"] == 0
    assert client.get("/api/v1/pools?status=bogus", headers=headers).status_code == 422
    assert client.get("/api/v1/pools?per_page=500", headers=headers).status_code == 422
    assert client.get("/api/v1/pools", headers=api_token(world.admin)).json["total"] == 5


def test_member_acting_for_two_members_must_say_which(client, world, pool):
    from organisations import services as people
    from organisations.models import Role

    second = factories.member(world.network, "Dundee Bike Works")
    people.grant_role(world.member_user, Role.MEMBER, second.id)
    db.session.commit()
    headers = api_token(world.member_user)
    ambiguous = client.put(f"/api/v1/pools/{pool.id}/pledge", headers=headers, json={"quantity": 4})
    assert ambiguous.status_code == 422 and "member_id" in ambiguous.json["error"]["fields"]
    chosen = client.put(
        f"/api/v1/pools/{pool.id}/pledge", headers=headers, json={"quantity": 4, "member_id": second.id}
    )
    assert chosen.status_code == 201 and chosen.json["member_name"] == "Dundee Bike Works"
    assert client.delete(f"/api/v1/pools/{pool.id}/pledge?member_id={second.id}", headers=headers).status_code == 200
