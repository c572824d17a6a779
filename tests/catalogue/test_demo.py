"""The demo catalogue: every category stocked, and loading it twice changes nothing."""

from sqlalchemy import func, select

from catalogue import demo as catalogue_demo
from catalogue import services
from catalogue.models import Category, Offer, PriceTier
from kernel.extensions import db
from organisations import demo


def test_seed_is_idempotent_and_stocks_every_category(app):
    demo.seed()
    catalogue_demo.seed()
    db.session.commit()
    offers = db.session.scalars(select(Offer)).all()
    tiers = db.session.scalar(select(func.count(PriceTier.id)))
    catalogue_demo.seed()
    db.session.commit()
    assert db.session.scalar(select(func.count(Offer.id))) == len(offers) >= 18
    assert db.session.scalar(select(func.count(PriceTier.id))) == tiers
    assert db.session.scalar(select(func.count(Category.id))) == 7

    per_category = {c.slug: 0 for c in services.list_categories()}
    for offer in offers:
        per_category[offer.category.slug] += 1
        assert offer.tiers, offer.name
    assert set(per_category) == {
        "marketing-pr",
        "stationery",
        "professional-fees",
        "utilities",
        "hr-services",
        "it-services",
        "accountancy",
    }
    assert min(per_category.values()) >= 2
    assert len({offer.supplier_id for offer in offers}) >= 6
    assert sum(offer.pack_size > 1 for offer in offers) >= 2


def test_demo_command_loads_the_catalogue(demo_app):
    assert db.session.scalar(select(func.count(Offer.id))) >= 18
