from datetime import timedelta
from decimal import Decimal

import pytest

from catalogue.models import Category, Offer, PriceTier, VatRate
from marketplace.extensions import db, utcnow
from orders import services


def make_offer(supplier, *, name="A4 copier paper", unit="box", pack_size=1, list_price="25.00",
               tiers=(("10", "22.00"), ("50", "20.00"), ("200", "18.50")), vat=VatRate.STANDARD, moq=1) -> Offer:
    category = db.session.scalar(db.select(Category).where(Category.slug == "stationery"))
    if category is None:
        category = Category(slug="stationery", name="Stationery")
    offer = Offer(supplier=supplier, category=category, name=name, unit=unit, pack_size=pack_size,
                  vat_rate=vat, list_price=Decimal(list_price), minimum_order_quantity=moq,
                  tiers=[PriceTier(min_quantity=int(q), unit_price=Decimal(p)) for q, p in tiers])
    db.session.add(offer)
    db.session.flush()
    return offer


def make_pool(actor, offer, consortia, *, open_=True, minimum=None, capacity=None, delivery=0,
              deadline=None):
    terms = services.PoolTerms(deadline=deadline or utcnow() + timedelta(days=7), minimum_quantity=minimum,
                               capacity=capacity, delivery_charge_pence=delivery)
    pool = services.create_pool(actor, offer, list(consortia), terms)
    if open_:
        services.open_pool(actor, pool)
    db.session.commit()
    return pool


@pytest.fixture
def offer(world):
    offer = make_offer(world.supplier)
    db.session.commit()
    return offer


@pytest.fixture
def pool(world, offer):
    return make_pool(world.secretary, offer, [world.consortium], delivery=1500)
