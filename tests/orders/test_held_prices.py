"""A pool keeps the prices it opened with: offer edits reach only pools opened afterwards, and a
supplier may lower an open pool's prices (its pledged members are told), never raise them."""

from decimal import Decimal

import pytest
from sqlalchemy import select

from kernel.extensions import db
from orders import closing, prices
from orders import services as pools
from orders.models import Pool, PoolPriceChange
from organisations import notifications
from organisations.models import OutboxMessage, Role
from tests import factories
from tests.factories import api_token, field_error, sign_in
from tests.orders.conftest import make_pool

TRIPLED = {
    "list_price": "75.00",
    "tiers": [
        {"min_quantity": 10, "unit_price": "66.00"},
        {"min_quantity": 50, "unit_price": "60.00"},
        {"min_quantity": 200, "unit_price": "55.50"},
    ],
}


def triple_the_offer(client, world, offer) -> None:
    response = client.patch(f"/api/v1/offers/{offer.id}", headers=api_token(world.supplier_user), json=TRIPLED)
    assert response.status_code == 200, response.json


def messages(kind: str) -> list[OutboxMessage]:
    return factories.outbox_messages(kind)


@pytest.fixture
def colleague(world):
    """A second member of our consortium that has not pledged."""
    member = factories.member(world.network, "Dundee Bike Kitchen")
    user = factories.user("kitchen@example.org", (Role.MEMBER, member.id), name="Kit Chen")
    db.session.commit()
    return user


def test_tripling_an_offers_tiers_leaves_an_open_pools_prices_as_they_opened(client, world, offer, pool):
    pools.pledge(world.member_user, pool.id, 60)
    db.session.commit()
    triple_the_offer(client, world, offer)

    body = client.get(f"/api/v1/pools/{pool.id}", headers=api_token(world.member_user)).json
    assert body["unit_price"] == "20.0000" and body["list_price"] == "25.0000"
    assert body["next_tier"]["unit_price"] == "18.5000"
    pledged = client.put(f"/api/v1/pools/{pool.id}/pledge", headers=api_token(world.member_user), json={"quantity": 70})
    assert pledged.json["estimate"]["unit_price"] == "20.0000"
    assert pledged.json["estimate"]["goods_pence"] == 140_000
    sign_in(client, world.member_user)
    page = client.get(f"/pools/{pool.id}").get_data(as_text=True)
    assert "£20.00" in page and "£60.00" not in page

    plan = closing.preview_close(world.secretary, pool)
    assert plan.unit_price == Decimal("20.00")
    order = closing.close_pool(world.secretary, pool.id).purchase_orders[0]
    assert order.unit_price == Decimal("20.00") and order.list_price == Decimal("25.00")


def test_pools_opened_after_an_offer_edit_use_its_new_tiers_and_drafts_follow_the_offer(client, world, offer):
    draft = make_pool(world.secretary, offer, [world.consortium], open_=False)
    triple_the_offer(client, world, offer)
    headers = api_token(world.member_user)
    assert client.get(f"/api/v1/pools/{draft.id}", headers=api_token(world.secretary)).json["unit_price"] == "75.0000"

    pools.open_pool(world.secretary, draft)
    db.session.commit()
    pools.pledge(world.member_user, draft.id, 60)
    db.session.commit()
    assert client.get(f"/api/v1/pools/{draft.id}", headers=headers).json["unit_price"] == "60.0000"
    client.patch(
        f"/api/v1/offers/{offer.id}",
        headers=api_token(world.supplier_user),
        json={"tiers": [{"min_quantity": 10, "unit_price": "5.00"}]},
    )
    assert client.get(f"/api/v1/pools/{draft.id}", headers=headers).json["unit_price"] == "60.0000"


LOWER_FIRST_TIER = [
    {"min_quantity": 10, "unit_price": "21.00"},
    {"min_quantity": 50, "unit_price": "20.00"},
    {"min_quantity": 200, "unit_price": "18.50"},
]


def lower(client, user, pool, tiers):
    return client.put(f"/api/v1/pools/{pool.id}/tiers", headers=api_token(user), json={"tiers": tiers})


def test_a_supplier_lowers_an_open_pools_prices_and_its_pledged_members_are_told(client, world, offer, pool, colleague):
    pools.pledge(world.member_user, pool.id, 60)
    db.session.commit()
    lowered = lower(
        client,
        world.supplier_user,
        pool,
        [
            {"min_quantity": 10, "unit_price": "21.00"},
            {"min_quantity": 50, "unit_price": "19.00"},
            {"min_quantity": 100, "unit_price": "18.75"},
            {"min_quantity": 200, "unit_price": "18.50"},
        ],
    )
    assert lowered.status_code == 200, lowered.json
    assert lowered.json["unit_price"] == "19.0000"
    assert [t["min_quantity"] for t in lowered.json["tiers"]] == [10, 50, 100, 200]
    member_view = client.get(f"/api/v1/pools/{pool.id}", headers=api_token(world.member_user)).json
    assert member_view["unit_price"] == "19.0000"

    (told,) = messages("pool_prices_lowered")
    assert told.to_email == "member@example.org"
    assert "£19.00" in told.body_text and "£20.00" in told.body_text
    change = db.session.scalar(select(PoolPriceChange).where(PoolPriceChange.pool_id == pool.id))
    assert change.changed_by_id == world.supplier_user.id
    assert [t["unit_price"] for t in change.tiers_before] == ["22.0000", "20.0000", "18.5000"]


def test_members_who_switched_the_price_email_off_are_not_told(client, world, offer, pool):
    pools.pledge(world.member_user, pool.id, 60)
    notifications.switch_off(world.member_user, "pool_prices_lowered")
    db.session.commit()
    assert lower(client, world.supplier_user, pool, LOWER_FIRST_TIER).status_code == 200
    assert messages("pool_prices_lowered") == []


@pytest.mark.parametrize(
    ("tiers", "named"),
    [
        (
            [
                {"min_quantity": 10, "unit_price": "22.00"},
                {"min_quantity": 50, "unit_price": "20.50"},
                {"min_quantity": 200, "unit_price": "18.50"},
            ],
            "Tier 2 (from 50): £20.50 is above the pool's £20.00",
        ),
        (
            [{"min_quantity": 10, "unit_price": "22.00"}, {"min_quantity": 200, "unit_price": "18.50"}],
            "From 50 the unit price would rise from £20.00 to £22.00",
        ),
        ([{"min_quantity": 5, "unit_price": "26.00"}], "Tier 1 (from 5): £26.00 is above the pool's £25.00"),
    ],
)
def test_raising_an_open_pools_prices_is_refused_naming_the_tier(client, world, offer, pool, tiers, named):
    pools.pledge(world.member_user, pool.id, 60)
    db.session.commit()
    refused = lower(client, world.supplier_user, pool, tiers)
    assert refused.status_code == 422
    assert any(named in message for message in refused.json["error"]["fields"]["tiers"]), refused.json
    body = client.get(f"/api/v1/pools/{pool.id}", headers=api_token(world.member_user)).json
    assert body["unit_price"] == "20.0000"
    assert messages("pool_prices_lowered") == []
    assert db.session.scalar(select(PoolPriceChange)) is None


def test_only_the_offers_supplier_lowers_and_only_while_the_pool_is_open(client, world, offer, pool):
    tiers = LOWER_FIRST_TIER
    assert lower(client, world.secretary, pool, tiers).status_code == 403
    other = factories.user("forth@example.org", (Role.SUPPLIER, world.other_supplier.id))
    db.session.commit()
    assert lower(client, other, pool, tiers).status_code == 404
    pools.cancel_pool(world.secretary, pool, "No budget")
    db.session.commit()
    assert lower(client, world.supplier_user, pool, tiers).status_code == 409


def test_the_prices_page_lowers_and_refuses_a_rise_next_to_the_tiers(client, world, offer, pool):
    sign_in(client, world.supplier_user)
    page = client.get(f"/supplier/pools/{pool.id}/prices")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "£22.00" in text and "£20.00" in text and "£18.50" in text

    form = {
        "tiers-0-min_quantity": "10",
        "tiers-0-unit_price": "22.00",
        "tiers-1-min_quantity": "50",
        "tiers-1-unit_price": "21.00",
        "tiers-2-min_quantity": "200",
        "tiers-2-unit_price": "18.50",
    }
    refused = client.post(f"/supplier/pools/{pool.id}/prices", data=form)
    assert refused.status_code == 422
    assert "Tier 2 (from 50): £21.00 is above the pool&#39;s £20.00" in field_error(refused, "tiers")

    form["tiers-1-unit_price"] = "19.50"
    saved = client.post(f"/supplier/pools/{pool.id}/prices", data=form, follow_redirects=True)
    assert saved.status_code == 200
    assert "£19.50" in saved.get_data(as_text=True)
    held = [t.unit_price for t in prices.pool_tiers(db.session.get(Pool, pool.id))]
    assert held == [Decimal("22.00"), Decimal("19.50"), Decimal("18.50")]


def test_the_offer_page_names_the_open_pools_that_keep_the_old_tiers(client, world, offer, pool):
    sign_in(client, world.supplier_user)
    assert "keep the tiers they opened with" not in client.get(f"/catalogue/offers/{offer.id}").get_data(as_text=True)

    triple_the_offer(client, world, offer)
    text = client.get(f"/catalogue/offers/{offer.id}").get_data(as_text=True)
    assert "keep the tiers they opened with" in text
    assert f"/supplier/pools/{pool.id}/prices" in text and "Tayside" in text

    client.post("/sign-out")
    sign_in(client, world.member_user)
    member_page = client.get(f"/catalogue/offers/{offer.id}").get_data(as_text=True)
    assert "keep the tiers they opened with" not in member_page
