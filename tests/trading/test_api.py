"""Trading over the JSON API: a room from listing to cleared invoice, errors in the API's format, and one slot
requested by 50 members at once."""

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from threading import Barrier

from sqlalchemy import func, select

from kernel.clock import uk_today
from kernel.extensions import db
from organisations.models import Role
from tests import factories
from tests.factories import api_token
from tests.trading.conftest import slot_times
from trading.models import Booking, BookingStatus, SlotHold

ROOM = {
    "kind": "room",
    "title": "Meeting room for 8",
    "description": "A bright room with a screen.\nTea and coffee.",
    "member_price": "25.00",
    "free_cancel_days": 3,
    "cancel_fee_percent": 50,
}


def _iso(pairs):
    return [{"starts_at": a.isoformat(), "ends_at": b.isoformat()} for a, b in pairs]


def _listed_room(client, traders, count=2):
    seller = api_token(traders.seller_user)
    made = client.post("/api/v1/trading/listings", headers=seller, json=ROOM | {"member_id": traders.seller.id})
    assert made.status_code == 201, made.json
    listing = made.json
    slots = client.post(
        f"/api/v1/trading/listings/{listing['id']}/slots", headers=seller, json={"slots": _iso(slot_times(10, count))}
    )
    assert slots.status_code == 201, slots.json
    return listing, [s["id"] for s in slots.json["items"]], seller


def test_a_room_is_listed_booked_delivered_and_invoiced_over_the_api(client, traders):
    listing, slot_ids, seller = _listed_room(client, traders)
    buyer = api_token(traders.buyer_user)
    assert listing["status"] == "listed" and listing["unit"] == "slot" and listing["member_price"] == "25.0000"
    found = client.get("/api/v1/trading/listings?q=meeting&per_page=1", headers=buyer).json
    assert (found["total"], found["per_page"], found["items"][0]["id"]) == (1, 1, listing["id"])
    detail = client.get(f"/api/v1/trading/listings/{listing['id']}", headers=buyer).json
    assert [s["id"] for s in detail["free_slots"]] == slot_ids

    body = {"listing_id": listing["id"], "buyer_id": traders.buyer.id, "slot_ids": slot_ids[:1]}
    booking = client.post("/api/v1/trading/bookings", headers=buyer, json=body)
    assert booking.status_code == 201 and booking.json["net_pence"] == 2500
    again = client.post("/api/v1/trading/bookings", headers=buyer, json=body)
    assert again.status_code == 409 and "just been booked" in again.json["error"]["message"]
    url = f"/api/v1/trading/bookings/{booking.json['id']}"
    assert client.post(f"{url}/accept", headers=buyer).status_code == 403
    assert client.post(f"{url}/accept", headers=seller).json["status"] == "confirmed"
    assert client.post(f"{url}/delivered", headers=buyer).json["status"] == "confirmed"
    assert client.post(f"{url}/delivered", headers=seller).json["status"] == "delivered"
    invoice = client.post(f"{url}/invoice", headers=seller)
    assert invoice.status_code == 201
    assert invoice.json["total_pence"] == 2500 and invoice.json["number"].startswith(f"TAY-M{traders.seller.id}-")
    mine = client.get("/api/v1/trading/invoices", headers=buyer).json
    assert [i["number"] for i in mine["items"]] == [invoice.json["number"]] and mine["total"] == 1
    assert client.post(f"{url}/invoice", headers=seller).status_code == 409


def test_bad_input_is_answered_with_field_messages(client, traders, world):
    seller = api_token(traders.seller_user)
    bad = client.post(
        "/api/v1/trading/listings",
        headers=seller,
        json=ROOM | {"member_id": traders.seller.id, "kind": "staff_time", "member_price": "-1"},
    )
    assert bad.status_code == 422 and "member_price" in bad.json["error"]["fields"]
    hours = client.post(
        "/api/v1/trading/listings", headers=seller, json=ROOM | {"member_id": traders.seller.id, "kind": "workshop"}
    )
    assert hours.status_code == 422 and "hours_available" in hours.json["error"]["fields"]
    other = api_token(factories.user(None, (Role.MEMBER, world.other_member.id)))
    listing, slot_ids, _ = _listed_room(client, traders)
    body = {"listing_id": listing["id"], "buyer_id": world.other_member.id, "slot_ids": slot_ids}
    assert client.post("/api/v1/trading/bookings", headers=other, json=body).status_code == 404


def test_the_secretary_sets_terms_and_clears_over_the_api(client, traders, world):
    secretary = api_token(world.secretary)
    url = f"/api/v1/trading/terms/{world.consortium.id}"
    assert client.get(url, headers=secretary).json["clearing"] is False
    terms = {
        "approval_required": False,
        "listing_days": 60,
        "monthly_limit": 2,
        "clearing": True,
        "net_debit_limit_pence": 50000,
    }
    assert client.put(url, headers=secretary, json=terms).json == terms | {"consortium_id": world.consortium.id}
    last_month = (uk_today().replace(day=1) - timedelta(days=1)).isoformat()
    nothing = client.post(
        "/api/v1/trading/clearings", headers=secretary, json={"consortium_id": world.consortium.id, "month": last_month}
    )
    assert nothing.status_code == 409 and "No trade invoices" in nothing.json["error"]["message"]


def test_fifty_members_asking_for_one_slot_at_once_get_it_once(app, traders, world):
    client = app.test_client()
    listing, slot_ids, seller = _listed_room(client, traders, count=1)
    requesters = []
    for n in range(50):
        member = factories.member(world.network, f"Keen Member {n}")
        requesters.append((member.id, api_token(factories.user(None, (Role.MEMBER, member.id)))))
    db.session.commit()
    barrier = Barrier(len(requesters))

    def request(requester):
        member_id, headers = requester
        own_client = app.test_client()
        barrier.wait(timeout=30)
        body = {"listing_id": listing["id"], "buyer_id": member_id, "slot_ids": slot_ids}
        return own_client.post("/api/v1/trading/bookings", headers=headers, json=body).status_code

    with ThreadPoolExecutor(max_workers=len(requesters)) as executor:
        statuses = list(executor.map(request, requesters))
    assert sorted(statuses) == [201] + [409] * 49
    db.session.expire_all()
    booking = db.session.scalars(select(Booking)).one()
    assert client.post(f"/api/v1/trading/bookings/{booking.id}/accept", headers=seller).status_code == 200
    confirmed = select(func.count()).select_from(Booking).where(Booking.status == BookingStatus.CONFIRMED)
    assert db.session.scalar(confirmed) == 1
    assert db.session.scalar(select(func.count()).select_from(SlotHold)) == 1
