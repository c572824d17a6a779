"""What a member is told before the invoice is the invoice: the close preview, run as a dry run of invoicing,
equals each member's issued invoice to the penny when nothing changes between close and invoicing, and the
close makes exactly the allocations the preview shows, whichever page of it the secretary reads."""

from datetime import timedelta
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from billing import services as billing
from catalogue.models import VatRate
from kernel.clock import utcnow
from kernel.extensions import db
from orders import closing, purchase_orders
from orders import services as pools
from orders.models import Allocation, PurchaseOrder
from organisations.models import TurnoverBand
from tests import factories
from tests.orders.conftest import make_offer

BANDS = list(TurnoverBand)


@pytest.fixture
def members(world):
    """Two members of every turnover band in each consortium, made once for every example."""
    made = {
        consortium.id: [factories.member(network, turnover_band=band) for band in BANDS for _ in range(2)]
        for consortium, network in ((world.consortium, world.network), (world.other_consortium, world.other_network))
    }
    db.session.commit()
    return made


def preview_of(line) -> tuple[int, dict[VatRate, int], int]:
    """A member's close-preview breakdown: net, VAT per rate, gross."""
    return line.net_pence, {v.vat_rate: v.vat_pence for v in line.vat}, line.total_pence


def shown(line) -> tuple:
    """A member's line of the close preview as the secretary reads it: the allocation, then the bill."""
    recipient = line.recipient
    return (
        line.row.member_id,
        line.row.quantity,
        line.row.flexible_extra,
        line.units,
        line.reason,
        recipient.member_name,
        recipient.delivery_address,
        recipient.contact_email,
        line.goods_pence,
        line.delivery_pence,
        line.handling_fee_pence,
        line.solidarity_pence,
        preview_of(line),
    )


def invoice_of(invoice) -> tuple[int, dict[VatRate, int], int]:
    return invoice.net_pence, {v.vat_rate: v.vat_pence for v in invoice.vat_lines}, invoice.total_pence


terms = st.tuples(st.sampled_from(["0", "2.5", "7.25", "25"]), st.booleans())  # handling fee %, VAT-registered
pledges = st.lists(st.tuples(st.integers(0, len(BANDS) * 2 - 1), st.integers(1, 60), st.integers(0, 9)), max_size=8)


@given(
    ours=pledges,
    theirs=pledges,
    our_terms=terms,
    their_terms=terms,
    pack_size=st.integers(1, 6),
    price=st.sampled_from(["0.0840", "3.1575", "12.00", "22.4999"]),
    vat=st.sampled_from(list(VatRate)),
    delivery=st.integers(0, 9000),
    solidarity=st.sampled_from(["0", "2.5", "10", "25"]),
    per_page=st.integers(1, 5),
)
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_each_members_close_preview_is_its_invoice_to_the_penny(
    world, members, ours, theirs, our_terms, their_terms, pack_size, price, vat, delivery, solidarity, per_page
):
    for consortium, (fee, registered) in ((world.consortium, our_terms), (world.other_consortium, their_terms)):
        consortium.handling_fee_percent = Decimal(fee)
        consortium.organisation.vat_number = "GB284719365" if registered else None
    offer = make_offer(world.supplier, pack_size=pack_size, vat=vat, list_price=price, tiers=())
    pool = pools.create_pool(
        world.admin,
        offer,
        [world.consortium, world.other_consortium],
        pools.PoolTerms(
            deadline=utcnow() + timedelta(days=3),
            delivery_charge_pence=delivery,
            solidarity_rate_percent=Decimal(solidarity),
        ),
    )
    pools.open_pool(world.admin, pool)
    for consortium_id, wanted in ((world.consortium.id, ours), (world.other_consortium.id, theirs)):
        for which, quantity, extra in wanted:
            pools.pledge(world.admin, pool.id, quantity, extra, member_id=members[consortium_id][which].id)
    db.session.commit()

    plan = closing.preview_close(world.admin, pool)
    lines = closing.member_lines(plan)
    paged = [
        line
        for start in range(0, plan.members, per_page)
        for line in closing.member_lines(plan, start, start + per_page)
    ]
    assert [shown(line) for line in paged] == [shown(line) for line in lines]
    result = closing.close_pool(world.admin, pool.id)
    allocated = db.session.execute(
        select(
            Allocation.member_id,
            Allocation.pledged_units,
            Allocation.flexible_extra,
            Allocation.units,
            Allocation.reason,
            Allocation.member_name,
            Allocation.delivery_address,
            Allocation.contact_email,
        )
        .join(PurchaseOrder)
        .where(PurchaseOrder.pool_id == pool.id)
        .order_by(PurchaseOrder.consortium_id, Allocation.id)
    ).all()
    assert [tuple(row) for row in allocated] == [shown(line)[:8] for line in lines]
    invoices = {}
    for order in result.purchase_orders:
        if order.status.value == "draft":
            purchase_orders.send(world.admin, order)
        purchase_orders.record_delivery(world.admin, order)
        invoices |= {invoice.member_id: invoice for invoice in billing.issue_invoices(world.admin, order.id)}
    db.session.commit()

    previews = {line.row.member_id: line for line in lines}
    assert set(invoices) == {member_id for member_id, line in previews.items() if line.total_pence}
    for member_id, line in previews.items():
        if member_id in invoices:
            assert preview_of(line) == invoice_of(invoices[member_id])
