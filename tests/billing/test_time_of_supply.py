"""The time of supply on an invoice: the delivery date, or the invoice's own date when it comes first."""

from datetime import timedelta

from billing import services
from kernel.extensions import db
from orders import closing, purchase_orders
from orders import services as pools
from tests.billing.test_invoicing import delivered_order
from tests.orders.conftest import make_offer, make_pool


def test_an_invoice_issued_after_the_delivery_has_the_delivery_date_as_its_time_of_supply(world):
    order = delivered_order(world, quantities=(7,))
    later = order.delivered_at.date() + timedelta(days=9)
    invoice = services.issue_invoices(world.secretary, order.id, today=later)[0]
    assert (invoice.issue_date, invoice.supply_date) == (later, order.delivered_at.date())


def test_an_invoice_never_has_a_time_of_supply_after_its_own_date(world):
    order = delivered_order(world, quantities=(7,))
    earlier = order.delivered_at.date() - timedelta(days=40)
    invoice = services.issue_invoices(world.secretary, order.id, today=earlier)[0]
    assert invoice.supply_date == invoice.issue_date == earlier


def test_a_confirmed_order_invoiced_before_delivery_is_supplied_on_the_invoice_date(world):
    offer = make_offer(world.supplier)
    pool = make_pool(world.secretary, offer, [world.consortium])
    pools.pledge(world.member_user, pool.id, 12, member_id=world.member.id)
    order = closing.close_pool(world.secretary, pool.id).purchase_orders[0]
    purchase_orders.send(world.secretary, order)
    purchase_orders.confirm(world.supplier_user, order)
    db.session.commit()
    on = order.confirmed_at.date() + timedelta(days=2)
    invoice = services.issue_invoices(world.secretary, order.id, today=on)[0]
    assert invoice.supply_date == invoice.issue_date == on
