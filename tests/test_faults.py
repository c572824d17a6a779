"""Faults under the real entry points: a close or an invoice run that fails half way leaves
nothing behind and succeeds when run again; a database connection killed under the app is
replaced without a restart.

Failures are injected after some rows are already flushed (a purchase order and its
allocations; invoices with their lines and VAT), so a missing rollback would show.
"""

from datetime import timedelta

import pytest
from sqlalchemy import create_engine, text

from billing import services as billing_services
from billing.models import Invoice, InvoiceLine, InvoiceVat
from kernel.clock import utcnow
from kernel.extensions import db
from kernel.numbering import DocumentCounter
from orders import closing, purchase_orders
from orders import services as pools
from orders.models import Allocation, Pledge, Pool, PoolStatus, PurchaseOrder
from tests import factories
from tests.conftest import POSTGRES_URL
from tests.factories import api_token, sign_in
from tests.orders.conftest import make_offer, make_pool

SERVER_ERRORS_AS_PAGES = pytest.mark.app_config({"PROPAGATE_EXCEPTIONS": False})


class Injected(RuntimeError):
    """The fault a test injects."""


def _count(model) -> int:
    return db.session.scalar(db.select(db.func.count()).select_from(model))


def _counters() -> dict[tuple[int, str], int]:
    return {(c.consortium_id, c.series): c.last_value for c in db.session.scalars(db.select(DocumentCounter))}


def _fail_on_call(monkeypatch, module, name: str, call: int) -> None:
    """Makes `module.name` raise Injected on its `call`-th call (1-based), after running the real one."""
    real = getattr(module, name)
    calls = []

    def failing(*args, **kwargs):
        result = real(*args, **kwargs)
        calls.append(1)
        if len(calls) == call:
            raise Injected(f"injected after {name} call {call}")
        return result

    monkeypatch.setattr(module, name, failing)


def _national_pool(world, offer, *, deadline=None):
    """A pool of both consortia with a pledge from each, so closing writes two orders."""
    pool = make_pool(world.admin, offer, [world.consortium, world.other_consortium], deadline=deadline)
    for member in (world.member, world.other_member):
        pools.pledge(world.admin, pool.id, 12, member_id=member.id)
    db.session.commit()
    return pool


def _nothing_closed(pool_id: int, counters_before: dict) -> None:
    db.session.expire_all()
    assert db.session.get(Pool, pool_id).status is PoolStatus.OPEN
    assert _count(PurchaseOrder) == 0 and _count(Allocation) == 0
    assert _counters() == counters_before, "a rolled-back close must give its order numbers back"
    assert _count(Pledge) == 2


def test_a_scheduled_close_failing_half_way_leaves_the_pool_open_and_the_next_run_closes_it(
    app, runner, world, monkeypatch
):
    offer = make_offer(world.supplier)
    soon = utcnow() + timedelta(hours=1)
    failing = _national_pool(world, offer, deadline=soon)
    healthy = make_pool(world.secretary, offer, [world.consortium], deadline=soon)
    pools.pledge(world.admin, healthy.id, 5, member_id=world.member.id)
    for pool in (failing, healthy):
        pool.deadline = utcnow() - timedelta(minutes=1)
    db.session.commit()
    _fail_on_call(monkeypatch, closing, "_purchase_order", 2)  # the first of the failing pool's two orders is written

    with app.app_context():  # the command's own context and session, as under cron
        result = runner.invoke(args=["close-due-pools"])
    assert result.exit_code != 0
    assert f"Pool {failing.id} failed" in result.output and "1 closed" in result.output
    db.session.expire_all()
    assert db.session.get(Pool, failing.id).status is PoolStatus.OPEN
    assert db.session.get(Pool, healthy.id).status is PoolStatus.CLOSED
    orders = list(db.session.scalars(db.select(PurchaseOrder)))
    assert [o.pool_id for o in orders] == [healthy.id]
    assert {a.purchase_order_id for a in db.session.scalars(db.select(Allocation))} == {orders[0].id}

    monkeypatch.undo()
    with app.app_context():
        again = runner.invoke(args=["close-due-pools"])
    assert again.exit_code == 0, again.output
    db.session.expire_all()
    assert db.session.get(Pool, failing.id).status is not PoolStatus.OPEN
    numbers = sorted(
        o.number for o in db.session.scalars(db.select(PurchaseOrder).where(PurchaseOrder.pool_id == failing.id))
    )
    year = utcnow().year
    assert numbers == [f"LOT-PO-{year}-0001", f"TAY-PO-{year}-0002"], "no number was lost to the failed run"


@SERVER_ERRORS_AS_PAGES
def test_a_close_from_the_page_failing_half_way_changes_nothing_and_can_be_retried(client, world, monkeypatch):
    pool = _national_pool(world, make_offer(world.supplier))
    counters = _counters()
    _fail_on_call(monkeypatch, closing, "sync_pool_status", 1)  # every order and allocation is written by then
    sign_in(client, world.admin)

    assert client.post(f"/pools/{pool.id}/close").status_code == 500
    _nothing_closed(pool.id, counters)

    monkeypatch.undo()
    assert client.post(f"/pools/{pool.id}/close").status_code == 302
    db.session.expire_all()
    assert db.session.get(Pool, pool.id).status is PoolStatus.CLOSED
    assert _count(PurchaseOrder) == 2 and _count(Allocation) == 2


def _delivered_order(world):
    offer = make_offer(world.supplier, tiers=(("10", "2.1575"),), list_price="2.50")
    pool = make_pool(world.secretary, offer, [world.consortium], delivery=999)
    members = [world.member] + [factories.member(world.network) for _ in range(3)]
    for member, quantity in zip(members, (7, 5, 9, 4), strict=True):
        pools.pledge(world.admin, pool.id, quantity, member_id=member.id)
    order = closing.close_pool(world.secretary, pool.id).purchase_orders[0]
    purchase_orders.send(world.secretary, order)
    purchase_orders.record_delivery(world.secretary, order)
    db.session.commit()
    return order


def _nothing_invoiced(order_id: int, counters_before: dict) -> None:
    db.session.expire_all()
    assert _count(Invoice) == _count(InvoiceLine) == _count(InvoiceVat) == 0
    assert _counters() == counters_before, "a rolled-back run must give its invoice numbers back"
    assert db.session.get(Pool, db.session.get(PurchaseOrder, order_id).pool_id).status is not PoolStatus.INVOICED


def _invoiced_once(order_id: int) -> None:
    db.session.expire_all()
    invoices = list(db.session.scalars(db.select(Invoice).where(Invoice.purchase_order_id == order_id)))
    assert sorted(int(i.number[-6:]) for i in invoices) == [1, 2, 3, 4]
    assert sum(i.total_pence for i in invoices) == sum(
        db.session.scalar(db.select(db.func.sum(InvoiceLine.net_pence)).where(InvoiceLine.invoice_id == i.id))
        + i.vat_pence
        for i in invoices
    )


@SERVER_ERRORS_AS_PAGES
def test_an_invoice_run_from_the_page_failing_half_way_issues_nothing_and_can_be_retried(client, world, monkeypatch):
    order = _delivered_order(world)
    counters = _counters()
    _fail_on_call(monkeypatch, billing_services, "_mark_pool_invoiced", 1)  # invoices, lines and VAT are in by then
    sign_in(client, world.secretary)

    assert client.post(f"/purchase-orders/{order.id}/invoices").status_code == 500
    _nothing_invoiced(order.id, counters)

    monkeypatch.undo()
    assert client.post(f"/purchase-orders/{order.id}/invoices").status_code == 302
    _invoiced_once(order.id)


@SERVER_ERRORS_AS_PAGES
def test_an_invoice_run_over_the_api_failing_half_way_issues_nothing_and_can_be_retried(client, world, monkeypatch):
    order = _delivered_order(world)
    counters = _counters()
    headers = api_token(world.secretary)
    _fail_on_call(monkeypatch, billing_services, "_mark_pool_invoiced", 1)

    failed = client.post(f"/api/v1/purchase-orders/{order.id}/invoices", headers=headers)
    assert failed.status_code == 500 and failed.json["error"]["code"]
    _nothing_invoiced(order.id, counters)

    monkeypatch.undo()
    assert client.post(f"/api/v1/purchase-orders/{order.id}/invoices", headers=headers).status_code == 201
    _invoiced_once(order.id)


def test_the_app_survives_its_database_connections_being_killed(app, client, world, postgresql_only):
    """pg_terminate_backend on every connection of the app's pool, from a second connection:
    the next requests, reads and writes, succeed without restarting the app."""
    assert app.config["SQLALCHEMY_ENGINE_OPTIONS"].get("pool_pre_ping") is True
    pool_id = make_pool(world.secretary, make_offer(world.supplier), [world.consortium]).id
    headers = api_token(world.member_user)
    for _ in range(3):
        assert client.get("/api/v1/me", headers=headers).status_code == 200
    sign_in(client, world.member_user)
    assert client.get("/").status_code == 200
    db.session.close()
    database = db.engine.url.database

    killer = create_engine(db.engine.url.set(database=POSTGRES_URL.rsplit("/", 1)[-1]), isolation_level="AUTOCOMMIT")
    with killer.connect() as connection:
        killed = connection.execute(
            text(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = :database AND pid <> pg_backend_pid()"
            ),
            {"database": database},
        ).scalar_one()
    killer.dispose()
    assert killed >= 1, "the app held no connection to kill: the test would prove nothing"

    assert client.get("/").status_code == 200
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    pledged = client.put(f"/api/v1/pools/{pool_id}/pledge", headers=headers, json={"quantity": 3})
    assert pledged.status_code == 201, pledged.json
    page = client.get(f"/pools/{pool_id}")
    assert page.status_code == 200
    db.session.expire_all()
    assert db.session.scalar(db.select(Pledge.quantity).where(Pledge.pool_id == pool_id)) == 3
