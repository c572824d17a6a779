"""A bulk-buy pool records every move of its lifecycle, and refuses the others with a 409 on both surfaces."""

from sqlalchemy import select

from kernel.extensions import db
from kernel.lifecycle import StatusChange
from orders import closing
from orders.models import POOLS, Pool, PoolStatus
from tests.factories import api_token, sign_in
from tests.orders.conftest import make_pool


def moves(pool: Pool) -> list[tuple[str, str, int | None, str | None]]:
    return [(c.from_state, c.to_state, c.actor_id, c.reason) for c in POOLS.history(pool)]


def test_opening_and_cancelling_are_recorded_with_who_and_why(client, world, offer):
    pool = make_pool(world.secretary, offer, [world.consortium], open_=False)
    assert client.post(f"/api/v1/pools/{pool.id}/open", headers=api_token(world.secretary)).status_code == 200
    cancelled = client.post(
        f"/api/v1/pools/{pool.id}/cancel", headers=api_token(world.secretary), json={"reason": "Supplier out of stock"}
    )
    assert cancelled.status_code == 200 and cancelled.json["status"] == "cancelled"
    assert moves(pool) == [
        ("draft", "open", world.secretary.id, None),
        ("open", "cancelled", world.secretary.id, "Supplier out of stock"),
    ]


def test_the_scheduled_close_is_recorded_without_a_person(world, offer):
    pool = make_pool(world.secretary, offer, [world.consortium])
    closing.close_pool(None, pool.id)
    db.session.commit()
    (_opened, cancelled) = moves(pool)
    assert cancelled[:3] == ("open", "cancelled", None) and "minimum" in cancelled[3]


def test_cancelling_a_closed_and_ordered_pool_is_409_on_the_page_and_the_api(client, world, offer):
    pool = make_pool(world.secretary, offer, [world.consortium], minimum=1)
    member_pledge = client.put(
        f"/api/v1/pools/{pool.id}/pledge", headers=api_token(world.member_user), json={"quantity": 5}
    )
    assert member_pledge.status_code in (200, 201)
    closing.close_pool(world.secretary, pool.id)
    db.session.commit()
    status = db.session.get(Pool, pool.id).status
    assert status in (PoolStatus.CLOSED, PoolStatus.ORDERED)
    recorded = db.session.scalar(select(db.func.count()).select_from(StatusChange))

    api = client.post(f"/api/v1/pools/{pool.id}/cancel", headers=api_token(world.secretary), json={"reason": "Late"})
    assert api.status_code == 409
    assert api.json["error"]["message"] == f"Only a draft or open pool can be cancelled; this one is {status.value}."
    reopen = client.post(f"/api/v1/pools/{pool.id}/open", headers=api_token(world.secretary))
    assert reopen.status_code == 409 and f"this one is {status.value}" in reopen.json["error"]["message"]

    sign_in(client, world.secretary)
    page = client.post(f"/pools/{pool.id}/cancel", data={"confirmed": "yes", "reason": "Late"})
    assert page.status_code == 409
    assert f"Only a draft or open pool can be cancelled; this one is {status.value}." in page.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Pool, pool.id).status is status
    assert db.session.scalar(select(db.func.count()).select_from(StatusChange)) == recorded
