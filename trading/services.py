"""Trading among members: the only place that changes listings, bookings, trade invoices and clearings.

Services take the acting user, check what that user may do, change the models and flush; the
request (or the CLI command) commits. A booking request locks its listing's row first, so two
requests for one listing queue: the fairness limit and the hours left are counted with no one
else booking at the same moment, and the slot holds' primary key refuses a slot taken twice.
"""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import Integer, Select, and_, delete, func, insert, literal, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from catalogue.models import VatRate
from kernel.clock import uk_today, utcnow
from kernel.errors import Conflict, Forbidden, NotFound, ValidationFailed
from kernel.extensions import UTCDateTime, db
from kernel.formatting import pounds, uk_date
from kernel.lifecycle import Lifecycle, StatusChange, Who, move
from kernel.money import line_pence, quantize_price, vat_pence
from kernel.numbering import next_values
from orders.invoice_plan import LineKind
from organisations import outbox
from organisations.access import can_act_for_consortium
from organisations.models import Consortium, Member, Network, Organisation, User
from trading import netting, photos, policy
from trading.models import (
    Booking,
    BookingStatus,
    ClearingPosition,
    ClearingRun,
    HoursPeriod,
    Listing,
    ListingKind,
    ListingPhoto,
    ListingSlot,
    ListingStatus,
    SlotHold,
    TradeInvoice,
    TradeInvoiceLine,
    TradeInvoiceStatus,
    TradeInvoiceVat,
    TradingLimit,
    TradingTerms,
)

TITLE_MAX = 120
DESCRIPTION_MAX = 4000
NOTE_MAX = 500
SLOTS_MAX = 50
HOURS_MAX = 1000
ALT_MAX = 200
LIMIT_MAX_PENCE = 10**11
# Outbox events of bookings and trade invoices: each names who hears of it (trading.messages).
REQUESTED_KIND = "booking_requested"
ANSWERED_KIND = "booking_answered"
DELIVERY_KIND = "booking_delivery"
INVOICED_KIND = "trade_invoice_issued"
LIVE = (
    BookingStatus.REQUESTED,
    BookingStatus.CONFIRMED,
    BookingStatus.DISPUTED,
    BookingStatus.DELIVERED,
    BookingStatus.INVOICED,
    BookingStatus.SETTLED,
)


# Who may do what


def _member_of(user: User, member_id: int) -> Member:
    member = db.session.get(Member, member_id)
    if member is None or not (user.is_admin or member_id in user.member_ids):
        raise Forbidden("You do not act for that member.")
    return member


def _has_stake(user: User, booking: Booking) -> bool:
    return (
        user.is_admin
        or bool({booking.buyer_id, booking.seller_id} & user.member_ids)
        or booking.consortium_id in user.secretary_consortium_ids
    )


def runs_consortium(user: User, consortium_id: int) -> bool:
    return can_act_for_consortium(user, consortium_id)


LISTING_LIFECYCLE: Lifecycle[ListingStatus] = Lifecycle(
    "listing",
    "listing",
    [
        move(ListingStatus.AWAITING_APPROVAL, ListingStatus.LISTED, "approved", Who.RUNNER),
        move(ListingStatus.LAPSED, ListingStatus.LISTED, "renewed", Who.RUNNER),
        move(ListingStatus.LISTED, ListingStatus.LAPSED, "lapsed", Who.SYSTEM),
        move(ListingStatus.LISTED, ListingStatus.AWAITING_APPROVAL, "edited", Who.RUNNER),
        move(
            (ListingStatus.AWAITING_APPROVAL, ListingStatus.LISTED, ListingStatus.LAPSED),
            ListingStatus.WITHDRAWN,
            "withdrawn",
            Who.RUNNER,
        ),
    ],
    runs=lambda user, listing: (
        user.is_admin or listing.member_id in user.member_ids or listing.consortium_id in user.secretary_consortium_ids
    ),
)

BOOKING_LIFECYCLE: Lifecycle[BookingStatus] = Lifecycle(
    "booking",
    "booking",
    [
        move(BookingStatus.REQUESTED, BookingStatus.CONFIRMED, "accepted", Who.RUNNER),
        move(BookingStatus.REQUESTED, BookingStatus.DECLINED, "declined", Who.RUNNER),
        move(BookingStatus.CONFIRMED, BookingStatus.DISPUTED, "disputed", Who.RUNNER, needs_reason=True),
        move((BookingStatus.CONFIRMED, BookingStatus.DISPUTED), BookingStatus.DELIVERED, "delivered", Who.RUNNER),
        move(
            (BookingStatus.REQUESTED, BookingStatus.CONFIRMED, BookingStatus.DISPUTED),
            BookingStatus.CANCELLED,
            "cancelled",
            Who.RUNNER,
        ),
        move(BookingStatus.DELIVERED, BookingStatus.INVOICED, "invoiced", Who.RUNNER),
        move(BookingStatus.INVOICED, BookingStatus.SETTLED, "settled", Who.RUNNER, Who.SYSTEM),
    ],
    runs=_has_stake,
)


# Consortium terms


def terms_for(consortium_id: int) -> TradingTerms:
    """The consortium's trading terms, or the defaults (not saved) when its secretary has set none."""
    found = db.session.get(TradingTerms, consortium_id)
    return found or TradingTerms(
        consortium_id=consortium_id,
        approval_required=False,
        listing_days=90,
        monthly_limit=None,
        clearing=False,
        net_debit_limit_pence=None,
    )


def save_terms(
    user: User,
    consortium_id: int,
    approval_required: bool,
    listing_days: int,
    monthly_limit: int | None,
    clearing: bool,
    net_debit_limit_pence: int | None,
) -> TradingTerms:
    if db.session.get(Consortium, consortium_id) is None:
        raise NotFound("No such consortium.")
    if not runs_consortium(user, consortium_id):
        raise Forbidden("Only the consortium's secretary sets its trading terms.")
    if not 1 <= listing_days <= 730:
        raise ValidationFailed.field("listing_days", "Listings last between 1 and 730 days before renewal.")
    if monthly_limit is not None and not 1 <= monthly_limit <= 1000:
        raise ValidationFailed.field("monthly_limit", "Allow between 1 and 1,000 bookings a month, or leave it empty.")
    if net_debit_limit_pence is not None and net_debit_limit_pence < 0:
        raise ValidationFailed.field("net_debit_limit_pence", "A limit is never negative.")
    terms = db.session.get(TradingTerms, consortium_id) or TradingTerms(consortium_id=consortium_id)
    terms.approval_required = approval_required
    terms.listing_days = listing_days
    terms.monthly_limit = monthly_limit
    terms.clearing = clearing
    terms.net_debit_limit_pence = net_debit_limit_pence
    db.session.add(terms)
    db.session.flush()
    return terms


# Listings


@dataclass(frozen=True)
class Offer:
    """What a member offers in a listing, as typed on the form or sent to the API."""

    kind: ListingKind
    title: str
    description: str
    member_price: Decimal
    public_price: Decimal | None = None
    vat_rate: VatRate = VatRate.STANDARD
    skill: str | None = None
    hours_available: int | None = None
    hours_period: HoursPeriod | None = None
    free_cancel_days: int = 2
    cancel_fee_percent: int = 0


def _check_offer(offer: Offer) -> None:
    problems: dict[str, list[str]] = {}
    if not offer.title.strip() or len(offer.title) > TITLE_MAX:
        problems["title"] = [f"Give the listing a title of up to {TITLE_MAX} characters."]
    if not offer.description.strip() or len(offer.description) > DESCRIPTION_MAX:
        problems["description"] = [f"Describe what you offer in up to {DESCRIPTION_MAX:,} characters."]
    for name, value in (("member_price", offer.member_price), ("public_price", offer.public_price)):
        if value is not None and not Decimal(0) <= value < Decimal(100_000_000):
            problems[name] = ["A price is £0 (free) or more, below £100,000,000."]
    if not 0 <= offer.cancel_fee_percent <= 100:
        problems["cancel_fee_percent"] = ["The cancellation fee is between 0% and 100%."]
    if not 0 <= offer.free_cancel_days <= 365:
        problems["free_cancel_days"] = ["Free cancellation ends between 0 and 365 days before."]
    if not offer.kind.by_slot and (
        offer.hours_available is None or offer.hours_period is None or not 1 <= offer.hours_available <= HOURS_MAX
    ):
        problems["hours_available"] = [f"Say how many hours (1 to {HOURS_MAX:,}) a week or a month you can offer."]
    if offer.kind is ListingKind.STAFF_TIME and not (offer.skill or "").strip():
        problems["skill"] = ["Name the skill the staff time brings."]
    if problems:
        raise ValidationFailed("Check the listing's details.", problems)


def create_listing(user: User, member_id: int, offer: Offer) -> Listing:
    member = _member_of(user, member_id)
    _check_offer(offer)
    terms = terms_for(member.consortium_id)
    listing = Listing(
        member_id=member.id,
        consortium_id=member.consortium_id,
        kind=offer.kind,
        title=offer.title.strip(),
        description=offer.description.strip(),
        skill=(offer.skill or "").strip() or None,
        member_price=quantize_price(offer.member_price),
        public_price=None if offer.public_price is None else quantize_price(offer.public_price),
        vat_rate=offer.vat_rate,
        hours_available=None if offer.kind.by_slot else offer.hours_available,
        hours_period=None if offer.kind.by_slot else offer.hours_period,
        free_cancel_days=offer.free_cancel_days,
        cancel_fee_percent=offer.cancel_fee_percent,
        status=ListingStatus.AWAITING_APPROVAL if terms.approval_required else ListingStatus.LISTED,
        lapses_on=uk_today() + timedelta(days=terms.listing_days),
        created_by_id=user.id,
    )
    db.session.add(listing)
    db.session.flush()
    return listing


def edit_listing(user: User, listing: Listing, offer: Offer) -> Listing:
    """The member's new wording, price, hours and policy for its listing; its kind stays (slots or hours).

    Bookings already made keep the description and price they were made at. Where the consortium approves
    listings, an edit of a listed one goes back to the secretary: members see only what was approved.
    """
    if not owns_listing(user, listing):
        raise Forbidden("Only the listing's member edits it.")
    if listing.status is ListingStatus.WITHDRAWN:
        raise Conflict("A withdrawn listing is not edited; list it again.")
    if offer.kind is not listing.kind:
        raise ValidationFailed.field("kind", "A listing keeps its kind; withdraw it and list the other kind anew.")
    _check_offer(offer)
    listing.title = offer.title.strip()
    listing.description = offer.description.strip()
    listing.skill = (offer.skill or "").strip() or None
    listing.member_price = quantize_price(offer.member_price)
    listing.public_price = None if offer.public_price is None else quantize_price(offer.public_price)
    listing.vat_rate = offer.vat_rate
    if not listing.kind.by_slot:
        listing.hours_available = offer.hours_available
        listing.hours_period = offer.hours_period
    listing.free_cancel_days = offer.free_cancel_days
    listing.cancel_fee_percent = offer.cancel_fee_percent
    if listing.status is ListingStatus.LISTED and terms_for(listing.consortium_id).approval_required:
        LISTING_LIFECYCLE.move(listing, ListingStatus.AWAITING_APPROVAL, user, reason="edited by its member")
    db.session.flush()
    return listing


# Photos


def add_photo(user: User, listing: Listing, data: bytes, alt_text: str | None) -> ListingPhoto:
    """A photo checked for its real type and size, stored with the listing; at most a few per listing."""
    if not owns_listing(user, listing):
        raise Forbidden("Only the listing's member adds its photos.")
    if listing.status is ListingStatus.WITHDRAWN:
        raise Conflict("A withdrawn listing takes no photos.")
    alt = " ".join((alt_text or "").split())
    problems: dict[str, list[str]] = {}
    if not alt or len(alt) > ALT_MAX:
        problems["alt_text"] = [
            f"Say what the photo shows, in up to {ALT_MAX} characters, for those who cannot see it."
        ]
    checked = None
    try:
        checked = photos.check(data)
    except photos.NotAPhoto as refused:
        problems["photo"] = [str(refused)]
    if problems or checked is None:
        raise ValidationFailed("Check the photo.", problems)
    count = db.session.scalar(select(func.count(ListingPhoto.id)).where(ListingPhoto.listing_id == listing.id))
    if (count or 0) >= photos.PER_LISTING:
        raise Conflict(f"A listing has at most {photos.PER_LISTING} photos; remove one first.")
    photo = ListingPhoto(
        listing_id=listing.id,
        media_type=checked.media_type,
        data=data,
        byte_size=checked.size,
        width=checked.width,
        height=checked.height,
        alt_text=alt,
        created_by_id=user.id,
    )
    db.session.add(photo)
    db.session.flush()
    return photo


def photo_for(user: User, listing_id: int, photo_id: int) -> ListingPhoto:
    """A photo of a listing the user may see; 404 for any other."""
    listing = listing_for(user, listing_id)
    found = db.session.scalars(
        select(ListingPhoto).where(ListingPhoto.id == photo_id, ListingPhoto.listing_id == listing.id)
    ).first()
    if found is None:
        raise NotFound("No such photo.")
    return found


def remove_photo(user: User, photo: ListingPhoto) -> None:
    if not owns_listing(user, photo.listing):
        raise Forbidden("Only the listing's member removes its photos.")
    db.session.delete(photo)
    db.session.flush()


def visible_listings(user: User, q: str | None = None, kind: ListingKind | None = None) -> Select:
    """Listed offers of the user's consortia, plus its own members' listings in any state; secretaries see
    their consortium's, admins every one."""
    consortium_ids = _member_consortium_ids(user)
    query = select(Listing).order_by(Listing.title, Listing.id)
    if not user.is_admin:
        query = query.where(
            or_(
                and_(Listing.consortium_id.in_(consortium_ids), Listing.status == ListingStatus.LISTED),
                Listing.member_id.in_(user.member_ids),
                Listing.consortium_id.in_(user.secretary_consortium_ids),
            )
        )
    if q:
        like = f"%{q.lower()}%"
        query = query.where(or_(func.lower(Listing.title).like(like), func.lower(Listing.skill).like(like)))
    if kind is not None:
        query = query.where(Listing.kind == kind)
    return query


def _member_consortium_ids(user: User) -> list[int]:
    if not user.member_ids:
        return []
    return list(
        db.session.scalars(
            select(Network.consortium_id)
            .join(Member, Member.network_id == Network.id)
            .where(Member.id.in_(user.member_ids))
        )
    )


def listing_for(user: User, listing_id: int) -> Listing:
    found = db.session.scalars(visible_listings(user).where(Listing.id == listing_id)).first()
    if found is None:
        raise NotFound("No such listing.")
    return found


def owns_listing(user: User, listing: Listing) -> bool:
    return user.is_admin or listing.member_id in user.member_ids


def add_slots(user: User, listing: Listing, slots: Sequence[tuple[datetime, datetime]]) -> list[ListingSlot]:
    if not owns_listing(user, listing):
        raise Forbidden("Only the listing's member adds its slots.")
    if not listing.kind.by_slot:
        raise Conflict("This listing is booked by the hour; it has no slots.")
    if not 1 <= len(slots) <= SLOTS_MAX:
        raise ValidationFailed.field("slots", f"Add between 1 and {SLOTS_MAX} slots at a time.")
    now = utcnow()
    taken = {s.starts_at for s in listing.slots}
    added = []
    for starts_at, ends_at in slots:
        if ends_at <= starts_at or starts_at <= now or ends_at - starts_at > timedelta(days=31):
            raise ValidationFailed.field(
                "slots", "A slot starts in the future and ends after it starts, within a month."
            )
        if starts_at in taken:
            raise ValidationFailed.field("slots", "The listing already has a slot starting then.")
        taken.add(starts_at)
        added.append(ListingSlot(listing_id=listing.id, starts_at=starts_at, ends_at=ends_at))
    db.session.add_all(added)
    db.session.flush()
    return added


def approve_listing(user: User, listing: Listing) -> Listing:
    if not runs_consortium(user, listing.consortium_id):
        raise Forbidden("Only the consortium's secretary approves listings.")
    LISTING_LIFECYCLE.move(listing, ListingStatus.LISTED, user)
    return listing


def renew_listing(user: User, listing: Listing) -> Listing:
    """Another term of the consortium's listing days from today; a lapsed listing is listed again."""
    if not owns_listing(user, listing):
        raise Forbidden("Only the listing's member renews it.")
    if listing.status is ListingStatus.LAPSED:
        LISTING_LIFECYCLE.move(listing, ListingStatus.LISTED, user)
    elif listing.status is ListingStatus.WITHDRAWN:
        raise Conflict("A withdrawn listing is not renewed; list it again.")
    listing.lapses_on = uk_today() + timedelta(days=terms_for(listing.consortium_id).listing_days)
    db.session.flush()
    return listing


def withdraw_listing(user: User, listing: Listing) -> Listing:
    if not owns_listing(user, listing):
        raise Forbidden("Only the listing's member withdraws it.")
    LISTING_LIFECYCLE.move(listing, ListingStatus.WITHDRAWN, user)
    return listing


def lapse_listings(today: date) -> int:
    """Lapses every listed offer not renewed by its date (the scheduled `lapse-listings` command)."""
    due = db.session.scalars(
        select(Listing)
        .where(Listing.status == ListingStatus.LISTED, Listing.lapses_on < today)
        .with_for_update(of=Listing)
    ).all()
    for listing in due:
        LISTING_LIFECYCLE.move(listing, ListingStatus.LAPSED, None, reason="not renewed")
    return len(due)


def free_slots(listing: Listing) -> list[ListingSlot]:
    """The listing's future slots no live booking holds."""
    held = select(SlotHold.slot_id)
    return list(
        db.session.scalars(
            select(ListingSlot)
            .where(ListingSlot.listing_id == listing.id, ListingSlot.starts_at > utcnow(), ListingSlot.id.not_in(held))
            .order_by(ListingSlot.starts_at)
        )
    )


# Bookings


def _period(day: date, period: HoursPeriod) -> tuple[date, date]:
    if period is HoursPeriod.WEEK:
        start = day - timedelta(days=day.weekday())
        return start, start + timedelta(days=7)
    start = day.replace(day=1)
    return start, start + timedelta(days=calendar.monthrange(day.year, day.month)[1])


def _month(day: date) -> tuple[date, date]:
    return _period(day, HoursPeriod.MONTH)


def uncleared_debit_pence(member_id: int) -> int:
    """What the member owes others, less what others owe it, on trade invoices clearing has still to settle."""
    owes = db.session.scalar(
        select(func.coalesce(func.sum(TradeInvoice.total_pence), 0)).where(
            TradeInvoice.buyer_id == member_id,
            TradeInvoice.status == TradeInvoiceStatus.ISSUED,
            TradeInvoice.pay_directly.is_(False),
        )
    )
    owed = db.session.scalar(
        select(func.coalesce(func.sum(TradeInvoice.total_pence), 0)).where(
            TradeInvoice.seller_id == member_id,
            TradeInvoice.status == TradeInvoiceStatus.ISSUED,
            TradeInvoice.pay_directly.is_(False),
        )
    )
    return netting.net_debit_pence(owed or 0, owes or 0)


def net_debit_limit(member: Member) -> int | None:
    """The member's own limit if its secretary set one, else the consortium's; None when clearing is off."""
    terms = terms_for(member.consortium_id)
    if not terms.clearing:
        return None
    own = db.session.get(TradingLimit, member.id)
    return own.limit_pence if own is not None else terms.net_debit_limit_pence


@dataclass(frozen=True)
class Standing:
    """Where a member stands against its clearing limit: what it may still book through clearing."""

    member: Member
    debit_pence: int
    limit_pence: int | None
    own_limit: bool

    @property
    def headroom_pence(self) -> int | None:
        return None if self.limit_pence is None else max(self.limit_pence - self.debit_pence, 0)


def standing(member: Member) -> Standing:
    own = db.session.get(TradingLimit, member.id)
    return Standing(member, uncleared_debit_pence(member.id), net_debit_limit(member), own is not None)


def consortium_members(user: User, consortium_id: int) -> Select:
    """The consortium's members by name, whose limits its secretary sets: paged by the caller, as a consortium
    may have thousands."""
    if not runs_consortium(user, consortium_id):
        raise Forbidden("Only the consortium's secretary sets members' limits.")
    return (
        select(Member)
        .join(Network, Member.network_id == Network.id)
        .join(Organisation, Member.organisation_id == Organisation.id)
        .where(Network.consortium_id == consortium_id)
        .order_by(Organisation.legal_name, Member.id)
    )


def standings(consortium_id: int, members: Sequence[Member]) -> list[Standing]:
    """These members of the consortium (a page of them) with their debits on uncleared invoices and their
    limits: four queries, however many members."""
    ids = [m.id for m in members]
    own = {
        row.member_id: row.limit_pence
        for row in db.session.scalars(select(TradingLimit).where(TradingLimit.member_id.in_(ids)))
    }
    uncleared = (
        TradeInvoice.consortium_id == consortium_id,
        TradeInvoice.status == TradeInvoiceStatus.ISSUED,
        TradeInvoice.pay_directly.is_(False),
    )
    owes: dict[int, int] = {
        buyer_id: total
        for buyer_id, total in db.session.execute(
            select(TradeInvoice.buyer_id, func.sum(TradeInvoice.total_pence))
            .where(*uncleared, TradeInvoice.buyer_id.in_(ids))
            .group_by(TradeInvoice.buyer_id)
        )
    }
    owed: dict[int, int] = {
        seller_id: total
        for seller_id, total in db.session.execute(
            select(TradeInvoice.seller_id, func.sum(TradeInvoice.total_pence))
            .where(*uncleared, TradeInvoice.seller_id.in_(ids))
            .group_by(TradeInvoice.seller_id)
        )
    }
    terms = terms_for(consortium_id)
    default = terms.net_debit_limit_pence if terms.clearing else None
    return [
        Standing(
            m,
            netting.net_debit_pence(owed.get(m.id, 0), owes.get(m.id, 0)),
            own.get(m.id, default) if terms.clearing else None,
            m.id in own,
        )
        for m in members
    ]


def member_for_secretary(user: User, member_id: int) -> Member:
    """A member of a consortium the user runs; 404 for any other, whose existence does not leak."""
    member = db.session.get(Member, member_id)
    if member is None or not runs_consortium(user, member.consortium_id):
        raise NotFound("No such member.")
    return member


def set_member_limit(user: User, member_id: int, limit_pence: int | None) -> Standing:
    """The secretary's own limit for one member; None puts the member back on the consortium's limit."""
    member = member_for_secretary(user, member_id)
    if limit_pence is not None and not 0 <= limit_pence <= LIMIT_MAX_PENCE:
        raise ValidationFailed.field("limit_pence", "A limit is £0 or more, up to £1,000,000,000.")
    found = db.session.get(TradingLimit, member.id)
    if limit_pence is None:
        if found is not None:
            db.session.delete(found)
    else:
        found = found or TradingLimit(member_id=member.id, consortium_id=member.consortium_id)
        found.limit_pence = limit_pence
        found.set_by_id = user.id
        found.set_at = utcnow()
        db.session.add(found)
    db.session.flush()
    return standing(member)


@dataclass(frozen=True)
class Request:
    """A booking request: slots for a listing booked by the slot, hours from a day for one booked by the hour."""

    listing_id: int
    buyer_id: int
    slot_ids: tuple[int, ...] = ()
    hours: int | None = None
    starts_on: date | None = None
    pay_directly: bool = False
    note: str | None = None


def request_booking(user: User, request: Request) -> Booking:
    buyer = _member_of(user, request.buyer_id)
    listing = db.session.scalars(
        select(Listing).where(Listing.id == request.listing_id).with_for_update(of=Listing)
    ).first()
    if listing is None or listing.consortium_id != buyer.consortium_id:
        raise NotFound("No such listing.")
    if listing.member_id == buyer.id:
        raise Conflict("A member does not book its own listing.")
    if listing.status is not ListingStatus.LISTED:
        raise Conflict(f"This listing is {listing.status.value}: it takes no bookings.")
    note = (request.note or "").strip() or None
    if note is not None and len(note) > NOTE_MAX:
        raise ValidationFailed.field("note", f"Keep the note under {NOTE_MAX} characters.")
    slots: list[ListingSlot] = []
    if listing.kind.by_slot:
        slots = _requested_slots(listing, request.slot_ids)
        starts_on, quantity = slots[0].starts_at.date(), len(slots)
        what = "; ".join(s.label for s in slots)
        description = f"{listing.title}: {quantity} slot{'s' if quantity > 1 else ''} ({what})"
    else:
        starts_on, quantity = _requested_hours(listing, request)
        description = f"{listing.title}: {quantity} hour{'s' if quantity > 1 else ''} from {uk_date(starts_on)}"
    terms = terms_for(listing.consortium_id)
    _check_fairness(terms, listing, buyer, starts_on)
    net = line_pence(quantity, listing.member_price)
    limit = net_debit_limit(buyer)
    if limit is not None and not request.pay_directly:
        debit = uncleared_debit_pence(buyer.id)
        if debit + net > limit:
            raise Conflict(
                f"{buyer.name} would be over its clearing limit of {pounds(limit)} "
                f"({pounds(debit)} in debit now): book paying the seller directly, or wait for the month's clearing."
            )
    booking = Booking(
        listing_id=listing.id,
        consortium_id=listing.consortium_id,
        buyer_id=buyer.id,
        seller_id=listing.member_id,
        status=BookingStatus.REQUESTED,
        starts_on=starts_on,
        quantity=quantity,
        description=description[:300],
        unit_price=listing.member_price,
        net_pence=net,
        pay_directly=request.pay_directly,
        note=note,
        requested_by_id=user.id,
    )
    db.session.add(booking)
    db.session.flush()
    _hold(booking, slots)
    _tell(REQUESTED_KIND, booking, "requested")
    return booking


def _tell(kind: str, booking: Booking, what: str) -> None:
    """One outbox event for the booking's move, in its transaction; trading.messages writes the emails."""
    outbox.record(kind, booking.id, f"{kind}:{booking.id}:{what}", what=what)


def _requested_slots(listing: Listing, slot_ids: Sequence[int]) -> list[ListingSlot]:
    if not 1 <= len(set(slot_ids)) <= SLOTS_MAX:
        raise ValidationFailed.field("slot_ids", "Choose at least one slot.")
    slots = list(
        db.session.scalars(
            select(ListingSlot)
            .where(ListingSlot.listing_id == listing.id, ListingSlot.id.in_(set(slot_ids)))
            .order_by(ListingSlot.starts_at)
        )
    )
    if len(slots) != len(set(slot_ids)):
        raise ValidationFailed.field("slot_ids", "Choose slots of this listing.")
    if slots[0].starts_at <= utcnow():
        raise ValidationFailed.field("slot_ids", "That slot has already started.")
    return slots


def _requested_hours(listing: Listing, request: Request) -> tuple[date, int]:
    hours, starts_on = request.hours, request.starts_on
    if hours is None or not 1 <= hours <= HOURS_MAX:
        raise ValidationFailed.field("hours", f"Ask for between 1 and {HOURS_MAX:,} hours.")
    if starts_on is None or starts_on < uk_today():
        raise ValidationFailed.field("starts_on", "Give a start date from today on.")
    assert listing.hours_period is not None and listing.hours_available is not None
    start, end = _period(starts_on, listing.hours_period)
    booked = db.session.scalar(
        select(func.coalesce(func.sum(Booking.quantity), 0)).where(
            Booking.listing_id == listing.id,
            Booking.status.in_(LIVE),
            Booking.starts_on >= start,
            Booking.starts_on < end,
        )
    )
    left = listing.hours_available - (booked or 0)
    if hours > left:
        plural = "" if left == 1 else "s"
        raise Conflict(f"Only {left} hour{plural} of this listing are left that {listing.hours_period.value}.")
    return starts_on, hours


def _check_fairness(terms: TradingTerms, listing: Listing, buyer: Member, starts_on: date) -> None:
    if terms.monthly_limit is None:
        return
    start, end = _month(starts_on)
    count = db.session.scalar(
        select(func.count(Booking.id)).where(
            Booking.listing_id == listing.id,
            Booking.buyer_id == buyer.id,
            Booking.status.in_(LIVE),
            Booking.starts_on >= start,
            Booking.starts_on < end,
        )
    )
    if (count or 0) >= terms.monthly_limit:
        raise Conflict(
            f"{buyer.name} already has {count} booking{'' if count == 1 else 's'} of this listing in "
            f"{starts_on:%B %Y}; the consortium allows {terms.monthly_limit} a month, so others get their turn."
        )


def _hold(booking: Booking, slots: Sequence[ListingSlot]) -> None:
    """Takes the slots for the booking; a slot another booking holds, even one committed a moment ago, is a 409."""
    if not slots:
        return
    try:
        with db.session.begin_nested():
            db.session.add_all([SlotHold(slot_id=s.id, booking_id=booking.id) for s in slots])
    except IntegrityError:
        raise Conflict("That slot has just been booked by another member; choose another.") from None


def _release(booking: Booking) -> None:
    db.session.execute(delete(SlotHold).where(SlotHold.booking_id == booking.id))


def booking_slots(booking_ids: Sequence[int]) -> dict[int, list[ListingSlot]]:
    rows = db.session.execute(
        select(SlotHold.booking_id, ListingSlot)
        .join(ListingSlot, ListingSlot.id == SlotHold.slot_id)
        .where(SlotHold.booking_id.in_(booking_ids))
        .order_by(ListingSlot.starts_at)
    ).all()
    found: dict[int, list[ListingSlot]] = {}
    for booking_id, slot in rows:
        found.setdefault(booking_id, []).append(slot)
    return found


def visible_bookings(user: User, status: BookingStatus | None = None) -> Select:
    query = select(Booking).order_by(Booking.created_at.desc(), Booking.id.desc())
    if not user.is_admin:
        query = query.where(
            or_(
                Booking.buyer_id.in_(user.member_ids),
                Booking.seller_id.in_(user.member_ids),
                Booking.consortium_id.in_(user.secretary_consortium_ids),
            )
        )
    if status is not None:
        query = query.where(Booking.status == status)
    return query


def waiting_requests(user: User) -> int:
    """Booking requests waiting for the user's members to accept or decline, for the dashboard."""
    waiting = visible_bookings(user, BookingStatus.REQUESTED).where(Booking.seller_id.in_(user.member_ids))
    return db.session.scalar(select(func.count()).select_from(waiting.order_by(None).subquery())) or 0


def booking_for(user: User, booking_id: int, lock: bool = False) -> Booking:
    query = visible_bookings(user).where(Booking.id == booking_id)
    if lock:
        query = query.with_for_update(of=Booking)
    found = db.session.scalars(query).first()
    if found is None:
        raise NotFound("No such booking.")
    return found


def _acts_for(user: User, member_id: int) -> bool:
    return user.is_admin or member_id in user.member_ids


def accept(user: User, booking: Booking) -> Booking:
    if not _acts_for(user, booking.seller_id):
        raise Forbidden("Only the selling member accepts a booking.")
    BOOKING_LIFECYCLE.move(booking, BookingStatus.CONFIRMED, user)
    _tell(ANSWERED_KIND, booking, "accepted")
    return booking


def decline(user: User, booking: Booking, reason: str | None) -> Booking:
    if not _acts_for(user, booking.seller_id):
        raise Forbidden("Only the selling member declines a booking.")
    BOOKING_LIFECYCLE.move(booking, BookingStatus.DECLINED, user, reason=reason)
    booking.reason = (reason or "").strip() or None
    _release(booking)
    _tell(ANSWERED_KIND, booking, "declined")
    return booking


def confirm_delivery(user: User, booking: Booking) -> Booking:
    """The buyer's or the seller's word that it was delivered; with both, the booking is delivered."""
    sides = [side for side in (booking.buyer_id, booking.seller_id) if _acts_for(user, side)]
    if not sides:
        raise Forbidden("Only the two members of the booking confirm its delivery.")
    BOOKING_LIFECYCLE.check(booking, BookingStatus.DELIVERED)
    if booking.status is BookingStatus.DISPUTED:
        raise Conflict("This booking is disputed: the consortium's secretary resolves it.")
    now = utcnow()
    if booking.buyer_id in sides:
        booking.buyer_confirmed_at = booking.buyer_confirmed_at or now
    if booking.seller_id in sides:
        booking.seller_confirmed_at = booking.seller_confirmed_at or now
    if booking.buyer_confirmed_at and booking.seller_confirmed_at:
        BOOKING_LIFECYCLE.move(booking, BookingStatus.DELIVERED, user, reason="both members confirmed delivery")
        _tell(DELIVERY_KIND, booking, "delivered")
    db.session.flush()
    return booking


def dispute(user: User, booking: Booking, reason: str | None) -> Booking:
    if not (_acts_for(user, booking.buyer_id) or _acts_for(user, booking.seller_id)):
        raise Forbidden("Only the two members of the booking dispute it.")
    BOOKING_LIFECYCLE.move(booking, BookingStatus.DISPUTED, user, reason=reason)
    booking.reason = (reason or "").strip()
    _tell(DELIVERY_KIND, booking, "disputed")
    return booking


def resolve(user: User, booking: Booking, delivered: bool, reason: str | None) -> Booking:
    """The secretary's ruling on a dispute: delivered (the seller invoices) or cancelled with no fee."""
    if not runs_consortium(user, booking.consortium_id):
        raise Forbidden("Only the consortium's secretary resolves a dispute.")
    if booking.status is not BookingStatus.DISPUTED:
        raise Conflict(f"Only a disputed booking is resolved; this one is {booking.status.value}.")
    if not (reason or "").strip():
        raise ValidationFailed.field("reason", "Say how the dispute was resolved.")
    target = BookingStatus.DELIVERED if delivered else BookingStatus.CANCELLED
    BOOKING_LIFECYCLE.move(booking, target, user, reason=reason)
    booking.reason = (reason or "").strip()
    if not delivered:
        _release(booking)
    _tell(DELIVERY_KIND, booking, "resolved")
    return booking


def cancellation_fee(booking: Booking, by_buyer: bool, today: date) -> int:
    """The fee the listing's policy charges the buyer for cancelling a confirmed booking now."""
    if not by_buyer or booking.status is not BookingStatus.CONFIRMED:
        return 0
    listing = booking.listing
    return policy.cancellation_fee_pence(
        booking.net_pence, booking.starts_on, today, listing.free_cancel_days, listing.cancel_fee_percent
    )


def cancel(user: User, booking: Booking, reason: str | None) -> Booking:
    """Cancelled by either member; a buyer cancelling late pays the listing's fee, invoiced by the seller."""
    by_buyer = _acts_for(user, booking.buyer_id)
    if not (by_buyer or _acts_for(user, booking.seller_id)):
        raise Forbidden("Only the two members of the booking cancel it.")
    if booking.status is BookingStatus.DISPUTED:
        raise Conflict("This booking is disputed: the consortium's secretary resolves it.")
    fee = cancellation_fee(booking, by_buyer, uk_today())
    BOOKING_LIFECYCLE.move(booking, BookingStatus.CANCELLED, user, reason=reason)
    booking.reason = (reason or "").strip() or None
    booking.fee_pence = fee
    _release(booking)
    if fee:
        _issue(booking, f"Cancellation fee: {booking.description}"[:300], 1, Decimal(fee) / 100, fee)
    _tell(ANSWERED_KIND, booking, "cancelled")
    return booking


def issue_invoice(user: User, booking: Booking) -> TradeInvoice:
    if not _acts_for(user, booking.seller_id):
        raise Forbidden("Only the selling member invoices a booking.")
    BOOKING_LIFECYCLE.move(booking, BookingStatus.INVOICED, user)
    return _issue(booking, booking.description, booking.quantity, booking.unit_price, booking.net_pence)


def _address(organisation: Organisation) -> str:
    return ", ".join(organisation.address_lines)


def _issue(booking: Booking, description: str, quantity: int, unit_price: Decimal, net: int) -> TradeInvoice:
    """The seller's invoice, numbered in its own series: VAT at the listing's rate only when the seller is
    registered for VAT."""
    seller, buyer, consortium = booking.seller, booking.buyer, db.session.get_one(Consortium, booking.consortium_id)
    registered = bool(seller.organisation.vat_number)
    rate = booking.listing.vat_rate if registered else VatRate.ZERO
    vat = vat_pence(net, rate.percent) if registered else 0
    today = uk_today()
    value = next_values(consortium, f"M{seller.id}")[0]
    invoice = TradeInvoice(
        number=f"{consortium.code}-M{seller.id}-{today.year}-{value:04d}",
        consortium_id=consortium.id,
        seller_id=seller.id,
        buyer_id=buyer.id,
        booking_id=booking.id,
        status=TradeInvoiceStatus.ISSUED,
        issue_date=today,
        supply_date=min(booking.starts_on, today),
        due_date=today + timedelta(days=consortium.payment_terms_days),
        reference=f"Booking {booking.id}",
        net_pence=net,
        vat_pence=vat,
        total_pence=net + vat,
        pay_directly=booking.pay_directly,
        seller_name=seller.organisation.legal_name,
        seller_address=_address(seller.organisation),
        seller_vat_number=seller.organisation.vat_number,
        seller_bank_account_name=None,
        seller_sort_code=None,
        seller_account_number=None,
        buyer_name=buyer.organisation.legal_name,
        buyer_address=_address(buyer.organisation),
        buyer_vat_number=buyer.organisation.vat_number,
        buyer_email=buyer.billing_email or buyer.organisation.contact_email,
    )
    invoice.lines = [
        TradeInvoiceLine(
            position=1,
            kind=LineKind.SERVICE,
            description=description,
            quantity=quantity,
            unit_price=quantize_price(unit_price),
            vat_rate=rate,
            net_pence=net,
        )
    ]
    invoice.vat_lines = [TradeInvoiceVat(vat_rate=rate, net_pence=net, vat_pence=vat)]
    db.session.add(invoice)
    db.session.flush()
    outbox.record(INVOICED_KIND, invoice.id, f"{INVOICED_KIND}:{invoice.id}")
    return invoice


def visible_invoices(user: User) -> Select:
    query = (
        select(TradeInvoice)
        .options(selectinload(TradeInvoice.lines), selectinload(TradeInvoice.clearing_run))
        .order_by(TradeInvoice.issue_date.desc(), TradeInvoice.id.desc())
    )
    if not user.is_admin:
        query = query.where(
            or_(
                TradeInvoice.buyer_id.in_(user.member_ids),
                TradeInvoice.seller_id.in_(user.member_ids),
                TradeInvoice.consortium_id.in_(user.secretary_consortium_ids),
            )
        )
    return query


def invoice_for(user: User, invoice_id: int) -> TradeInvoice:
    found = db.session.scalars(visible_invoices(user).where(TradeInvoice.id == invoice_id)).first()
    if found is None:
        raise NotFound("No such invoice.")
    return found


def record_direct_payment(user: User, invoice: TradeInvoice) -> TradeInvoice:
    """The seller's word that the buyer paid it directly: the invoice is settled outside clearing."""
    if not _acts_for(user, invoice.seller_id):
        raise Forbidden("Only the selling member records that it was paid.")
    if invoice.status is not TradeInvoiceStatus.ISSUED:
        raise Conflict("This invoice is already settled.")
    invoice.status = TradeInvoiceStatus.SETTLED
    invoice.settled_on = uk_today()
    booking = db.session.get_one(Booking, invoice.booking_id)
    if booking.status is BookingStatus.INVOICED:
        BOOKING_LIFECYCLE.move(booking, BookingStatus.SETTLED, user, reason=f"paid directly ({invoice.number})")
    db.session.flush()
    return invoice


# Monthly clearing


def clearable(consortium_id: int, month: date) -> Select:
    """The month's trade invoices clearing settles: issued in the month, not yet settled, not paid directly."""
    start, end = _month(month)
    return select(TradeInvoice.id, TradeInvoice.seller_id, TradeInvoice.buyer_id, TradeInvoice.total_pence).where(
        TradeInvoice.consortium_id == consortium_id,
        TradeInvoice.status == TradeInvoiceStatus.ISSUED,
        TradeInvoice.pay_directly.is_(False),
        TradeInvoice.issue_date >= start,
        TradeInvoice.issue_date < end,
    )


def preview_clearing(consortium_id: int, month: date) -> list[netting.Position]:
    rows = db.session.execute(clearable(consortium_id, month)).all()
    return netting.positions(netting.Trade(r.seller_id, r.buyer_id, r.total_pence) for r in rows)


def clear_month(user: User | None, consortium_id: int, month: date) -> ClearingRun:
    """Clearing number N: the month's invoices netted, each member's statement kept, every invoice settled by N.

    Locks the consortium's row so two runs queue; the unique month per consortium refuses a second run.
    """
    if user is not None and not runs_consortium(user, consortium_id):
        raise Forbidden("Only the consortium's secretary runs clearing.")
    consortium = db.session.scalars(
        select(Consortium).where(Consortium.id == consortium_id).with_for_update(of=Consortium)
    ).first()
    if consortium is None:
        raise NotFound("No such consortium.")
    if not terms_for(consortium_id).clearing:
        raise Conflict(f"{consortium.name} does not clear trade monthly; its secretary can switch clearing on.")
    start, _ = _month(month)
    if start >= _month(uk_today())[0]:
        raise ValidationFailed.field("month", "Clear a month that has ended.")
    runs = select(ClearingRun.id).where(ClearingRun.consortium_id == consortium_id)
    if db.session.scalar(runs.where(ClearingRun.month == start)):
        raise Conflict(f"{start:%B %Y} is already cleared.")
    rows = db.session.execute(clearable(consortium_id, start).with_for_update(of=TradeInvoice)).all()
    if not rows:
        raise Conflict(f"No trade invoices of {start:%B %Y} are waiting for clearing.")
    found = netting.positions(netting.Trade(r.seller_id, r.buyer_id, r.total_pence) for r in rows)
    last = select(func.coalesce(func.max(ClearingRun.number), 0)).where(ClearingRun.consortium_id == consortium_id)
    number = (db.session.scalar(last) or 0) + 1
    run = ClearingRun(
        consortium_id=consortium_id,
        number=number,
        month=start,
        invoice_count=len(rows),
        cleared_pence=sum(r.total_pence for r in rows),
        created_by_id=user.id if user else None,
    )
    db.session.add(run)
    db.session.flush()
    db.session.execute(
        insert(ClearingPosition),
        [
            {
                "clearing_run_id": run.id,
                "member_id": p.member_id,
                "owed_pence": p.owed_pence,
                "owes_pence": p.owes_pence,
                "net_pence": p.net_pence,
            }
            for p in found
        ],
    )
    _settle_by_clearing(run, user, start)
    return run


def _settle_by_clearing(run: ClearingRun, user: User | None, start: date) -> None:
    """Marks the month's invoices settled by clearing N and moves their bookings invoiced -> settled, recording
    each move: three set-based statements whatever the number of invoices (10,000 must clear in seconds). The
    invoices were locked when they were read, so the same ones are marked."""
    cleared = clearable(run.consortium_id, start).with_only_columns(TradeInvoice.id)
    db.session.execute(
        update(TradeInvoice)
        .where(TradeInvoice.id.in_(cleared))
        .values(status=TradeInvoiceStatus.SETTLED, clearing_run_id=run.id, settled_on=uk_today())
        .execution_options(synchronize_session=False)
    )
    moved = select(Booking.id).where(
        Booking.status == BookingStatus.INVOICED,
        Booking.id.in_(select(TradeInvoice.booking_id).where(TradeInvoice.clearing_run_id == run.id)),
    )
    db.session.execute(
        insert(StatusChange).from_select(
            ["subject_kind", "subject_id", "from_state", "to_state", "actor_id", "reason", "at"],
            moved.with_only_columns(
                literal(BOOKING_LIFECYCLE.kind),
                Booking.id,
                literal(BookingStatus.INVOICED.value),
                literal(BookingStatus.SETTLED.value),
                literal(user.id if user else None, Integer),
                literal(f"settled by clearing {run.number}"),
                literal(utcnow(), UTCDateTime()),
            ),
        )
    )
    db.session.execute(
        update(Booking)
        .where(Booking.id.in_(moved))
        .values(status=BookingStatus.SETTLED)
        .execution_options(synchronize_session=False)
    )
    db.session.expire_all()


def visible_runs(user: User) -> Select:
    query = select(ClearingRun).order_by(ClearingRun.month.desc(), ClearingRun.id.desc())
    if not user.is_admin:
        member_runs = select(ClearingPosition.clearing_run_id).where(ClearingPosition.member_id.in_(user.member_ids))
        query = query.where(
            or_(ClearingRun.consortium_id.in_(user.secretary_consortium_ids), ClearingRun.id.in_(member_runs))
        )
    return query


def run_for(user: User, run_id: int) -> ClearingRun:
    found = db.session.scalars(visible_runs(user).where(ClearingRun.id == run_id)).first()
    if found is None:
        raise NotFound("No such clearing.")
    return found


def run_positions(user: User, run: ClearingRun) -> list[ClearingPosition]:
    """Every member's statement for the secretary; a member's own statement for a member."""
    if user.is_admin or runs_consortium(user, run.consortium_id):
        return list(run.positions)
    return [p for p in run.positions if p.member_id in user.member_ids]
