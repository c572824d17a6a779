"""A draft pool's terms can be edited until it opens; then the page says why not, and a change is a 409."""

from datetime import timedelta

from kernel.clock import UK, utcnow
from kernel.extensions import db
from orders.models import Pool
from tests.factories import api_token, sign_in
from tests.orders.conftest import make_pool


def _form(**changes) -> dict:
    deadline = (utcnow() + timedelta(days=20)).astimezone(UK).strftime("%Y-%m-%dT%H:%M")
    return {
        "deadline": deadline,
        "minimum_quantity": "30",
        "capacity": "400",
        "delivery_charge": "12.50",
        "note": "Delivered to the Dundee hub",
        "solidarity_rate": "2",
    } | changes


def test_a_secretary_edits_a_draft_and_it_keeps_the_new_terms(client, world, offer):
    draft = make_pool(world.secretary, offer, [world.consortium], open_=False)
    sign_in(client, world.secretary)
    form = client.get(f"/pools/{draft.id}/edit")
    assert form.status_code == 200 and 'name="minimum_quantity"' in form.get_data(as_text=True)

    saved = client.post(f"/pools/{draft.id}/edit", data=_form())

    assert saved.status_code == 302
    pool = db.session.get(Pool, draft.id)
    db.session.refresh(pool)
    assert (pool.minimum_quantity, pool.capacity, pool.delivery_charge_pence, pool.note) == (
        30,
        400,
        1250,
        "Delivered to the Dundee hub",
    )
    assert str(pool.solidarity_rate_percent) in ("2", "2.00")
    bad = client.post(f"/pools/{draft.id}/edit", data=_form(minimum_quantity="500"))
    assert bad.status_code == 422
    assert "The capacity must be at least the minimum (500)" in bad.get_data(as_text=True)


def test_an_open_pool_cannot_be_edited(client, world, offer):
    pool = make_pool(world.secretary, offer, [world.consortium])
    sign_in(client, world.secretary)

    page = client.get(f"/pools/{pool.id}/edit").get_data(as_text=True)
    refused = client.post(f"/pools/{pool.id}/edit", data=_form())

    assert "This pool is open: its terms were fixed when it opened" in page and 'name="minimum_quantity"' not in page
    assert refused.status_code == 409
    assert "Only a draft can be edited." in refused.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Pool, pool.id).delivery_charge_pence == 0


def test_the_api_edits_a_draft_and_refuses_an_open_pool(client, world, offer):
    draft = make_pool(world.secretary, offer, [world.consortium], open_=False)
    opened = make_pool(world.secretary, offer, [world.consortium])
    headers = api_token(world.secretary)
    body = {"deadline": (utcnow() + timedelta(days=9)).isoformat(), "minimum_quantity": 25, "capacity": None}

    edited = client.put(f"/api/v1/pools/{draft.id}", json=body, headers=headers)
    refused = client.put(f"/api/v1/pools/{opened.id}", json=body, headers=headers)
    member = client.put(f"/api/v1/pools/{draft.id}", json=body, headers=api_token(world.member_user))

    assert edited.status_code == 200 and edited.json["minimum_quantity"] == 25
    assert refused.status_code == 409 and "Only a draft can be edited." in refused.json["error"]["message"]
    assert member.status_code == 403
