"""Many members pledging at once into a nearly full pool: capacity holds, no accepted pledge is lost."""

from concurrent.futures import ThreadPoolExecutor
from threading import Barrier

from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from kernel.extensions import db
from orders import services
from orders import views as orders_views
from orders.models import Pledge, PledgeChange, Pool, PoolBandTotal
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


def test_one_members_users_changing_its_pledge_at_once_keep_the_pools_totals(app, world, offer, postgresql_only):
    """A member's users change its one pledge at the same moment: each change reads the pledge as the one before it
    left it, so the pool's totals, its band totals and the pledge's history agree with the pledge."""
    pool = make_pool(world.secretary, offer, [world.consortium])
    member = factories.member(world.network, "Busy Member CIC")
    services.pledge(world.admin, pool.id, 3, member_id=member.id)
    headers = [api_token(factories.user(None, (Role.MEMBER, member.id))) for _ in range(12)]
    pool_id = pool.id
    db.session.commit()
    url = f"/api/v1/pools/{pool_id}/pledge"
    barrier = Barrier(len(headers))

    def pledge(n):
        client = app.test_client()
        barrier.wait(timeout=30)
        return client.put(url, headers=headers[n], json={"quantity": 10 + n}).status_code

    with ThreadPoolExecutor(max_workers=len(headers)) as executor:
        statuses = list(executor.map(pledge, range(len(headers))))

    assert statuses == [200] * len(headers)
    db.session.expire_all()
    pledged = db.session.scalar(db.select(Pledge.quantity).where(Pledge.pool_id == pool_id))
    banded = db.session.scalar(db.select(db.func.sum(PoolBandTotal.quantity)).where(PoolBandTotal.pool_id == pool_id))
    assert db.session.get(Pool, pool_id).pledged_quantity == banded == pledged
    history = db.session.execute(
        db.select(PledgeChange.old_quantity, PledgeChange.new_quantity).order_by(PledgeChange.id)
    ).all()
    assert [old for old, _ in history] == [0] + [new for _, new in history[:-1]]
    assert history[-1].new_quantity == pledged


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


def _pool_lock_free(app, pool_id: int) -> bool:
    """Whether another connection can take the pool's row lock at once (it gives it straight back)."""
    with app.app_context(), db.engine.connect() as other:
        try:
            other.execute(text("SELECT id FROM pool WHERE id = :id FOR UPDATE NOWAIT"), {"id": pool_id})
        except OperationalError:
            return False
        finally:
            other.rollback()
    return True


def test_a_pledge_lets_go_of_the_pool_before_its_answer_is_made(app, world, offer, postgresql_only, monkeypatch):
    """The pool's row lock makes pledges take turns; the answer (the estimate and the JSON, or the page's message)
    needs no lock, so the next pledge does not wait for it."""
    pool = make_pool(world.secretary, offer, [world.consortium])
    member = factories.member(world.network, "Answering Member CIC")
    user = factories.user(None, (Role.MEMBER, member.id))
    headers = api_token(user)
    db.session.commit()
    free_while_answering = []
    real_estimate, real_flash = services._estimate, orders_views.flash

    def estimate_and_look(*args):
        free_while_answering.append(_pool_lock_free(app, pool.id))
        return real_estimate(*args)

    def flash_and_look(*args):
        free_while_answering.append(_pool_lock_free(app, pool.id))
        return real_flash(*args)

    monkeypatch.setattr(services, "_estimate", estimate_and_look)
    monkeypatch.setattr(orders_views, "flash", flash_and_look)
    client = app.test_client()
    answer = client.put(f"/api/v1/pools/{pool.id}/pledge", headers=headers, json={"quantity": 7})
    assert answer.status_code == 201
    assert answer.get_json()["estimate"]["total_pence"] > 0
    factories.sign_in(client, user)
    answer = client.post(f"/pools/{pool.id}/pledge", data={"quantity": 9, "member_id": member.id, "action": "confirm"})
    assert answer.status_code == 302
    assert free_while_answering == [True, True]
    db.session.expire_all()
    assert db.session.get(Pool, pool.id).pledged_quantity == 9
