"""Listings, bookings, trade invoices and clearing through the services, on both databases."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from kernel.clock import uk_today
from kernel.errors import Conflict, Forbidden, ValidationFailed
from kernel.extensions import db
from kernel.lifecycle import StatusChange
from tests import factories
from tests.trading.conftest import book, delivered, hours_offer, room, room_offer
from trading import services
from trading.models import (
    Booking,
    BookingStatus,
    ClearingPosition,
    IssuedTradeInvoiceChanged,
    ListingStatus,
    SlotHold,
    TradeInvoice,
    TradeInvoiceStatus,
)


def test_a_room_is_booked_accepted_delivered_and_invoiced_in_the_sellers_own_series(traders):
    listing, slots = room(traders)
    booking = book(traders, listing, slots[:1])
    assert booking.status is BookingStatus.REQUESTED and booking.net_pence == 2500
    delivered(traders, booking)
    assert booking.status is BookingStatus.DELIVERED
    first = services.issue_invoice(traders.seller_user, booking)
    second = services.issue_invoice(traders.seller_user, delivered(traders, book(traders, listing, slots[1:])))
    db.session.commit()
    year = uk_today().year
    assert first.number == f"TAY-M{traders.seller.id}-{year}-0001"
    assert second.number == f"TAY-M{traders.seller.id}-{year}-0002"
    # The seller is not VAT registered: no VAT, whatever the listing's rate.
    assert (first.net_pence, first.vat_pence, first.total_pence) == (2500, 0, 2500)
    assert first.seller_name == traders.seller.name and first.buyer_name == traders.buyer.name
    assert first.buyer_vat_number == "GB123456789"
    assert booking.status is BookingStatus.INVOICED
    first.reference = "changed"
    with pytest.raises(IssuedTradeInvoiceChanged):
        db.session.flush()
    db.session.rollback()


def test_a_vat_registered_seller_charges_the_listings_rate(traders):
    traders.seller.organisation.vat_number = "GB999999973"
    listing, slots = room(traders, member_price=Decimal("33.33"))
    invoice = services.issue_invoice(traders.seller_user, delivered(traders, book(traders, listing, slots)))
    assert (invoice.net_pence, invoice.vat_pence, invoice.total_pence) == (6666, 1333, 7999)
    assert invoice.vat_lines[0].vat_pence == 1333


def test_a_slot_is_booked_once_until_the_booking_is_declined(traders, world):
    listing, slots = room(traders)
    other = factories.member(world.network, "Third Sector Hub")
    other_user = factories.user(None, (factories.Role.MEMBER, other.id))
    booking = book(traders, listing, slots[:1])
    with pytest.raises(Conflict, match="just been booked"):
        services.request_booking(other_user, services.Request(listing.id, other.id, (slots[0].id,)))
    db.session.rollback()
    assert [s.id for s in services.free_slots(listing)] == [slots[1].id]
    services.decline(traders.seller_user, booking, "We need it ourselves")
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(SlotHold)) == 0
    again = services.request_booking(other_user, services.Request(listing.id, other.id, (slots[0].id,)))
    assert again.status is BookingStatus.REQUESTED


def test_the_secretarys_monthly_limit_refuses_one_booking_too_many(traders, world):
    services.save_terms(world.secretary, world.consortium.id, False, 90, 1, False, None)
    listing, slots = room(traders)
    book(traders, listing, slots[:1])
    with pytest.raises(Conflict, match="allows 1 a month"):
        book(traders, listing, slots[1:])


def test_hours_are_booked_up_to_what_the_week_has_left(traders):
    listing = services.create_listing(traders.seller_user, traders.seller.id, hours_offer(hours_available=10))
    monday = uk_today() + timedelta(days=7 - uk_today().weekday())
    request = services.Request(listing.id, traders.buyer.id, hours=8, starts_on=monday)
    booking = services.request_booking(traders.buyer_user, request)
    assert booking.net_pence == 24000 and booking.quantity == 8
    with pytest.raises(Conflict, match="Only 2 hours"):
        services.request_booking(
            traders.buyer_user, services.Request(listing.id, traders.buyer.id, hours=3, starts_on=monday)
        )
    next_week = services.Request(listing.id, traders.buyer.id, hours=3, starts_on=monday + timedelta(days=7))
    assert services.request_booking(traders.buyer_user, next_week).quantity == 3


def test_offers_are_checked(traders):
    with pytest.raises(ValidationFailed) as caught:
        services.create_listing(
            traders.seller_user, traders.seller.id, hours_offer(hours_available=None, cancel_fee_percent=120)
        )
    assert set(caught.value.fields) == {"hours_available", "cancel_fee_percent"}
    with pytest.raises(Forbidden):
        services.create_listing(traders.buyer_user, traders.seller.id, room_offer())


def test_a_listing_needing_approval_is_hidden_until_the_secretary_approves(traders, world):
    services.save_terms(world.secretary, world.consortium.id, True, 90, None, False, None)
    listing = services.create_listing(traders.seller_user, traders.seller.id, room_offer())
    assert listing.status is ListingStatus.AWAITING_APPROVAL
    assert db.session.scalars(services.visible_listings(traders.buyer_user)).all() == []
    with pytest.raises(Forbidden):
        services.approve_listing(traders.seller_user, listing)
    services.approve_listing(world.secretary, listing)
    assert db.session.scalars(services.visible_listings(traders.buyer_user)).all() == [listing]


def test_listings_lapse_unless_renewed(traders):
    listing, _ = room(traders)
    assert services.lapse_listings(listing.lapses_on) == 0
    assert services.lapse_listings(listing.lapses_on + timedelta(days=1)) == 1
    assert listing.status is ListingStatus.LAPSED
    with pytest.raises(Conflict, match="lapsed"):
        book(traders, listing, listing.slots[:1])
    db.session.rollback()
    services.renew_listing(traders.seller_user, listing)
    assert listing.status is ListingStatus.LISTED and listing.lapses_on == uk_today() + timedelta(days=90)


def test_a_buyer_cancelling_late_is_invoiced_the_policys_fee(traders):
    listing, slots = room(traders, days_ahead=1, free_cancel_days=3, cancel_fee_percent=50)
    booking = book(traders, listing, slots[:1])
    services.accept(traders.seller_user, booking)
    assert services.cancellation_fee(booking, True, uk_today()) == 1250
    services.cancel(traders.buyer_user, booking, "Plans changed")
    db.session.commit()
    invoice = db.session.scalars(select(TradeInvoice)).one()
    assert booking.status is BookingStatus.CANCELLED and booking.fee_pence == 1250
    assert invoice.total_pence == 1250 and invoice.lines[0].description.startswith("Cancellation fee")
    assert services.free_slots(listing)[0].id == slots[0].id


def test_a_dispute_is_resolved_by_the_secretary(traders, world):
    listing, slots = room(traders)
    booking = book(traders, listing, slots[:1])
    services.accept(traders.seller_user, booking)
    services.dispute(traders.buyer_user, booking, "The room was double-booked on the day")
    with pytest.raises(Conflict, match="secretary resolves"):
        services.confirm_delivery(traders.seller_user, booking)
    with pytest.raises(Forbidden):
        services.resolve(traders.seller_user, booking, True, "mine")
    services.resolve(world.secretary, booking, False, "Refunded in full")
    assert booking.status is BookingStatus.CANCELLED and booking.fee_pence == 0
    moves = db.session.scalars(select(StatusChange.to_state).where(StatusChange.subject_id == booking.id)).all()
    assert moves == ["confirmed", "disputed", "cancelled"]


def _invoiced_last_month(traders, frozen_clock, world):
    """An invoice each way issued last month: the seller's room (£25) and the buyer's hours (3 x £30)."""
    today = uk_today()
    last_month = today.replace(day=1) - timedelta(days=20)
    frozen_clock.set(datetime.combine(last_month, datetime.min.time(), tzinfo=UTC) + timedelta(hours=10))
    services.save_terms(world.secretary, world.consortium.id, False, 90, None, True, None)
    listing, slots = room(traders, days_ahead=2)
    room_invoice = services.issue_invoice(traders.seller_user, delivered(traders, book(traders, listing, slots[:1])))
    hours = services.create_listing(traders.buyer_user, traders.buyer.id, hours_offer())
    reverse = services.request_booking(
        traders.seller_user, services.Request(hours.id, traders.seller.id, hours=3, starts_on=last_month)
    )
    services.accept(traders.buyer_user, reverse)
    services.confirm_delivery(traders.buyer_user, reverse)
    services.confirm_delivery(traders.seller_user, reverse)
    hours_invoice = services.issue_invoice(traders.buyer_user, reverse)
    db.session.commit()
    frozen_clock.set(datetime.combine(today, datetime.min.time(), tzinfo=UTC) + timedelta(hours=10))
    return last_month, room_invoice, hours_invoice


def test_clearing_nets_a_month_both_ways_and_settles_every_invoice_by_its_number(traders, frozen_clock, world):
    month, room_invoice, hours_invoice = _invoiced_last_month(traders, frozen_clock, world)
    assert hours_invoice.total_pence == 9000 + 1800  # the buyer is VAT registered
    run = services.clear_month(world.secretary, world.consortium.id, month)
    db.session.commit()
    assert (run.number, run.invoice_count, run.cleared_pence) == (1, 2, 2500 + 10800)
    positions = {p.member_id: p for p in db.session.scalars(select(ClearingPosition))}
    assert positions[traders.seller.id].net_pence == 2500 - 10800
    assert positions[traders.buyer.id].net_pence == 10800 - 2500
    assert sum(p.net_pence for p in positions.values()) == 0
    for invoice in (room_invoice, hours_invoice):
        db.session.refresh(invoice)
        assert invoice.status is TradeInvoiceStatus.SETTLED and invoice.clearing_run_id == run.id
    assert set(db.session.scalars(select(Booking.status))) == {BookingStatus.SETTLED}
    with pytest.raises(Conflict, match="already cleared"):
        services.clear_month(world.secretary, world.consortium.id, month)
    db.session.rollback()
    assert services.run_positions(traders.buyer_user, run) == [positions[traders.buyer.id]]


def test_clearing_is_for_ended_months_of_consortia_that_clear(traders, world):
    with pytest.raises(Conflict, match="does not clear"):
        services.clear_month(world.secretary, world.consortium.id, uk_today())
    services.save_terms(world.secretary, world.consortium.id, False, 90, None, True, None)
    with pytest.raises(ValidationFailed, match="ended"):
        services.clear_month(world.secretary, world.consortium.id, uk_today())
    with pytest.raises(Forbidden):
        services.clear_month(traders.seller_user, world.consortium.id, uk_today())


def test_a_member_over_its_clearing_limit_books_only_paying_directly(traders, world):
    services.save_terms(world.secretary, world.consortium.id, False, 90, None, True, 3000)
    listing, slots = room(traders, count=3)
    services.issue_invoice(traders.seller_user, delivered(traders, book(traders, listing, slots[:1])))
    with pytest.raises(Conflict, match="over its clearing limit"):
        book(traders, listing, slots[1:2])
    db.session.rollback()
    direct = book(traders, listing, slots[1:2], pay_directly=True)
    invoice = services.issue_invoice(traders.seller_user, delivered(traders, direct))
    assert invoice.pay_directly
    services.record_direct_payment(traders.seller_user, invoice)
    assert invoice.status is TradeInvoiceStatus.SETTLED and direct.status is BookingStatus.SETTLED
