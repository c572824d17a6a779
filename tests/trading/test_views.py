"""Trading in the browser's pages: list a room, add a slot, book it, accept, confirm, invoice; the secretary's
terms and clearing; form errors shown beside their fields."""

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from kernel.clock import uk_today
from kernel.extensions import db
from tests.factories import field_error, sign_in
from tests.trading.conftest import book, delivered, room
from trading import services
from trading.models import Booking, BookingStatus, Listing, TradeInvoice

LISTING = {
    "kind": "room",
    "title": "Meeting room for 8",
    "description": "A bright room with a screen.",
    "member_price": "25.00",
    "vat_rate": "standard",
    "hours_period": "week",
    "free_cancel_days": "2",
    "cancel_fee_percent": "0",
}


def test_a_member_lists_a_room_and_another_books_it_through_the_pages(app, traders):
    seller, buyer = app.test_client(), app.test_client()
    sign_in(seller, traders.seller_user)
    sign_in(buyer, traders.buyer_user)
    made = seller.post("/trading/listings/new", data=LISTING | {"member_id": traders.seller.id})
    assert made.status_code == 302
    listing = db.session.scalars(select(Listing)).one()
    day = (uk_today() + timedelta(days=9)).isoformat()
    slot = seller.post(f"/trading/listings/{listing.id}/slots", data={"day": day, "starts": "09:00", "ends": "11:00"})
    assert slot.status_code == 302
    page = buyer.get(f"/trading/listings/{listing.id}").get_data(as_text=True)
    assert "Meeting room for 8" in page and "£25.00 per slot" in page and "09:00 to 11:00" in page
    slot_id = listing.slots[0].id
    booked = buyer.post(
        f"/trading/listings/{listing.id}/book", data={"buyer_id": traders.buyer.id, "slot_ids": [slot_id]}
    )
    assert booked.status_code == 302
    booking = db.session.scalars(select(Booking)).one()
    url = f"/trading/bookings/{booking.id}"
    assert "Accept the booking" in seller.get(url).get_data(as_text=True)
    assert "Accept the booking" not in buyer.get(url).get_data(as_text=True)
    seller.post(f"{url}/accept")
    buyer.post(f"{url}/delivered")
    seller.post(f"{url}/delivered")
    seller.post(f"{url}/invoice")
    db.session.expire_all()
    assert booking.status is BookingStatus.INVOICED
    invoice = db.session.scalars(select(TradeInvoice)).one()
    shown = buyer.get(f"/trading/invoices/{invoice.id}").get_data(as_text=True)
    assert invoice.number in shown and "£25.00" in shown and traders.seller.name in shown
    assert invoice.number in buyer.get("/trading/invoices").get_data(as_text=True)


def test_form_errors_are_shown_beside_their_fields(app, traders):
    client = app.test_client()
    sign_in(client, traders.seller_user)
    bad = client.post(
        "/trading/listings/new", data=LISTING | {"member_id": traders.seller.id, "kind": "staff_time", "title": ""}
    )
    assert bad.status_code == 422 and field_error(bad, "title")
    hours = client.post("/trading/listings/new", data=LISTING | {"member_id": traders.seller.id, "kind": "workshop"})
    assert hours.status_code == 422 and "hours" in field_error(hours, "hours_available")
    listing, slots = room(traders)
    book(traders, listing, slots[:1])
    buyer = app.test_client()
    sign_in(buyer, traders.buyer_user)
    taken = buyer.post(
        f"/trading/listings/{listing.id}/book", data={"buyer_id": traders.buyer.id, "slot_ids": [slots[0].id]}
    )
    assert taken.status_code in (409, 422)
    again = buyer.post(f"/trading/listings/{listing.id}/book", data={"buyer_id": traders.buyer.id})
    assert again.status_code == 422 and "Choose at least one slot" in again.get_data(as_text=True)


def test_the_secretary_switches_clearing_on_and_clears_last_month(app, traders, world, frozen_clock):
    today = uk_today()
    last_month = today.replace(day=1) - timedelta(days=10)
    frozen_clock.set(datetime.combine(last_month, datetime.min.time(), tzinfo=UTC) + timedelta(hours=9))
    listing, slots = room(traders, days_ahead=1)
    services.issue_invoice(traders.seller_user, delivered(traders, book(traders, listing, slots[:1])))
    db.session.commit()
    frozen_clock.set(datetime.combine(today, datetime.min.time(), tzinfo=UTC) + timedelta(hours=9))
    client = app.test_client()
    sign_in(client, world.secretary)
    terms = {"listing_days": "90", "clearing": "y", "monthly_limit": "", "net_debit_limit": ""}
    assert client.post(f"/trading/terms/{world.consortium.id}", data=terms).status_code == 302
    url = f"/trading/clearings/run/{world.consortium.id}"
    month = last_month.replace(day=1).isoformat()
    preview = client.post(url, data={"month": month, "preview": "1"}).get_data(as_text=True)
    assert "-£25.00" in preview and traders.buyer.name in preview
    ran = client.post(url, data={"month": month, "run": "1"})
    assert ran.status_code == 302
    statement = client.get(ran.location).get_data(as_text=True)
    assert "clearing 1" in statement and "Pays in £25.00" in statement and "Receives £25.00" in statement
    buyer = app.test_client()
    sign_in(buyer, traders.buyer_user)
    invoice = db.session.scalars(select(TradeInvoice)).one()
    assert "Settled by" in buyer.get(f"/trading/invoices/{invoice.id}").get_data(as_text=True)
