"""Many members pledging at once into a nearly full pool: capacity holds, no accepted pledge is lost."""

from concurrent.futures import ThreadPoolExecutor
from threading import Barrier

from kernel.extensions import db
from orders import services
from orders.models import Pledge, Pool
from organisations.models import Role
from tests import factories
from tests.factories import api_token
from tests.orders.conftest import make_pool

PLEDGERS = 60


def test_concurrent_pledges_never_exceed_capacity_or_lose_a_pledge(app, world, offer):
    pool = make_pool(world.secretary, offer, [world.consortium], capacity=100)
    early = factories.member(world.network, "Early Bird CIC")
    services.pledge(world.admin, pool.id, 80, member_id=early.id)
    headers = []
    for n in range(PLEDGERS):
        member = factories.member(world.network, f"Rushing Member {n}")
        headers.append(api_token(factories.user(None, (Role.MEMBER, member.id))))
    db.session.commit()
    url = f"/api/v1/pools/{pool.id}/pledge"
    barrier = Barrier(PLEDGERS)

    def pledge(token_headers):
        client = app.test_client()
        barrier.wait(timeout=30)
        return client.put(url, headers=token_headers, json={"quantity": 1}).status_code

    with ThreadPoolExecutor(max_workers=PLEDGERS) as executor:
        statuses = list(executor.map(pledge, headers))

    assert sorted(set(statuses)) == [201, 422], statuses
    accepted = statuses.count(201)
    assert accepted == 20
    db.session.expire_all()
    stored = db.session.get(Pool, pool.id)
    pledged = db.session.scalar(db.select(db.func.sum(Pledge.quantity)).where(Pledge.pool_id == pool.id))
    live = db.session.scalar(
        db.select(db.func.count()).select_from(Pledge).where(Pledge.pool_id == pool.id, Pledge.quantity > 0)
    )
    assert stored.pledged_quantity == pledged == 100
    assert stored.member_count == live == accepted + 1


def test_two_closes_at_once_make_one_set_of_orders(app, world, offer):
    """Two secretaries of the consortium (and an admin) press close at the same moment."""
    from orders.models import PurchaseOrder

    pool = make_pool(world.secretary, offer, [world.consortium])
    services.pledge(world.member_user, pool.id, 12, member_id=world.member.id)
    second_secretary = factories.user(None, (Role.SECRETARY, world.consortium.id))
    db.session.commit()
    closers = [api_token(world.secretary), api_token(second_secretary), api_token(world.admin)] * 2
    barrier = Barrier(len(closers))

    def close(headers):
        client = app.test_client()
        barrier.wait(timeout=30)
        return client.post(url, headers=headers).status_code

    url = f"/api/v1/pools/{pool.id}/close"
    with ThreadPoolExecutor(max_workers=len(closers)) as executor:
        statuses = sorted(executor.map(close, closers))
    assert statuses == [200] + [409] * (len(closers) - 1)
    assert db.session.scalar(db.select(db.func.count()).select_from(PurchaseOrder)) == 1


def test_pledges_racing_a_close_are_counted_or_refused(app, world, offer):
    from orders.models import Allocation

    pool = make_pool(world.secretary, offer, [world.consortium])
    services.pledge(world.member_user, pool.id, 12, member_id=world.member.id)
    pledgers = []
    for n in range(12):
        member = factories.member(world.network, f"Racing Member {n}")
        pledgers.append(api_token(factories.user(None, (Role.MEMBER, member.id))))
    closer = api_token(world.secretary)
    db.session.commit()
    barrier = Barrier(len(pledgers) + 1)
    close_url, pledge_url = f"/api/v1/pools/{pool.id}/close", f"/api/v1/pools/{pool.id}/pledge"

    def act(headers):
        client = app.test_client()
        barrier.wait(timeout=30)
        if headers is closer:
            return "close", client.post(close_url, headers=headers).status_code
        return "pledge", client.put(pledge_url, headers=headers, json={"quantity": 2}).status_code

    with ThreadPoolExecutor(max_workers=len(pledgers) + 1) as executor:
        results = list(executor.map(act, [*pledgers, closer]))
    assert ("close", 200) in results
    accepted = sum(1 for kind, status in results if kind == "pledge" and status == 201)
    refused = sum(1 for kind, status in results if kind == "pledge" and status == 409)
    assert accepted + refused == len(pledgers)
    allocated = db.session.scalar(db.select(db.func.sum(Allocation.units)))
    assert allocated == 12 + 2 * accepted
