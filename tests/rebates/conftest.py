"""Rebate fixtures: real orders of our supplier's goods, delivered and invoiced, and agreements over them."""

from datetime import timedelta
from decimal import Decimal

from billing import services as billing
from kernel.clock import uk_today
from kernel.extensions import db
from orders import closing, purchase_orders
from orders import services as pools
from rebates import services
from rebates.calculation import Basis, Method, Tier
from rebates.models import ShareRoute
from tests import factories
from tests.orders.conftest import make_offer, make_pool


def invoiced_order(world, supplier, consortium, members_units, *, price="10.00", name="A4 copier paper"):
    """One pool of `supplier`'s offer, pledged by each (member, units), closed, delivered and invoiced."""
    offer = make_offer(supplier, name=name, tiers=(("1", price),), list_price=price)
    actor = world.admin
    pool = make_pool(actor, offer, [consortium])
    for member, units in members_units:
        pools.pledge(actor, pool.id, units, member_id=member.id)
    order = closing.close_pool(actor, pool.id).purchase_orders[0]
    purchase_orders.send(actor, order)
    purchase_orders.record_delivery(actor, order, {})
    invoices = billing.issue_invoices(actor, order.id)
    db.session.commit()
    return offer, list(invoices)


def terms(world, **overrides) -> services.AgreementTerms:
    today = uk_today()
    values = dict(
        name="Paper rebate",
        supplier_id=world.supplier.id,
        basis=Basis.SPEND,
        method=Method.RETROSPECTIVE,
        period_start=today - timedelta(days=30),
        period_end=today,
        tiers=[Tier(0, Decimal("2")), Tier(100_000, Decimal("5"))],
        share_route=ShareRoute.CREDIT_NOTE,
        consortium_id=world.consortium.id,
    )
    return services.AgreementTerms(**(values | overrides))


def agreement(world, actor=None, **overrides):
    made = services.create_agreement(actor or world.secretary, terms(world, **overrides))
    db.session.commit()
    return made


def tomorrow():
    return uk_today() + timedelta(days=1)


def second_member(world, name="Tay Bakery CIC"):
    made = factories.member(world.network, name)
    db.session.commit()
    return made
