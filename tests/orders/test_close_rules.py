"""Closing rules the unit examples leave open: national pools over many inputs, the close as one
transaction, the scheduled close run by two hosts at once, and pools that follow their orders."""

import os
import subprocess
import sys
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from catalogue import pricing
from kernel.clock import utcnow
from kernel.extensions import db
from kernel.numbering import DocumentCounter
from orders import closing, purchase_orders, services
from orders.models import Allocation, Pledge, Pool, PoolStatus, PurchaseOrder
from orders.packs import packs_for
from tests import factories
from tests.factories import sign_in
from tests.orders.conftest import make_offer, make_pool

ROOT = Path(__file__).resolve().parents[2]
TIERS = (("10", "22.00"), ("60", "20.00"), ("150", "18.50"))


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


# A national pool: the tier from the national total, whole packs per consortium


@pytest.fixture
def pledgers(world):
    """Six members in each consortium, made once for every example."""
    made = {
        world.consortium.id: [factories.member(world.network) for _ in range(6)],
        world.other_consortium.id: [factories.member(world.other_network) for _ in range(6)],
    }
    db.session.commit()
    return made


claims = st.lists(st.tuples(st.integers(1, 40), st.integers(0, 12)), max_size=6)


@given(
    ours=claims, theirs=claims, pack_size=st.integers(1, 12), delivery=st.integers(0, 5000), minimum=st.integers(1, 80)
)
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_a_national_pool_prices_on_its_national_total_and_orders_whole_packs_per_consortium(
    world, pledgers, ours, theirs, pack_size, delivery, minimum
):
    offer = make_offer(world.supplier, pack_size=pack_size, tiers=TIERS)
    pool = make_pool(world.admin, offer, [world.consortium, world.other_consortium], minimum=minimum, delivery=delivery)
    by_consortium = {world.consortium.id: ours, world.other_consortium.id: theirs}
    for consortium_id, pledges in by_consortium.items():
        for member, (quantity, extra) in zip(pledgers[consortium_id], pledges, strict=False):
            services.pledge(world.admin, pool.id, quantity, extra, member_id=member.id)
    db.session.commit()
    national = sum(q for pledges in by_consortium.values() for q, _ in pledges)

    result = closing.close_pool(world.admin, pool.id)
    db.session.commit()

    tiers = [pricing.Tier(int(q), Decimal(p)) for q, p in TIERS]
    assert result.plan.unit_price == pricing.unit_price(tiers, national, offer.list_price)
    expected_units = {
        c: packs_for(sum(q for q, _ in pledges), sum(e for _, e in pledges), pack_size) * pack_size
        for c, pledges in by_consortium.items()
    }
    if national < minimum or not any(expected_units.values()):
        assert result.cancelled and result.pool.status is PoolStatus.CANCELLED and not result.purchase_orders
        return
    orders = {order.consortium_id: order for order in result.purchase_orders}
    assert set(orders) == {c for c, units in expected_units.items() if units}
    assert sum(order.delivery_charge_pence for order in orders.values()) == delivery
    for consortium_id, order in orders.items():
        assert order.units == expected_units[consortium_id] and order.units % pack_size == 0
        assert order.unit_price == result.plan.unit_price
        pledged = sum(q for q, _ in by_consortium[consortium_id])
        allocations = db.session.scalars(select(Allocation).where(Allocation.purchase_order_id == order.id)).all()
        assert sum(a.units for a in allocations) == order.units
        for a in allocations:
            if order.units >= pledged:
                assert a.pledged_units <= a.units <= a.pledged_units + a.flexible_extra
            else:
                assert a.units <= a.pledged_units


# One transaction


def test_a_close_that_fails_part_way_leaves_the_pool_open_with_no_orders_and_no_numbers_used(world, monkeypatch):
    offer = make_offer(world.supplier)
    pool = make_pool(world.admin, offer, [world.consortium, world.other_consortium])
    services.pledge(world.member_user, pool.id, 12, member_id=world.member.id)
    services.pledge(world.admin, pool.id, 9, member_id=world.other_member.id)
    db.session.commit()
    made = []
    real = closing._purchase_order

    def fails_on_the_second_order(*args):
        if made:
            raise RuntimeError("the database went away")
        made.append(real(*args))
        return made[-1]

    monkeypatch.setattr(closing, "_purchase_order", fails_on_the_second_order)
    with pytest.raises(RuntimeError):
        closing.close_pool(world.admin, pool.id)
    db.session.rollback()

    db.session.expire_all()
    assert db.session.get(Pool, pool.id).status is PoolStatus.OPEN
    assert (count(PurchaseOrder), count(Allocation), count(DocumentCounter)) == (0, 0, 0)
    monkeypatch.undo()
    numbers = sorted(o.number[-4:] for o in closing.close_pool(world.admin, pool.id).purchase_orders)
    assert numbers == ["0001", "0001"]


# The scheduled close, run by two hosts at once


def test_two_close_due_pools_runs_at_once_close_each_pool_once(app, world, database_url):
    offer = make_offer(world.supplier)
    due = []
    for n in range(4):
        pool = make_pool(world.secretary, offer, [world.consortium])
        services.pledge(world.admin, pool.id, 5 + n, member_id=factories.member(world.network).id)
        due.append(pool)
    short = make_pool(world.secretary, offer, [world.consortium], minimum=50)
    services.pledge(world.member_user, short.id, 3, member_id=world.member.id)
    for pool in [*due, short]:
        pool.deadline = utcnow() - timedelta(minutes=1)
    db.session.commit()

    env = os.environ | {"DATABASE_URL": database_url, "SECRET_KEY": "tests-only"}
    command = [str(Path(sys.executable).parent / "flask"), "--app", "wsgi", "close-due-pools"]
    runs = [
        subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        for _ in range(2)
    ]
    outputs = [run.communicate(timeout=120)[0] for run in runs]
    assert [run.returncode for run in runs] == [0, 0], outputs

    db.session.expire_all()
    assert {db.session.get(Pool, p.id).status for p in due} == {PoolStatus.CLOSED}
    assert db.session.get(Pool, short.id).status is PoolStatus.CANCELLED
    numbers = sorted(db.session.scalars(select(PurchaseOrder.number)))
    assert [n[-4:] for n in numbers] == ["0001", "0002", "0003", "0004"]
    assert count(Allocation) == 4
    closed = sum(int(out.rsplit(" closed, ", 1)[0].rsplit("\n", 1)[-1]) for out in outputs)
    assert closed == 4, outputs


# The pool follows its orders


def test_a_national_pool_is_ordered_once_every_order_is_sent_and_delivered_once_every_one_is(world):
    offer = make_offer(world.supplier)
    pool = make_pool(world.admin, offer, [world.consortium, world.other_consortium])
    services.pledge(world.member_user, pool.id, 12, member_id=world.member.id)
    services.pledge(world.admin, pool.id, 9, member_id=world.other_member.id)
    ours, theirs = sorted(closing.close_pool(world.admin, pool.id).purchase_orders, key=lambda o: o.consortium_id)
    assert pool.status is PoolStatus.CLOSED
    purchase_orders.send(world.admin, ours)
    assert pool.status is PoolStatus.CLOSED
    purchase_orders.send(world.admin, theirs)
    assert pool.status is PoolStatus.ORDERED
    purchase_orders.record_delivery(world.admin, ours)
    assert pool.status is PoolStatus.ORDERED
    purchase_orders.record_delivery(world.admin, theirs, {world.other_member.id: 4})
    assert pool.status is PoolStatus.DELIVERED


def test_cancelling_every_order_cancels_the_pool_and_members_read_why(client, world):
    offer = make_offer(world.supplier)
    pool = make_pool(world.secretary, offer, [world.consortium])
    services.pledge(world.member_user, pool.id, 12, member_id=world.member.id)
    order = closing.close_pool(world.secretary, pool.id).purchase_orders[0]
    purchase_orders.send(world.secretary, order)
    purchase_orders.cancel(world.secretary, order, "The supplier has closed down")
    db.session.commit()
    assert pool.status is PoolStatus.CANCELLED
    sign_in(client, world.member_user)
    assert "The supplier has closed down" in client.get(f"/pools/{pool.id}").get_data(as_text=True)


def test_cancelling_one_order_of_two_leaves_the_pool_following_the_other(world):
    offer = make_offer(world.supplier)
    pool = make_pool(world.admin, offer, [world.consortium, world.other_consortium])
    services.pledge(world.member_user, pool.id, 12, member_id=world.member.id)
    services.pledge(world.admin, pool.id, 9, member_id=world.other_member.id)
    ours, theirs = sorted(closing.close_pool(world.admin, pool.id).purchase_orders, key=lambda o: o.consortium_id)
    purchase_orders.cancel(world.admin, ours, "Ordered elsewhere")
    assert pool.status is PoolStatus.CLOSED
    purchase_orders.send(world.admin, theirs)
    assert pool.status is PoolStatus.ORDERED
    assert count(Pledge) == 2
