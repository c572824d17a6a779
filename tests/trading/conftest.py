"""Trading fixtures: two members of one Tayside network who trade with each other, and a slot-booked room."""

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal

import pytest

from kernel.clock import uk_today
from kernel.extensions import db
from organisations.models import Member, Role, User
from tests import factories
from trading import services
from trading.models import HoursPeriod, Listing, ListingKind, ListingSlot


@dataclass
class Traders:
    seller: Member
    buyer: Member
    seller_user: User
    buyer_user: User


@pytest.fixture
def traders(world) -> Traders:
    """The world's member sells (its user is member@); a second Tayside member buys."""
    buyer = factories.member(world.network, "Dundee Bike Works CIC", vat_number="GB123456789")
    buyer_user = factories.user("buyer@example.org", (Role.MEMBER, buyer.id), name="Bea Buyer")
    db.session.commit()
    return Traders(world.member, buyer, world.member_user, buyer_user)


def room_offer(**changes) -> services.Offer:
    return services.Offer(
        kind=ListingKind.ROOM,
        title=changes.pop("title", "Meeting room for 8"),
        description="A bright room with a screen, tea and coffee.",
        member_price=changes.pop("member_price", Decimal("25.00")),
        **changes,
    )


def hours_offer(**changes) -> services.Offer:
    return services.Offer(
        kind=ListingKind.STAFF_TIME,
        title="Bookkeeper's hours",
        description="Our bookkeeper has spare hours each week.",
        member_price=Decimal("30.00"),
        skill="Bookkeeping",
        hours_available=changes.pop("hours_available", 10),
        hours_period=HoursPeriod.WEEK,
        **changes,
    )


def slot_times(days_ahead: int, count: int = 1) -> list[tuple[datetime, datetime]]:
    day = uk_today() + timedelta(days=days_ahead)
    first = datetime.combine(day, time(9, 0), tzinfo=UTC)
    return [(first + timedelta(hours=2 * n), first + timedelta(hours=2 * n + 2)) for n in range(count)]


def room(traders: Traders, days_ahead: int = 10, count: int = 2, **changes) -> tuple[Listing, list[ListingSlot]]:
    listing = services.create_listing(traders.seller_user, traders.seller.id, room_offer(**changes))
    slots = services.add_slots(traders.seller_user, listing, slot_times(days_ahead, count))
    db.session.commit()
    return listing, slots


def book(traders: Traders, listing: Listing, slots: list[ListingSlot], **changes):
    request = services.Request(listing.id, traders.buyer.id, tuple(s.id for s in slots), **changes)
    booking = services.request_booking(traders.buyer_user, request)
    db.session.commit()
    return booking


def delivered(traders: Traders, booking):
    services.accept(traders.seller_user, booking)
    services.confirm_delivery(traders.buyer_user, booking)
    services.confirm_delivery(traders.seller_user, booking)
    db.session.commit()
    return booking
