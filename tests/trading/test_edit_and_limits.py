"""A member edits its listing (an approved one goes back for approval where the consortium approves listings);
the secretary sets a member's own clearing limit, over which it books only by paying directly."""

from decimal import Decimal

import pytest

from kernel.errors import Conflict, ValidationFailed
from kernel.extensions import db
from tests import factories
from tests.factories import api_token, field_error, sign_in
from tests.trading.conftest import book, delivered, hours_offer, room, room_offer
from trading import services, views
from trading.models import BookingStatus, ListingStatus, TradingLimit

EDIT = {
    "title": "Large meeting room",
    "description": "Now with a projector.",
    "member_price": "30.00",
    "vat_rate": "standard",
    "hours_period": "week",
    "free_cancel_days": "3",
    "cancel_fee_percent": "25",
}


def test_an_edit_changes_the_listing_but_not_the_bookings_already_made(traders):
    listing, slots = room(traders)
    booking = book(traders, listing, slots[:1])
    services.edit_listing(traders.seller_user, listing, room_offer(title="Large room", member_price=Decimal("40")))
    db.session.commit()
    assert (listing.title, listing.member_price, listing.status) == ("Large room", Decimal("40"), ListingStatus.LISTED)
    assert (booking.unit_price, booking.net_pence) == (Decimal("25"), 2500)
    with pytest.raises(ValidationFailed) as refused:
        services.edit_listing(traders.seller_user, listing, hours_offer())
    assert "kind" in refused.value.fields
    with pytest.raises(Exception, match="Only the listing's member"):
        services.edit_listing(traders.buyer_user, listing, room_offer())


def test_under_approval_an_edited_listing_waits_for_the_secretary_again(traders, world):
    services.save_terms(world.secretary, world.consortium.id, True, 90, None, False, None)
    listing = services.create_listing(traders.seller_user, traders.seller.id, room_offer())
    services.approve_listing(world.secretary, listing)
    db.session.commit()
    services.edit_listing(traders.seller_user, listing, room_offer(title="Room with a view"))
    db.session.commit()
    assert listing.status is ListingStatus.AWAITING_APPROVAL
    assert [c.to_state for c in services.LISTING_LIFECYCLE.history(listing.id)][-1] == "awaiting approval"
    with pytest.raises(Exception, match="No such listing"):
        services.listing_for(traders.buyer_user, listing.id)
    services.approve_listing(world.secretary, listing)
    assert services.listing_for(traders.buyer_user, listing.id).title == "Room with a view"


def test_the_edit_page_and_the_api(app, client, traders):
    listing, _ = room(traders)
    seller = app.test_client()
    sign_in(seller, traders.seller_user)
    page = seller.get(f"/trading/listings/{listing.id}/edit").get_data(as_text=True)
    assert 'value="Meeting room for 8"' in page
    bad = seller.post(f"/trading/listings/{listing.id}/edit", data=EDIT | {"title": ""})
    assert bad.status_code == 422 and field_error(bad, "title")
    saved = seller.post(f"/trading/listings/{listing.id}/edit", data=EDIT)
    assert saved.status_code == 302
    db.session.expire_all()
    assert (listing.title, listing.cancel_fee_percent) == ("Large meeting room", 25)
    buyer = app.test_client()
    sign_in(buyer, traders.buyer_user)
    assert buyer.get(f"/trading/listings/{listing.id}/edit").status_code == 403
    body = {"title": "API room", "description": "Edited over the API.", "member_price": "12.50"}
    put = client.put(f"/api/v1/trading/listings/{listing.id}", headers=api_token(traders.seller_user), json=body)
    assert put.status_code == 200 and (put.json["title"], put.json["member_price"]) == ("API room", "12.5000")
    wrong = client.put(f"/api/v1/trading/listings/{listing.id}", headers=api_token(traders.buyer_user), json=body)
    assert wrong.status_code == 403
    invalid = client.put(
        f"/api/v1/trading/listings/{listing.id}", headers=api_token(traders.seller_user), json=body | {"title": ""}
    )
    assert invalid.status_code == 422 and "title" in invalid.json["error"]["fields"]


def _invoiced(traders, listing, slots):
    booking = delivered(traders, book(traders, listing, slots))
    services.issue_invoice(traders.seller_user, booking)
    db.session.commit()
    return booking


def test_a_member_s_own_limit_stands_in_for_the_consortium_s(traders, world):
    services.save_terms(world.secretary, world.consortium.id, False, 90, None, True, 100_000)
    listing, slots = room(traders, count=4)
    _invoiced(traders, listing, slots[:2])  # the buyer owes £50.00 (the seller charges no VAT)
    assert services.standing(traders.buyer).debit_pence == 5000
    services.set_member_limit(world.secretary, traders.buyer.id, 7000)
    db.session.commit()
    standing = services.standing(traders.buyer)
    assert (standing.limit_pence, standing.own_limit, standing.headroom_pence) == (7000, True, 2000)
    with pytest.raises(Conflict, match=r"over its clearing limit of £70\.00"):
        book(traders, listing, slots[2:3])
    db.session.rollback()
    paid_directly = book(traders, listing, slots[2:3], pay_directly=True)
    assert paid_directly.status is BookingStatus.REQUESTED and paid_directly.pay_directly
    services.set_member_limit(world.secretary, traders.buyer.id, None)
    db.session.commit()
    assert db.session.get(TradingLimit, traders.buyer.id) is None
    assert book(traders, listing, slots[3:4]).status is BookingStatus.REQUESTED  # back on the consortium's £1,000
    with pytest.raises(Exception, match="No such member"):
        services.set_member_limit(world.secretary, world.other_member.id, 0)


def test_the_booking_form_says_when_only_paying_directly_is_left(app, traders, world):
    services.save_terms(world.secretary, world.consortium.id, False, 90, None, True, 0)
    listing, slots = room(traders)
    buyer = app.test_client()
    sign_in(buyer, traders.buyer_user)
    page = buyer.get(f"/trading/listings/{listing.id}").get_data(as_text=True)
    assert "can book only by paying the seller directly" in page
    refused = buyer.post(
        f"/trading/listings/{listing.id}/book", data={"buyer_id": traders.buyer.id, "slot_ids": [slots[0].id]}
    )
    assert refused.status_code == 409 and "pay the seller directly" in refused.get_data(as_text=True)
    booked = buyer.post(
        f"/trading/listings/{listing.id}/book",
        data={"buyer_id": traders.buyer.id, "slot_ids": [slots[0].id], "pay_directly": "y"},
    )
    assert booked.status_code == 302


def test_the_limits_page_and_api(app, client, traders, world):
    services.save_terms(world.secretary, world.consortium.id, False, 90, None, True, 50_000)
    secretary = app.test_client()
    sign_in(secretary, world.secretary)
    page = secretary.get(f"/trading/limits/{world.consortium.id}").get_data(as_text=True)
    assert traders.buyer.name in page and "£500.00" in page
    bad = secretary.post(f"/trading/limits/{world.consortium.id}", data={"member_id": traders.buyer.id, "limit": "-1"})
    assert bad.status_code == 422 and field_error(bad, "limit")
    saved = secretary.post(
        f"/trading/limits/{world.consortium.id}", data={"member_id": traders.buyer.id, "limit": "1234.56"}
    )
    assert saved.status_code == 302
    assert db.session.get(TradingLimit, traders.buyer.id).limit_pence == 123456
    headers = api_token(world.secretary)
    listed = client.get(f"/api/v1/trading/limits/{world.consortium.id}", headers=headers).json
    assert listed["total"] == len(listed["items"]) and listed["page"] == 1
    mine = next(item for item in listed["items"] if item["member_id"] == traders.buyer.id)
    assert (mine["limit_pence"], mine["own_limit"], mine["debit_pence"]) == (123456, True, 0)
    put = client.put(f"/api/v1/trading/members/{traders.buyer.id}/limit", headers=headers, json={"limit_pence": None})
    assert put.status_code == 200 and (put.json["limit_pence"], put.json["own_limit"]) == (50_000, False)
    bad_put = client.put(f"/api/v1/trading/members/{traders.buyer.id}/limit", headers=headers, json={"limit_pence": -5})
    assert bad_put.status_code == 422
    theirs = client.put(f"/api/v1/trading/members/{world.other_member.id}/limit", headers=headers, json={})
    assert theirs.status_code == 404


def test_the_limits_page_pages_the_members_and_finds_one_to_set(app, client, traders, world, monkeypatch):
    """A consortium of thousands: a page of members at a time, and the member to set found by name."""
    monkeypatch.setattr(views, "PER_PAGE", 1)
    monkeypatch.setattr("kernel.web.PICK_LIMIT", 1)
    services.save_terms(world.secretary, world.consortium.id, False, 90, None, True, 50_000)
    for _ in range(2):
        factories.member(world.network)
    db.session.commit()
    members = db.session.scalars(services.consortium_members(world.secretary, world.consortium.id)).all()
    assert len(members) == 4
    secretary = app.test_client()
    sign_in(secretary, world.secretary)
    url = f"/trading/limits/{world.consortium.id}"
    first, second = (secretary.get(f"{url}?page={n}").get_data(as_text=True) for n in (1, 2))
    assert f"{len(members):,} members, by name; page 1 of {len(members)}" in first
    assert f"<td>{members[0].name}</td>" in first and f"<td>{members[1].name}</td>" not in first
    assert f"<td>{members[1].name}</td>" in second and "Find a member" in second
    found = secretary.get(f"{url}?member_search={members[-1].name}").get_data(as_text=True)
    assert f'<option value="{members[-1].id}">' in found and f'<option value="{members[0].id}">' not in found
    last = members[-1]
    saved = secretary.post(url, data={"member_id": last.id, "limit": "10.00"})  # not among the first shown
    assert saved.status_code == 302 and db.session.get(TradingLimit, last.id).limit_pence == 1000
    headers = api_token(world.secretary)
    paged = client.get(f"/api/v1/trading/limits/{world.consortium.id}?per_page=1&page=2", headers=headers).json
    assert [item["member_id"] for item in paged["items"]] == [members[1].id] and paged["total"] == len(members)
