"""Opening, cancelling and seeing pools, as secretaries, admins and members."""

from datetime import timedelta

import pytest

from catalogue.models import Offer
from kernel.clock import utcnow
from kernel.errors import Conflict, Forbidden, ValidationFailed
from kernel.extensions import db
from orders import services
from orders.models import Pool, PoolStatus
from tests import factories
from tests.factories import sign_in
from tests.orders.conftest import make_offer, make_pool


def test_secretary_creates_a_draft_pool_from_the_form_and_opens_it(client, world, offer):
    sign_in(client, world.secretary)
    form = client.get("/pools/new").get_data(as_text=True)
    assert "A4 copier paper" in form and "Lothians" not in form
    response = client.post(
        "/pools/new",
        data={
            "offer_id": offer.id,
            "consortium_ids": [world.consortium.id],
            "deadline": "2099-03-01T17:00",
            "minimum_quantity": "20",
            "capacity": "500",
            "delivery_charge": "45.50",
            "note": "Recycled paper",
        },
    )
    assert response.status_code == 302
    pool = db.session.scalar(db.select(Pool))
    assert pool.status is PoolStatus.DRAFT
    assert (pool.minimum_quantity, pool.capacity, pool.delivery_charge_pence) == (20, 500, 4550)
    assert pool.deadline.isoformat() == "2099-03-01T17:00:00+00:00"
    assert client.post(f"/pools/{pool.id}/open").status_code == 302
    db.session.refresh(pool)
    assert pool.status is PoolStatus.OPEN
    page = client.get(f"/pools/{pool.id}").get_data(as_text=True)
    assert "Recycled paper" in page and "open" in page


def test_pool_form_errors_are_shown_next_to_fields(client, world, offer):
    sign_in(client, world.secretary)
    response = client.post(
        "/pools/new",
        data={
            "offer_id": offer.id,
            "consortium_ids": [world.consortium.id],
            "deadline": "2001-01-01T10:00",
            "minimum_quantity": "50",
            "capacity": "10",
            "delivery_charge": "-3",
        },
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Number must be between 0 and 1000000." in page
    assert db.session.scalar(db.select(db.func.count()).select_from(Pool)) == 0


def test_pool_terms_are_validated_by_the_service(world, offer):
    terms = services.PoolTerms(
        deadline=utcnow() - timedelta(hours=1), minimum_quantity=50, capacity=10, delivery_charge_pence=-1
    )
    with pytest.raises(ValidationFailed) as raised:
        services.create_pool(world.secretary, offer, [world.consortium], terms)
    assert set(raised.value.fields) == {"deadline", "capacity", "delivery_charge_pence"}


def test_minimum_defaults_to_the_offers_minimum_order_quantity(world):
    offer = make_offer(world.supplier, moq=40)
    pool = make_pool(world.secretary, offer, [world.consortium], open_=False)
    assert pool.minimum_quantity == 40


def test_a_secretary_cannot_open_pools_for_another_consortium_or_national_ones(world, offer):
    terms = services.PoolTerms(deadline=utcnow() + timedelta(days=3))
    with pytest.raises(Forbidden):
        services.create_pool(world.secretary, offer, [world.other_consortium], terms)
    with pytest.raises(Forbidden):
        services.create_pool(world.secretary, offer, [world.consortium, world.other_consortium], terms)


def test_admin_opens_a_national_pool_that_members_of_both_consortia_see(client, world, offer):
    sign_in(client, world.admin)
    response = client.post(
        "/pools/new",
        data={
            "offer_id": offer.id,
            "consortium_ids": [world.consortium.id, world.other_consortium.id],
            "deadline": "2099-03-01T17:00",
        },
    )
    assert response.status_code == 302
    pool = db.session.scalar(db.select(Pool))
    assert pool.is_national and pool.consortium_ids == {world.consortium.id, world.other_consortium.id}
    services.open_pool(world.admin, pool)
    db.session.commit()
    client.post("/sign-out")
    sign_in(client, world.member_user)
    assert "National" in client.get("/pools/").get_data(as_text=True)
    assert client.get(f"/pools/{pool.id}").status_code == 200
    with pytest.raises(Forbidden):
        services.cancel_pool(world.secretary, pool, "not mine to cancel")


def test_cancel_keeps_the_reason_and_members_see_it(client, world, pool):
    sign_in(client, world.secretary)
    assert client.post(f"/pools/{pool.id}/cancel", data={"confirmed": "yes", "reason": ""}).status_code == 422
    assert (
        client.post(
            f"/pools/{pool.id}/cancel", data={"confirmed": "yes", "reason": "Supplier out of stock"}
        ).status_code
        == 302
    )
    db.session.refresh(pool)
    assert pool.status is PoolStatus.CANCELLED and pool.cancel_reason == "Supplier out of stock"
    client.post("/sign-out")
    sign_in(client, world.member_user)
    assert "Supplier out of stock" in client.get(f"/pools/{pool.id}").get_data(as_text=True)
    with pytest.raises(Conflict):
        services.cancel_pool(world.secretary, pool, "again")


def test_opening_twice_is_a_conflict(client, world, pool):
    sign_in(client, world.secretary)
    response = client.post(f"/pools/{pool.id}/open")
    assert response.status_code == 409
    assert "Only a draft pool can be opened" in response.get_data(as_text=True)


def test_members_see_only_their_consortiums_pools(client, world, offer):
    ours = make_pool(world.secretary, offer, [world.consortium])
    theirs = make_pool(world.admin, offer, [world.other_consortium])
    sign_in(client, world.member_user)
    assert client.get(f"/pools/{ours.id}").status_code == 200
    assert client.get(f"/pools/{theirs.id}").status_code == 404
    listing = client.get("/pools/").get_data(as_text=True)
    assert f'/pools/{ours.id}"' in listing and f'/pools/{theirs.id}"' not in listing


def test_open_pools_page_filters_by_category_sorts_by_deadline_and_marks_my_pledges(client, world, offer):
    later = make_pool(world.secretary, offer, [world.consortium], deadline=utcnow() + timedelta(days=9))
    sooner = make_pool(world.secretary, offer, [world.consortium], deadline=utcnow() + timedelta(days=2))
    services.pledge(world.member_user, later.id, 5, member_id=world.member.id)
    db.session.commit()
    sign_in(client, world.member_user)
    page = client.get("/pools/?category=stationery&sort=deadline").get_data(as_text=True)
    assert page.index(f'/pools/{sooner.id}"') < page.index(f'/pools/{later.id}"')
    assert page.count("<strong>Pledged</strong>") == 1
    assert "No pools match." in client.get("/pools/?category=utilities").get_data(as_text=True)


def test_pool_page_shows_tier_next_tier_minimum_saving_and_time_left(client, world, offer):
    pool = make_pool(world.secretary, offer, [world.consortium], minimum=20)
    services.pledge(world.member_user, pool.id, 12, member_id=world.member.id)
    db.session.commit()
    sign_in(client, world.member_user)
    page = client.get(f"/pools/{pool.id}").get_data(as_text=True)
    assert "12 box" in page
    assert "£22.00" in page and "£25.00" in page
    assert "12.0%" in page and "£36.00" in page
    assert "£20.00 from 50: 38 more to go" in page
    assert "(60%)" in page
    assert "6 days" in page


@pytest.mark.parametrize("category", ["²", "99999999999999999999"])
def test_a_category_that_only_looks_like_an_id_matches_no_pools(client, world, pool, category):
    sign_in(client, world.member_user)
    response = client.get("/pools/", query_string={"category": category})
    assert response.status_code == 200 and "No pools match." in response.get_data(as_text=True)


def test_a_long_catalogue_is_chosen_from_by_searching_and_any_offer_can_still_be_pooled(
    client, world, offer, monkeypatch
):
    monkeypatch.setattr("kernel.web.PICK_LIMIT", 2)
    for name in ("Banner printing", "Coffee beans", "Zinc roofing"):
        factories.offer(world.supplier, name=name, actor=world.admin)
    db.session.commit()
    sign_in(client, world.secretary)

    form = client.get("/pools/new").get_data(as_text=True)
    assert "The list shows the first 2 active offers" in form
    assert "A4 copier paper" in form and "Banner printing" in form and "Zinc roofing" not in form
    found = client.get("/pools/new?offer_search=zinc").get_data(as_text=True)
    assert (
        "Zinc roofing" in found
        and "Banner printing" not in found
        and "The list shows the active offers matching “zinc”" in found
    )

    zinc = db.session.scalar(db.select(Offer).where(Offer.name == "Zinc roofing"))
    response = client.post(
        "/pools/new",
        data={"offer_id": zinc.id, "consortium_ids": [world.consortium.id], "deadline": "2099-03-01T17:00"},
    )
    assert response.status_code == 302
    assert db.session.scalar(db.select(Pool)).offer_id == zinc.id
