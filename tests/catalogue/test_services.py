"""The catalogue's rules, as the HTML pages and the API both meet them."""

from decimal import Decimal

import pytest

from catalogue import pricing, services
from catalogue.models import Offer, PriceTier, VatRate
from kernel.errors import NotFound, ValidationFailed
from kernel.extensions import db
from tests import factories


def offer_data(category, **overrides) -> dict:
    return {
        "name": "A4 copier paper 80gsm",
        "category": category.slug,
        "unit": "ream",
        "pack_size": 5,
        "vat_rate": "standard",
        "list_price": "4.2000",
        "minimum_order_quantity": 5,
        "lead_time_days": 1,
        "description": "Box of five reams.",
        "tiers": [{"min_quantity": 500, "unit_price": "3.49"}, {"min_quantity": 100, "unit_price": "3.85"}],
    } | overrides


def test_a_supplier_user_creates_an_offer_with_its_tiers_sorted(world):
    stationery = factories.category("stationery", "Stationery")
    offer = services.create_offer(world.supplier_user, world.supplier.id, offer_data(stationery))
    assert offer.id and offer.active and offer.supplier_id == world.supplier.id
    assert offer.pack_size == 5 and offer.vat_rate is VatRate.STANDARD and offer.list_price == Decimal("4.2000")
    assert services.tiers_of(offer) == [pricing.Tier(100, Decimal("3.85")), pricing.Tier(500, Decimal("3.49"))]


def test_another_suppliers_user_gets_404_and_nothing_is_made(world):
    category = factories.category()
    with pytest.raises(NotFound):
        services.create_offer(world.supplier_user, world.other_supplier.id, offer_data(category))
    with pytest.raises(NotFound):
        services.create_offer(world.member_user, world.supplier.id, offer_data(category))
    assert db.session.scalar(db.select(db.func.count(Offer.id))) == 0


def test_an_admin_may_keep_any_suppliers_offers(world):
    offer = services.create_offer(world.admin, world.other_supplier.id, offer_data(factories.category()))
    assert offer.supplier_id == world.other_supplier.id


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"list_price": "0"}, "list_price"),
        ({"list_price": "-1.00"}, "list_price"),
        ({"list_price": "1.23456"}, "list_price"),
        ({"list_price": "cheap"}, "list_price"),
        ({"list_price": 4.2}, "list_price"),
        ({"pack_size": 0}, "pack_size"),
        ({"pack_size": "two"}, "pack_size"),
        ({"vat_rate": "luxury"}, "vat_rate"),
        ({"category": "no-such-category"}, "category"),
        ({"name": "  "}, "name"),
        ({"lead_time_days": -1}, "lead_time_days"),
        (
            {"tiers": [{"min_quantity": 100, "unit_price": "3.00"}, {"min_quantity": 200, "unit_price": "3.50"}]},
            "tiers",
        ),
        ({"tiers": [{"min_quantity": 100, "unit_price": "4.50"}]}, "tiers"),
        (
            {"tiers": [{"min_quantity": 100, "unit_price": "3.00"}, {"min_quantity": 100, "unit_price": "2.00"}]},
            "tiers",
        ),
        ({"tiers": [{"min_quantity": 0, "unit_price": "3.00"}]}, "tiers"),
        ({"tiers": [{"min_quantity": 10, "unit_price": "0.00001"}]}, "tiers"),
    ],
)
def test_bad_input_is_refused_naming_the_field(world, overrides, field):
    category = factories.category()
    with pytest.raises(ValidationFailed) as raised:
        services.create_offer(world.supplier_user, world.supplier.id, offer_data(category) | overrides)
    assert field in raised.value.fields
    assert raised.value.status_code == 422


def test_update_replaces_all_tiers_and_keeps_unchanged_fields(world):
    offer = factories.offer(world.supplier, tiers=((100, "3.85"), (500, "3.49")))
    services.update_offer(
        world.supplier_user,
        offer,
        {
            "name": "Recycled copier paper",
            "tiers": [{"min_quantity": 100, "unit_price": "3.90"}, {"min_quantity": 1000, "unit_price": "3.10"}],
        },
    )
    db.session.expire_all()
    offer = db.session.get(Offer, offer.id)
    assert offer.name == "Recycled copier paper" and offer.unit == "ream"
    assert services.tiers_of(offer) == [pricing.Tier(100, Decimal("3.90")), pricing.Tier(1000, Decimal("3.10"))]
    assert db.session.scalar(db.select(db.func.count(PriceTier.id))) == 2


def test_a_list_price_below_the_first_tier_is_refused_on_the_list_price(world):
    offer = factories.offer(world.supplier, list_price="4.20", tiers=((100, "3.85"),))
    with pytest.raises(ValidationFailed) as raised:
        services.update_offer(world.supplier_user, offer, {"list_price": "3.50"})
    assert "list_price" in raised.value.fields
    assert offer.list_price == Decimal("4.20")


def test_withdraw_and_reactivate(world):
    offer = factories.offer(world.supplier)
    services.withdraw_offer(world.supplier_user, offer)
    assert offer.active is False
    services.reactivate_offer(world.supplier_user, offer)
    assert offer.active is True
    with pytest.raises(NotFound):
        services.withdraw_offer(world.member_user, offer)


def test_search_filters_by_category_supplier_text_and_buy_social(world):
    paper = factories.category("stationery", "Stationery")
    it = factories.category("it-services", "IT services")
    social = factories.supplier("Brightside Print & Design CIC", is_social_enterprise=True)
    world.supplier.organisation.is_social_enterprise = False
    world.other_supplier.organisation.is_social_enterprise = False
    copier = factories.offer(world.supplier, paper, name="A4 copier paper", description="Box of five reams")
    toner = factories.offer(world.supplier, paper, name="Toner cartridge")
    support = factories.offer(world.other_supplier, it, name="Managed IT support")
    leaflets = factories.offer(social, paper, name="Leaflets")
    withdrawn = factories.offer(world.supplier, paper, name="Old copier paper")
    services.withdraw_offer(world.admin, withdrawn)

    def found(**filters):
        return set(db.session.scalars(services.search_offers(world.member_user, **filters)))

    assert found() == {copier, toner, support, leaflets}
    assert found(category=it) == {support}
    assert found(supplier_id=world.supplier.id) == {copier, toner}
    assert found(q="REAMS") == {copier}
    assert found(q="forth it") == {support}
    assert found(q="100%") == set()
    assert found(buy_social=True) == {leaflets}
    assert found(buy_social=False) == {copier, toner, support}


def test_withdrawn_offers_show_only_on_the_suppliers_own_list(world):
    withdrawn = factories.offer(world.supplier, name="Old copier paper")
    services.withdraw_offer(world.admin, withdrawn)
    own = services.search_offers(world.supplier_user, supplier_id=world.supplier.id, include_withdrawn=True)
    assert withdrawn in set(db.session.scalars(own))
    theirs = services.search_offers(world.member_user, supplier_id=world.supplier.id, include_withdrawn=True)
    assert withdrawn not in set(db.session.scalars(theirs))


def test_categories_by_slug_and_in_order(app):
    second = factories.category("utilities", "Utilities", position=3)
    first = factories.category("stationery", "Stationery", position=1)
    assert services.list_categories() == [first, second]
    assert services.category_by_slug("utilities") == second
    assert services.resolve_category(str(first.id)) == first
    assert services.category_by_slug("nope") is None
