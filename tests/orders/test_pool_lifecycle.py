"""A pool's lifecycle before closing: draft -> open, draft|open -> cancelled, and nothing else."""

from datetime import timedelta

import pytest

from catalogue import services as catalogue_services
from kernel.clock import utcnow
from kernel.extensions import db
from orders import services
from orders.models import Pool, PoolStatus
from tests.factories import api_token, sign_in
from tests.orders.conftest import make_pool


def pool_in(state: str, world, offer) -> Pool:
    pool = make_pool(world.secretary, offer, [world.consortium], open_=state != "draft")
    if state == "cancelled":
        services.cancel_pool(world.secretary, pool, "Budget frozen")
        db.session.commit()
    return pool


@pytest.mark.parametrize(
    "state, action, status, after",
    [
        ("draft", "open", 200, "open"),
        ("draft", "cancel", 200, "cancelled"),
        ("open", "cancel", 200, "cancelled"),
        ("open", "open", 409, "open"),
        ("cancelled", "open", 409, "cancelled"),
        ("cancelled", "cancel", 409, "cancelled"),
    ],
)
def test_only_the_lifecycles_steps_are_allowed(client, world, offer, state, action, status, after):
    pool = pool_in(state, world, offer)
    response = client.post(
        f"/api/v1/pools/{pool.id}/{action}",
        headers=api_token(world.secretary),
        json={"reason": "Supplier out of stock"},
    )
    assert response.status_code == status, response.json
    db.session.expire_all()
    stored = db.session.get(Pool, pool.id)
    assert stored.status.value == after
    if state != "cancelled" and after == "cancelled":
        assert stored.cancel_reason == "Supplier out of stock" and stored.cancelled_at is not None
    if status == 409:
        assert response.json["error"]["code"] == "conflict"


def test_the_same_steps_in_the_browser_answer_409_with_the_reason(client, world, offer):
    pool = pool_in("cancelled", world, offer)
    sign_in(client, world.secretary)
    response = client.post(f"/pools/{pool.id}/open")
    assert response.status_code == 409
    assert "Only a draft pool can be opened; this one is cancelled." in response.get_data(as_text=True)
    again = client.post(f"/pools/{pool.id}/cancel", data={"confirmed": "yes", "reason": "Twice"})
    assert again.status_code == 409
    assert "Only a draft or open pool can be cancelled; this one is cancelled." in again.get_data(as_text=True)
    db.session.refresh(pool)
    assert pool.cancel_reason == "Budget frozen"


def test_a_pool_needs_an_active_offer(client, world, offer):
    draft = make_pool(world.secretary, offer, [world.consortium], open_=False)
    catalogue_services.withdraw_offer(world.supplier_user, offer)
    db.session.commit()
    headers = api_token(world.secretary)
    created = client.post(
        "/api/v1/pools",
        headers=headers,
        json={
            "offer_id": offer.id,
            "consortium_ids": [world.consortium.id],
            "deadline": (utcnow() + timedelta(days=5)).isoformat(),
        },
    )
    assert created.status_code == 422
    assert created.json["error"]["fields"] == {"offer_id": ["This offer has been withdrawn by its supplier."]}
    opened = client.post(f"/api/v1/pools/{draft.id}/open", headers=headers)
    assert opened.status_code == 409 and "withdrawn" in opened.json["error"]["message"]
    sign_in(client, world.secretary)
    assert f'<option value="{offer.id}"' not in client.get("/pools/new").get_data(as_text=True)


def test_a_draft_past_its_deadline_cannot_open(client, world, offer):
    draft = make_pool(world.secretary, offer, [world.consortium], open_=False)
    draft.deadline = utcnow() - timedelta(minutes=1)
    db.session.commit()
    response = client.post(f"/api/v1/pools/{draft.id}/open", headers=api_token(world.secretary))
    assert response.status_code == 409
    db.session.refresh(draft)
    assert draft.status is PoolStatus.DRAFT


def test_members_see_no_draft_and_cannot_run_the_lifecycle(client, world, offer):
    draft = make_pool(world.secretary, offer, [world.consortium], open_=False)
    headers = api_token(world.member_user)
    assert client.post(f"/api/v1/pools/{draft.id}/open", headers=headers).status_code == 403
    assert client.post(f"/api/v1/pools/{draft.id}/cancel", headers=headers, json={"reason": "x"}).status_code == 403
    listed = client.get("/api/v1/pools?status=open", headers=headers).json
    assert draft.id not in [p["id"] for p in listed["items"]]
    db.session.refresh(draft)
    assert draft.status is PoolStatus.DRAFT
