"""Closing pools: the preview, the close itself, national pools, cancelling below the minimum."""

from datetime import timedelta
from decimal import Decimal

import pytest

from catalogue import services as catalogue_services
from kernel.clock import utcnow
from kernel.errors import Conflict, Forbidden
from kernel.extensions import db
from orders import closing, services
from orders.models import Allocation, Pool, PoolStatus, PurchaseOrder, PurchaseOrderStatus
from tests import factories
from tests.factories import api_token, sign_in
from tests.orders.conftest import make_offer, make_pool


def _pledges(world, pool, *quantities, network=None, flexible=None):
    members = []
    for n, quantity in enumerate(quantities):
        member = factories.member(network or world.network, f"Pledger {pool.id}-{n}-{network.id if network else 0}")
        services.pledge(world.admin, pool.id, quantity, (flexible or [0] * len(quantities))[n], member_id=member.id)
        members.append(member)
    db.session.commit()
    return members


@pytest.fixture
def boxed_pool(world):
    """Paper in packs of 5: 4 + 7 + 6 = 17 pledged with 2 + 0 + 1 flexible -> 4 packs (20 units)."""
    offer = make_offer(world.supplier, pack_size=5, tiers=(("10", "22.00"), ("50", "20.00")))
    pool = make_pool(world.secretary, offer, [world.consortium], minimum=10, delivery=1000)
    _pledges(world, pool, 4, 7, 6, flexible=[2, 0, 1])
    return pool


def test_preview_shows_tier_packs_allocations_and_totals_without_changing_anything(client, world, boxed_pool):
    sign_in(client, world.secretary)
    page = client.get(f"/pools/{boxed_pool.id}/close").get_data(as_text=True)
    assert "20 boxes</strong> in 4 packs of 5 boxes" in page
    assert "£22.00" in page and "£440.00" in page and "£450.00" in page
    assert page.count("flexible unit") >= 1
    db.session.refresh(boxed_pool)
    assert boxed_pool.status is PoolStatus.OPEN
    assert db.session.scalar(db.select(db.func.count()).select_from(PurchaseOrder)) == 0


def test_close_makes_one_order_with_allocations_summing_to_whole_packs(client, world, boxed_pool):
    sign_in(client, world.secretary)
    response = client.post(f"/pools/{boxed_pool.id}/close")
    assert response.status_code == 302
    db.session.expire_all()
    pool = db.session.get(Pool, boxed_pool.id)
    assert pool.status is PoolStatus.CLOSED and pool.closing_unit_price == Decimal("22.0000")
    order = db.session.scalar(db.select(PurchaseOrder))
    assert order.number == f"TAY-PO-{utcnow().year}-0001"
    assert (order.status, order.packs, order.units, order.goods_pence, order.delivery_charge_pence) == (
        PurchaseOrderStatus.DRAFT,
        4,
        20,
        44000,
        1000,
    )
    units = sorted((a.pledged_units, a.flexible_extra, a.units) for a in order.allocations)
    assert sum(u for *_, u in units) == 20
    assert all(pledged <= got <= pledged + extra for pledged, extra, got in units)
    assert all(a.delivery_address and a.contact_email for a in order.allocations)
    assert "TAY-PO-" in client.get(f"/pools/{pool.id}").get_data(as_text=True)


def test_a_member_sees_what_it_pledged_what_it_got_and_why(client, world, boxed_pool):
    services.pledge(world.member_user, boxed_pool.id, 3, 2, member_id=world.member.id)
    db.session.commit()
    closing.close_pool(world.secretary, boxed_pool.id)
    db.session.commit()
    allocation = db.session.scalar(db.select(Allocation).where(Allocation.member_id == world.member.id))
    sign_in(client, world.member_user)
    page = client.get(f"/pools/{boxed_pool.id}").get_data(as_text=True)
    assert "pledged 3 (plus up to 2 flexible) and was allocated" in page
    assert f"<strong>{allocation.units} boxes</strong>" in page and allocation.reason in page


def test_prices_changed_after_closing_do_not_alter_the_pool(world, boxed_pool):
    closing.close_pool(world.secretary, boxed_pool.id)
    db.session.commit()
    catalogue_services.update_offer(
        world.supplier_user,
        boxed_pool.offer,
        {"list_price": "40.00", "tiers": [{"min_quantity": 10, "unit_price": "30.00"}]},
    )
    db.session.commit()
    summary = services.summarise(db.session.get(Pool, boxed_pool.id))
    assert summary.unit_price == Decimal("22.0000")
    assert [t.unit_price for t in services.pool_tiers(boxed_pool)] == [Decimal("22.0000"), Decimal("20.0000")]


def test_below_the_minimum_the_pool_is_cancelled_and_nothing_is_ordered(client, world):
    offer = make_offer(world.supplier)
    pool = make_pool(world.secretary, offer, [world.consortium], minimum=100)
    services.pledge(world.member_user, pool.id, 30, member_id=world.member.id)
    db.session.commit()
    sign_in(client, world.secretary)
    assert "will <strong>cancel</strong> the pool" in client.get(f"/pools/{pool.id}/close").get_data(as_text=True)
    client.post(f"/pools/{pool.id}/close")
    db.session.refresh(pool)
    assert pool.status is PoolStatus.CANCELLED and "30 of the 100" in pool.cancel_reason
    assert db.session.scalar(db.select(db.func.count()).select_from(PurchaseOrder)) == 0
    client.post("/sign-out")
    sign_in(client, world.member_user)
    assert "The minimum was not met: 30 of the 100" in client.get(f"/pools/{pool.id}").get_data(as_text=True)


def test_closing_a_closed_pool_changes_nothing_and_says_so(client, world, boxed_pool):
    closing.close_pool(world.secretary, boxed_pool.id)
    db.session.commit()
    with pytest.raises(Conflict, match=r"this one is closed\. Nothing was changed"):
        closing.close_pool(world.secretary, boxed_pool.id)
    db.session.rollback()
    response = client.post(f"/api/v1/pools/{boxed_pool.id}/close", headers=api_token(world.secretary))
    assert (
        response.status_code == 409
        and "Only an open pool can be closed; this one is" in response.json["error"]["message"]
    )
    assert db.session.scalar(db.select(db.func.count()).select_from(PurchaseOrder)) == 1
    late = client.put(
        f"/api/v1/pools/{boxed_pool.id}/pledge", headers=api_token(world.member_user), json={"quantity": 3}
    )
    assert late.status_code == 409


def test_only_the_pools_secretary_or_an_admin_closes_it(world, offer):
    national = make_pool(world.admin, offer, [world.consortium, world.other_consortium])
    with pytest.raises(Forbidden):
        closing.close_pool(world.secretary, national.id)
    db.session.rollback()
    with pytest.raises(Forbidden):
        closing.close_pool(world.member_user, national.id)


def test_national_pool_takes_its_tier_from_the_national_total_and_orders_per_consortium(world):
    offer = make_offer(world.supplier, pack_size=2, tiers=(("10", "22.00"), ("40", "20.00")))
    pool = make_pool(world.admin, offer, [world.consortium, world.other_consortium], minimum=2, delivery=901)
    _pledges(world, pool, 9, 12)
    _pledges(world, pool, 11, 8, network=world.other_network)
    result = closing.close_pool(world.admin, pool.id)
    db.session.commit()
    assert result.plan.unit_price == Decimal("20.00")
    orders = {o.consortium.code: o for o in result.purchase_orders}
    assert orders["TAY"].units == 20 and orders["LOT"].units == 18
    assert all(o.units % 2 == 0 for o in orders.values())
    assert orders["TAY"].delivery_charge_pence + orders["LOT"].delivery_charge_pence == 901
    assert orders["TAY"].number.startswith("TAY-PO-") and orders["LOT"].number.startswith("LOT-PO-")


def test_a_consortium_can_send_orders_on_close(world, boxed_pool):
    world.consortium.send_orders_on_close = True
    db.session.commit()
    result = closing.close_pool(world.secretary, boxed_pool.id)
    assert result.purchase_orders[0].status is PurchaseOrderStatus.SENT
    assert result.pool.status is PoolStatus.ORDERED


def test_order_numbers_are_sequential_per_consortium(world):
    offer = make_offer(world.supplier)
    numbers = []
    for _ in range(3):
        pool = make_pool(world.secretary, offer, [world.consortium])
        services.pledge(world.member_user, pool.id, 5, member_id=world.member.id)
        numbers += [o.number for o in closing.close_pool(world.secretary, pool.id).purchase_orders]
    assert [n[-4:] for n in numbers] == ["0001", "0002", "0003"]


def test_close_due_pools_closes_past_deadline_pools_and_is_safe_to_run_again(runner, world, offer):
    due = make_pool(world.secretary, offer, [world.consortium])
    services.pledge(world.member_user, due.id, 5, member_id=world.member.id)
    later = make_pool(world.secretary, offer, [world.consortium])
    due.deadline = utcnow() - timedelta(minutes=5)
    db.session.commit()
    first = runner.invoke(args=["close-due-pools"])
    assert first.exit_code == 0 and "1 closed" in first.output
    second = runner.invoke(args=["close-due-pools"])
    assert "0 closed, 0 cancelled" in second.output
    db.session.expire_all()
    assert db.session.get(Pool, due.id).status is PoolStatus.CLOSED
    assert db.session.get(Pool, later.id).status is PoolStatus.OPEN


def test_close_preview_and_close_over_the_api(client, world, boxed_pool):
    headers = api_token(world.secretary)
    preview = client.get(f"/api/v1/pools/{boxed_pool.id}/close-preview", headers=headers)
    assert preview.status_code == 200
    plan = preview.json
    assert plan["proceeds"] and plan["units"] == 20 and plan["packs"] == 4 and plan["unit_price"] == "22.0000"
    assert sum(m["units"] for c in plan["consortia"] for m in c["members"]) == 20
    closed = client.post(f"/api/v1/pools/{boxed_pool.id}/close", headers=headers)
    assert closed.status_code == 200 and closed.json["pool"]["status"] == "closed"
    assert closed.json["purchase_orders"][0]["number"].startswith("TAY-PO-")
    assert client.get(f"/api/v1/pools/{boxed_pool.id}/close-preview", headers=headers).status_code == 409
    assert client.post(f"/api/v1/pools/{boxed_pool.id}/close", headers=api_token(world.member_user)).status_code == 403


def test_the_largest_pool_accepted_closes_and_a_larger_pledge_is_refused(client, world):
    """A pool's value at list price is capped so its order and invoices fit their pence columns on PostgreSQL."""
    offer = make_offer(world.supplier, list_price="99999.0000", tiers=(("10", "90000.0000"),))
    pool = make_pool(world.secretary, offer, [world.consortium])
    headers = api_token(world.member_user)
    over = client.put(f"/api/v1/pools/{pool.id}/pledge", headers=headers, json={"quantity": 15_001})
    assert over.status_code == 422
    assert "the most one pool can order" in over.json["error"]["fields"]["quantity"][0]
    largest = services.MAX_POOL_VALUE_PENCE // 9_999_900
    assert client.put(f"/api/v1/pools/{pool.id}/pledge", headers=headers, json={"quantity": largest}).status_code == 201
    closing.close_pool(world.secretary, pool.id)
    db.session.commit()
    order = db.session.scalar(db.select(PurchaseOrder).where(PurchaseOrder.pool_id == pool.id))
    assert order.goods_pence == largest * 9_000_000
