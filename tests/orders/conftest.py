import re
from datetime import timedelta
from decimal import Decimal

import pytest

from catalogue.models import Category, Offer, PriceTier, VatRate
from kernel.clock import utcnow
from kernel.extensions import db
from orders import services


def make_offer(
    supplier,
    *,
    name="A4 copier paper",
    unit="box",
    pack_size=1,
    list_price="25.00",
    tiers=(("10", "22.00"), ("50", "20.00"), ("200", "18.50")),
    vat=VatRate.STANDARD,
    moq=1,
) -> Offer:
    category = db.session.scalar(db.select(Category).where(Category.slug == "stationery"))
    if category is None:
        category = Category(slug="stationery", name="Stationery")
    offer = Offer(
        supplier=supplier,
        category=category,
        name=name,
        unit=unit,
        pack_size=pack_size,
        vat_rate=vat,
        list_price=Decimal(list_price),
        minimum_order_quantity=moq,
        tiers=[PriceTier(min_quantity=int(q), unit_price=Decimal(p)) for q, p in tiers],
    )
    db.session.add(offer)
    db.session.flush()
    return offer


def make_pool(actor, offer, consortia, *, open_=True, minimum=None, capacity=None, delivery=0, deadline=None):
    terms = services.PoolTerms(
        deadline=deadline or utcnow() + timedelta(days=7),
        minimum_quantity=minimum,
        capacity=capacity,
        delivery_charge_pence=delivery,
    )
    pool = services.create_pool(actor, offer, list(consortia), terms)
    if open_:
        services.open_pool(actor, pool)
    db.session.commit()
    return pool


def breakdown(page: str, after: str = "") -> dict[str, str]:
    """The rows of the first bill breakdown on a page (after the text `after`): label -> amount."""
    table = re.search(r'<table class="[^"]*\bbill\b[^"]*">.*?</table>', page[page.index(after) :], re.S).group(0)
    return dict(re.findall(r'<th scope="row">(.*?)</th><td class="num">(?:<strong>)?(.*?)(?:</strong>)?</td>', table))


@pytest.fixture
def offer(world):
    offer = make_offer(world.supplier)
    db.session.commit()
    return offer


@pytest.fixture
def pool(world, offer):
    return make_pool(world.secretary, offer, [world.consortium], delivery=1500)


def make_closed_pool(actor, offer, orders, *, status=None, unit_price="20.00", created_at=None):
    """A closed pool with its purchase orders made directly through the models (not the closing service).

    `orders` lists (consortium, units, order status, [(member, units), ...]); members get a pledge
    and an allocation each. Packs are units // pack size; goods are units x `unit_price`.
    """
    from kernel.money import line_pence
    from orders.models import Allocation, Pledge, PoolStatus, PurchaseOrder

    consortia = [consortium for consortium, *_ in orders]
    pool = make_pool(actor, offer, consortia)
    pool.status = status or PoolStatus.ORDERED
    pool.closed_at = utcnow()
    pool.closing_unit_price = Decimal(unit_price)
    for consortium, units, order_status, allocations in orders:
        order = PurchaseOrder(
            number=f"{consortium.code}-PO-{pool.id:04d}",
            pool=pool,
            consortium=consortium,
            supplier_id=offer.supplier_id,
            offer_id=offer.id,
            status=order_status,
            offer_name=offer.name,
            unit=offer.unit,
            pack_size=offer.pack_size,
            vat_rate=offer.vat_rate,
            unit_price=Decimal(unit_price),
            list_price=offer.list_price,
            packs=units // offer.pack_size,
            units=units,
            goods_pence=line_pence(units, Decimal(unit_price)),
            delivery_charge_pence=0,
            created_at=created_at or utcnow(),
        )
        for member, member_units in allocations:
            pledge = Pledge(pool=pool, member=member, quantity=member_units, flexible_extra=0)
            db.session.add(pledge)
            db.session.flush()
            order.allocations.append(
                Allocation(
                    member=member,
                    pledge_id=pledge.id,
                    pledged_units=member_units,
                    flexible_extra=0,
                    units=member_units,
                    reason="as pledged",
                    member_name=member.name,
                    delivery_address="1 High Street, Dundee",
                    contact_email="office@example.org",
                )
            )
        db.session.add(order)
    pledged = [member_units for *_, allocations in orders for _, member_units in allocations]
    pool.pledged_quantity, pool.member_count = sum(pledged), len(pledged)
    db.session.commit()
    return pool
