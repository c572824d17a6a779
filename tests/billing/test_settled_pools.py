"""A pool is settled once every invoice of its orders is paid or credited, and invoiced again if one is due again."""

from concurrent.futures import ThreadPoolExecutor
from threading import Barrier

from billing import services
from billing.models import Invoice
from billing.payments import record_payment, record_refund
from kernel.clock import uk_today
from kernel.extensions import db
from orders import closing, purchase_orders
from orders import services as pools
from orders.models import Pool, PoolStatus
from organisations.models import User
from tests import factories
from tests.billing.test_invoicing import delivered_order
from tests.orders.conftest import make_offer, make_pool


def pay(world, invoice, pence=None):
    record_payment(world.admin, invoice, invoice.total_pence if pence is None else pence, uk_today(), "BACS")


def pool_of(order) -> Pool:
    db.session.expire_all()
    return db.session.get(Pool, order.pool_id)


def test_the_pool_is_settled_when_the_last_invoice_is_paid_and_reopens_on_a_refund(world):
    order = delivered_order(world, quantities=(7, 5))
    first, second = services.issue_invoices(world.secretary, order.id)
    assert pool_of(order).status is PoolStatus.INVOICED
    pay(world, first)
    pay(world, second, second.total_pence - 1)
    assert pool_of(order).status is PoolStatus.INVOICED
    pay(world, second, 1)
    assert pool_of(order).status is PoolStatus.SETTLED
    record_refund(world.secretary, first, 100, uk_today(), "Damaged box")
    assert pool_of(order).status is PoolStatus.INVOICED
    services.issue_credit_note(world.secretary, first, [services.CreditItem(first.lines[0].id, 1)], "Damaged box")
    assert pool_of(order).status is PoolStatus.SETTLED


def test_a_national_pool_is_settled_only_when_every_consortiums_invoices_are(world):
    offer = make_offer(world.supplier)
    pool = make_pool(world.admin, offer, [world.consortium, world.other_consortium])
    pools.pledge(world.member_user, pool.id, 12, member_id=world.member.id)
    pools.pledge(world.admin, pool.id, 9, member_id=factories.member(world.other_network).id)
    orders = closing.close_pool(world.admin, pool.id).purchase_orders
    for order in orders:
        purchase_orders.send(world.admin, order)
        purchase_orders.record_delivery(world.admin, order)
    ours, theirs = sorted(orders, key=lambda o: o.consortium_id)
    for invoice in services.issue_invoices(world.admin, ours.id):
        pay(world, invoice)
    assert pool_of(ours).status is PoolStatus.DELIVERED
    [last] = services.issue_invoices(world.admin, theirs.id)
    assert pool_of(ours).status is PoolStatus.INVOICED
    pay(world, last)
    assert pool_of(ours).status is PoolStatus.SETTLED


def test_the_last_two_invoices_paid_at_once_still_settle_the_pool(app, world, postgresql_only):
    """Each payment takes the pool's row lock, so the second sees the first and settles the pool."""
    order = delivered_order(world, quantities=(7, 5))
    invoices = services.issue_invoices(world.secretary, order.id)
    db.session.commit()
    start = Barrier(2)
    admin_id = world.admin.id

    def pay_in_full(invoice_id):
        with app.app_context():
            admin, target = db.session.get(User, admin_id), db.session.get(Invoice, invoice_id)
            start.wait(timeout=30)
            record_payment(admin, target, target.total_pence, uk_today(), "BACS")
            db.session.commit()
            db.session.remove()

    with ThreadPoolExecutor(2) as executor:
        list(executor.map(pay_in_full, [i.id for i in invoices]))
    assert pool_of(order).status is PoolStatus.SETTLED
