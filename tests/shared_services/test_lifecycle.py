"""A shared-service pool records every move of its lifecycle, and refuses the others with a 409 on both surfaces."""

from kernel.extensions import db
from shared_services import services
from shared_services.models import SERVICE_POOLS, ServicePool, ServicePoolStatus
from tests.factories import api_token, sign_in
from tests.shared_services.conftest import make_pool, next_month


def moves(pool: ServicePool) -> list[tuple[str, str, int | None, str | None]]:
    return [(c.from_state, c.to_state, c.actor_id, c.reason) for c in SERVICE_POOLS.history(pool)]


def test_opening_starting_and_cancelling_are_recorded(client, world, offer, members):
    pool = make_pool(world.secretary, offer, [world.consortium], open_=False)
    assert client.post(f"/api/v1/shared-services/{pool.id}/open", headers=api_token(world.secretary)).status_code == 200
    for member, user in members[:2]:
        services.join(user, pool.id, None, member.id)
    services.start_pool(pool.id, next_month())
    db.session.commit()
    assert moves(pool) == [("draft", "open", world.secretary.id, None), ("open", "active", None, None)]

    other = make_pool(world.secretary, offer, [world.consortium])
    response = client.post(
        f"/api/v1/shared-services/{other.id}/cancel", headers=api_token(world.secretary), json={"reason": "No budget"}
    )
    assert response.status_code == 200 and response.json["status"] == "cancelled"
    assert moves(other)[-1] == ("open", "cancelled", world.secretary.id, "No budget")


def test_cancelling_or_reopening_an_active_pool_is_409_on_the_page_and_the_api(client, world, offer, members):
    pool = make_pool(world.secretary, offer, [world.consortium])
    for member, user in members[:2]:
        services.join(user, pool.id, None, member.id)
    services.start_pool(pool.id, next_month())
    db.session.commit()

    api = client.post(
        f"/api/v1/shared-services/{pool.id}/cancel", headers=api_token(world.secretary), json={"reason": "Too late"}
    )
    assert api.status_code == 409
    assert api.json["error"]["message"] == (
        "Only a draft or open shared-service pool can be cancelled; this one is active. "
        "Members leave a started pool with notice instead."
    )
    reopen = client.post(f"/api/v1/shared-services/{pool.id}/open", headers=api_token(world.secretary))
    assert reopen.status_code == 409 and "can be opened; this one is active" in reopen.json["error"]["message"]

    sign_in(client, world.secretary)
    page = client.post(f"/shared-services/{pool.id}/cancel", data={"confirmed": "yes", "reason": "Too late"})
    assert page.status_code == 409
    assert "can be cancelled; this one is active." in page.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(ServicePool, pool.id).status is ServicePoolStatus.ACTIVE
    assert len(moves(pool)) == 2
