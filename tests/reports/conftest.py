"""A year's trading in miniature: pools closed, orders delivered, invoices issued and credited."""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

import pytest

from billing import services as billing
from billing.models import Invoice, LineKind
from kernel.clock import utcnow
from kernel.extensions import db
from orders import closing, purchase_orders
from orders import services as orders
from organisations.models import Member, Supplier
from tests import factories


@dataclass
class Trading:
    world: factories.World
    neighbour: Member  # a second member in our network
    far_member: Member  # a member of our consortium's second network
    commercial: Supplier  # a supplier that is not a social enterprise
    invoices: list[Invoice]


def deliver_pool(
    actor, offer, consortia, pledges, issued_on: date, delivery_pence: int = 0, short: dict | None = None
) -> list[Invoice]:
    """Opens a pool, takes the pledges, closes it and delivers and invoices every order on `issued_on`."""
    terms = orders.PoolTerms(
        deadline=utcnow() + timedelta(days=7), minimum_quantity=1, delivery_charge_pence=delivery_pence
    )
    pool = orders.create_pool(actor, offer, consortia, terms)
    orders.open_pool(actor, pool)
    for member, quantity in pledges:
        orders.pledge(actor, pool.id, quantity, member_id=member.id)
    invoices = []
    for order in closing.close_pool(actor, pool.id).purchase_orders:
        purchase_orders.send(actor, order)
        purchase_orders.confirm(actor, order)
        purchase_orders.record_delivery(actor, order, short or {})
        invoices += billing.issue_invoices(actor, order.id, today=issued_on)
    db.session.commit()
    return invoices


def goods_line(invoice: Invoice):
    return next(line for line in invoice.lines if line.kind is LineKind.GOODS)


def build_trading(world: factories.World, extra_members: int = 0) -> Trading:
    admin = world.admin
    world.consortium.handling_fee_percent = Decimal("2.50")
    world.consortium.organisation.vat_number = "GB123456789"
    neighbour = factories.member(world.network, "Taybank Community Cafe")
    far_member = factories.member(factories.network(world.consortium, "Angus Network"), "Forfar Community Energy")
    commercial = factories.supplier("Forth Laptops plc", is_social_enterprise=False)
    stationery = factories.category("stationery", "Stationery", position=1)
    it = factories.category("it-services", "IT services", position=5)
    paper = factories.offer(
        world.supplier,
        stationery,
        name="Copier paper",
        list_price="4.2000",
        tiers=((100, "3.8500"), (500, "3.4900")),
        actor=admin,
    )
    support = factories.offer(
        commercial,
        it,
        name="IT support",
        list_price="32.0000",
        tiers=((50, "28.5000"),),
        actor=admin,
        unit="seat-month",
    )
    envelopes = factories.offer(
        world.supplier,
        stationery,
        name="Envelopes",
        list_price="0.0960",
        tiers=((5000, "0.0840"),),
        actor=admin,
        unit="envelope",
    )
    more = [factories.member(world.network) for _ in range(extra_members)]
    db.session.commit()
    invoices = deliver_pool(
        admin,
        paper,
        [world.consortium],
        [(world.member, 60), (neighbour, 50), (far_member, 20)] + [(m, 7) for m in more],
        date(2026, 2, 10),
        delivery_pence=1999,
    )
    invoices += deliver_pool(
        admin,
        support,
        [world.consortium, world.other_consortium],
        [(world.member, 30), (world.other_member, 25)],
        date(2026, 4, 3),
    )
    invoices += deliver_pool(
        admin,
        envelopes,
        [world.consortium],
        [(neighbour, 3333), (far_member, 2001)],
        date(2026, 4, 28),
        delivery_pence=777,
    )
    ours = next(i for i in invoices if i.member_id == world.member.id and i.issue_date.month == 2)
    billing.issue_credit_note(
        admin, ours, [billing.CreditItem(goods_line(ours).id, 5)], "Five reams were damp.", today=date(2026, 3, 1)
    )
    theirs = next(i for i in invoices if i.member_id == world.other_member.id)
    billing.issue_credit_note(
        admin, theirs, billing.full_credit(theirs), "Cancelled by agreement.", today=date(2026, 4, 20)
    )
    db.session.commit()
    return Trading(world, neighbour, far_member, commercial, invoices)


@pytest.fixture
def trading(world) -> Trading:
    return build_trading(world)
