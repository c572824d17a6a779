"""Trading over JSON: listings and slots, bookings and their moves, trade invoices, terms and monthly clearing."""

import base64
import binascii
from decimal import Decimal

from flask import Response

from catalogue.models import VatRate
from kernel.api import api_blueprint, json_body, operation, page_of, page_schema, query_args
from kernel.errors import ValidationFailed
from organisations.access import consortium_or_404, require_actor, roles_required
from organisations.models import Role
from trading import services
from trading.models import BookingStatus, HoursPeriod, ListingKind
from trading.schemas import (
    BookingCreateSchema,
    BookingQuerySchema,
    BookingSchema,
    ClearingCreateSchema,
    ClearingDetailSchema,
    ClearingPositionSchema,
    ClearingSchema,
    LimitSchema,
    ListingCreateSchema,
    ListingDetailSchema,
    ListingQuerySchema,
    ListingSchema,
    ListingUpdateSchema,
    PhotoInSchema,
    PhotoSchema,
    ResolveSchema,
    SlotSchema,
    SlotsInSchema,
    SlotsSchema,
    StandingSchema,
    TermsSchema,
    TradeInvoiceSchema,
    TradeReasonSchema,
)

bp = api_blueprint("trading_api", __name__)
TAGS = ["trading"]
TRADERS = (Role.MEMBER, Role.SECRETARY)


@bp.get("/trading/listings")
@roles_required(*TRADERS)
@operation(
    "Listings the caller may book or runs", tags=TAGS, query=ListingQuerySchema, response=page_schema(ListingSchema)
)
def list_listings():
    user = require_actor()
    args = query_args(ListingQuerySchema())
    kind = ListingKind(args["kind"]) if "kind" in args else None
    listings, facts = page_of(services.visible_listings(user, args.get("q"), kind))
    return {"items": ListingSchema(many=True).dump(listings)} | facts


def offer_of(data: dict, kind: ListingKind | None = None) -> services.Offer:
    return services.Offer(
        kind=kind or ListingKind(data["kind"]),
        title=data["title"],
        description=data["description"],
        member_price=Decimal(data["member_price"]),
        public_price=None if data["public_price"] is None else Decimal(data["public_price"]),
        vat_rate=VatRate(data["vat_rate"]),
        skill=data["skill"],
        hours_available=data["hours_available"],
        hours_period=HoursPeriod(data["hours_period"]) if data["hours_period"] else None,
        free_cancel_days=data["free_cancel_days"],
        cancel_fee_percent=data["cancel_fee_percent"],
    )


@bp.post("/trading/listings")
@roles_required(Role.MEMBER)
@operation(
    "List spare capacity for the member's peers; shown at once or after the secretary's approval",
    tags=TAGS,
    body=ListingCreateSchema,
    response=ListingSchema,
    status=201,
)
def create_listing():
    data = json_body(ListingCreateSchema())
    listing = services.create_listing(require_actor(), data["member_id"], offer_of(data))
    return ListingSchema().dump(listing), 201


def _detail(listing) -> dict:
    return ListingSchema().dump(listing) | {
        "free_slots": SlotSchema(many=True).dump(services.free_slots(listing)),
        "photos": PhotoSchema(many=True).dump(listing.photos),
    }


@bp.get("/trading/listings/<int:listing_id>")
@roles_required(*TRADERS)
@operation("One listing and its free slots", tags=TAGS, response=ListingDetailSchema)
def get_listing(listing_id: int):
    return _detail(services.listing_for(require_actor(), listing_id))


@bp.put("/trading/listings/<int:listing_id>")
@roles_required(Role.MEMBER)
@operation(
    "Edit the member's listing (its kind stays); where listings are approved, an edit waits for approval again",
    tags=TAGS,
    body=ListingUpdateSchema,
    response=ListingSchema,
    errors=(409,),
)
def update_listing(listing_id: int):
    user = require_actor()
    listing = services.listing_for(user, listing_id)
    data = json_body(ListingUpdateSchema())
    return ListingSchema().dump(services.edit_listing(user, listing, offer_of(data, listing.kind)))


@bp.post("/trading/listings/<int:listing_id>/photos")
@roles_required(Role.MEMBER)
@operation(
    "Add a photo to the member's listing: a JPEG, PNG or WebP image (checked by its content) up to 5 MB",
    tags=TAGS,
    body=PhotoInSchema,
    response=PhotoSchema,
    status=201,
    errors=(409,),
)
def add_photo(listing_id: int):
    user = require_actor()
    listing = services.listing_for(user, listing_id)
    data = json_body(PhotoInSchema())
    try:
        image = base64.b64decode(data["image_base64"], validate=True)
    except (binascii.Error, ValueError):
        raise ValidationFailed.field("image_base64", "Not valid base64.") from None
    photo = services.add_photo(user, listing, image, data["alt_text"])
    return PhotoSchema().dump(photo), 201


IMAGE = {"schema": {"type": "string", "format": "binary"}}


@bp.get("/trading/listings/<int:listing_id>/photos/<int:photo_id>")
@roles_required(*TRADERS)
@operation(
    "A listing's photo, as the image it is",
    tags=TAGS,
    content={"image/jpeg": IMAGE, "image/png": IMAGE, "image/webp": IMAGE},
)
def get_photo(listing_id: int, photo_id: int):
    found = services.photo_for(require_actor(), listing_id, photo_id)
    return Response(found.data, mimetype=found.media_type, headers={"Cache-Control": "private, max-age=3600"})


@bp.delete("/trading/listings/<int:listing_id>/photos/<int:photo_id>")
@roles_required(Role.MEMBER)
@operation("Remove a photo from the member's listing", tags=TAGS, response=PhotoSchema)
def remove_photo(listing_id: int, photo_id: int):
    user = require_actor()
    photo = services.photo_for(user, listing_id, photo_id)
    dumped = PhotoSchema().dump(photo)
    services.remove_photo(user, photo)
    return dumped


@bp.post("/trading/listings/<int:listing_id>/slots")
@roles_required(Role.MEMBER)
@operation(
    "Add bookable slots to a room or equipment listing",
    tags=TAGS,
    body=SlotsInSchema,
    response=SlotsSchema,
    status=201,
    errors=(409,),
)
def add_slots(listing_id: int):
    user = require_actor()
    listing = services.listing_for(user, listing_id)
    data = json_body(SlotsInSchema())
    added = services.add_slots(user, listing, [(s["starts_at"], s["ends_at"]) for s in data["slots"]])
    return SlotsSchema().dump({"items": added}), 201


def _listing_move(listing_id: int, change) -> dict:
    user = require_actor()
    return ListingSchema().dump(change(user, services.listing_for(user, listing_id)))


@bp.post("/trading/listings/<int:listing_id>/approve")
@roles_required(Role.SECRETARY)
@operation(
    "Approve a listing awaiting approval (its consortium's secretary)", tags=TAGS, response=ListingSchema, errors=(409,)
)
def approve_listing(listing_id: int):
    return _listing_move(listing_id, services.approve_listing)


@bp.post("/trading/listings/<int:listing_id>/renew")
@roles_required(Role.MEMBER)
@operation(
    "Renew a listing for another term; a lapsed one is listed again", tags=TAGS, response=ListingSchema, errors=(409,)
)
def renew_listing(listing_id: int):
    return _listing_move(listing_id, services.renew_listing)


@bp.post("/trading/listings/<int:listing_id>/withdraw")
@roles_required(Role.MEMBER)
@operation("Withdraw a listing", tags=TAGS, response=ListingSchema, errors=(409,))
def withdraw_listing(listing_id: int):
    return _listing_move(listing_id, services.withdraw_listing)


@bp.get("/trading/bookings")
@roles_required(*TRADERS)
@operation(
    "Bookings the caller's members made or received, or its consortium's",
    tags=TAGS,
    query=BookingQuerySchema,
    response=page_schema(BookingSchema),
)
def list_bookings():
    args = query_args(BookingQuerySchema())
    status = BookingStatus(args["status"]) if "status" in args else None
    bookings, facts = page_of(services.visible_bookings(require_actor(), status))
    return {"items": BookingSchema(many=True).dump(bookings)} | facts


@bp.post("/trading/bookings")
@roles_required(Role.MEMBER)
@operation(
    "Request a booking: slots of a room or equipment, or hours of time or capacity from a day",
    tags=TAGS,
    body=BookingCreateSchema,
    response=BookingSchema,
    status=201,
    errors=(409,),
)
def create_booking():
    data = json_body(BookingCreateSchema())
    request = services.Request(
        listing_id=data["listing_id"],
        buyer_id=data["buyer_id"],
        slot_ids=tuple(data["slot_ids"]),
        hours=data["hours"],
        starts_on=data["starts_on"],
        pay_directly=data["pay_directly"],
        note=data["note"],
    )
    return BookingSchema().dump(services.request_booking(require_actor(), request)), 201


@bp.get("/trading/bookings/<int:booking_id>")
@roles_required(*TRADERS)
@operation("One booking", tags=TAGS, response=BookingSchema)
def get_booking(booking_id: int):
    return BookingSchema().dump(services.booking_for(require_actor(), booking_id))


def _booking_move(booking_id: int, change, *fields: str, schema=None) -> dict:
    """Loads the booking (or 404) before reading the body, then makes the move with the body's `fields`."""
    user = require_actor()
    booking = services.booking_for(user, booking_id, lock=True)
    data = json_body(schema()) if schema is not None else {}
    change(user, booking, *(data[name] for name in fields))
    return BookingSchema().dump(booking)


@bp.post("/trading/bookings/<int:booking_id>/accept")
@roles_required(Role.MEMBER)
@operation("Accept a booking request (the seller): it is confirmed", tags=TAGS, response=BookingSchema, errors=(409,))
def accept_booking(booking_id: int):
    return _booking_move(booking_id, services.accept)


@bp.post("/trading/bookings/<int:booking_id>/decline")
@roles_required(Role.MEMBER)
@operation(
    "Decline a booking request (the seller); its slots are free again",
    tags=TAGS,
    body=TradeReasonSchema,
    response=BookingSchema,
    errors=(409,),
)
def decline_booking(booking_id: int):
    return _booking_move(booking_id, services.decline, "reason", schema=TradeReasonSchema)


@bp.post("/trading/bookings/<int:booking_id>/delivered")
@roles_required(Role.MEMBER)
@operation(
    "Confirm delivery for the caller's side; with both sides it is delivered",
    tags=TAGS,
    response=BookingSchema,
    errors=(409,),
)
def confirm_delivery(booking_id: int):
    return _booking_move(booking_id, services.confirm_delivery)


@bp.post("/trading/bookings/<int:booking_id>/dispute")
@roles_required(Role.MEMBER)
@operation(
    "Dispute a confirmed booking; the secretary resolves it",
    tags=TAGS,
    body=TradeReasonSchema,
    response=BookingSchema,
    errors=(409,),
)
def dispute_booking(booking_id: int):
    return _booking_move(booking_id, services.dispute, "reason", schema=TradeReasonSchema)


@bp.post("/trading/bookings/<int:booking_id>/resolve")
@roles_required(Role.SECRETARY)
@operation(
    "Resolve a dispute: delivered, or cancelled with no fee",
    tags=TAGS,
    body=ResolveSchema,
    response=BookingSchema,
    errors=(409,),
)
def resolve_booking(booking_id: int):
    return _booking_move(booking_id, services.resolve, "delivered", "reason", schema=ResolveSchema)


@bp.post("/trading/bookings/<int:booking_id>/cancel")
@roles_required(Role.MEMBER)
@operation(
    "Cancel a booking; a buyer cancelling late is invoiced the listing's fee",
    tags=TAGS,
    body=TradeReasonSchema,
    response=BookingSchema,
    errors=(409,),
)
def cancel_booking(booking_id: int):
    return _booking_move(booking_id, services.cancel, "reason", schema=TradeReasonSchema)


@bp.post("/trading/bookings/<int:booking_id>/invoice")
@roles_required(Role.MEMBER)
@operation(
    "Issue the seller's invoice for a delivered booking",
    tags=TAGS,
    response=TradeInvoiceSchema,
    status=201,
    errors=(409,),
)
def invoice_booking(booking_id: int):
    user = require_actor()
    invoice = services.issue_invoice(user, services.booking_for(user, booking_id, lock=True))
    return TradeInvoiceSchema().dump(invoice), 201


@bp.get("/trading/invoices")
@roles_required(*TRADERS)
@operation(
    "Trade invoices the caller's members issued or received, or its consortium's",
    tags=TAGS,
    response=page_schema(TradeInvoiceSchema),
)
def list_invoices():
    invoices, facts = page_of(services.visible_invoices(require_actor()))
    return {"items": TradeInvoiceSchema(many=True).dump(invoices)} | facts


@bp.get("/trading/invoices/<int:trade_invoice_id>")
@roles_required(*TRADERS)
@operation("One trade invoice", tags=TAGS, response=TradeInvoiceSchema)
def get_invoice(trade_invoice_id: int):
    return TradeInvoiceSchema().dump(services.invoice_for(require_actor(), trade_invoice_id))


@bp.post("/trading/invoices/<int:trade_invoice_id>/paid")
@roles_required(Role.MEMBER)
@operation(
    "Record that the buyer paid the seller directly (the seller)", tags=TAGS, response=TradeInvoiceSchema, errors=(409,)
)
def invoice_paid(trade_invoice_id: int):
    user = require_actor()
    return TradeInvoiceSchema().dump(services.record_direct_payment(user, services.invoice_for(user, trade_invoice_id)))


@bp.get("/trading/terms/<int:consortium_id>")
@roles_required(Role.SECRETARY)
@operation("The consortium's trading terms (its secretary)", tags=TAGS, response=TermsSchema)
def get_terms(consortium_id: int):
    consortium = consortium_or_404(require_actor(), consortium_id)
    return TermsSchema().dump(services.terms_for(consortium.id))


@bp.put("/trading/terms/<int:consortium_id>")
@roles_required(Role.SECRETARY)
@operation(
    "Set the consortium's trading terms: approval, listing term, fairness limit, clearing and its limit",
    tags=TAGS,
    body=TermsSchema,
    response=TermsSchema,
)
def put_terms(consortium_id: int):
    user = require_actor()
    consortium = consortium_or_404(user, consortium_id)
    data = json_body(TermsSchema())
    return TermsSchema().dump(services.save_terms(user, consortium.id, **data))


@bp.get("/trading/limits/<int:consortium_id>")
@roles_required(Role.SECRETARY)
@operation(
    "Each member's debit on uncleared trade invoices against its clearing limit (the secretary)",
    tags=TAGS,
    response=page_schema(StandingSchema),
)
def list_limits(consortium_id: int):
    user = require_actor()
    consortium = consortium_or_404(user, consortium_id)
    members, facts = page_of(services.consortium_members(user, consortium.id))
    return {"items": StandingSchema(many=True).dump(services.standings(consortium.id, members))} | facts


@bp.put("/trading/members/<int:member_id>/limit")
@roles_required(Role.SECRETARY)
@operation(
    "Set a member's own net debit limit for clearing, or null for the consortium's (its secretary)",
    tags=TAGS,
    body=LimitSchema,
    response=StandingSchema,
)
def put_limit(member_id: int):
    user = require_actor()
    services.member_for_secretary(user, member_id)
    data = json_body(LimitSchema())
    return StandingSchema().dump(services.set_member_limit(user, member_id, data["limit_pence"]))


@bp.get("/trading/clearings")
@roles_required(*TRADERS)
@operation(
    "Monthly clearings the caller's members took part in, or its consortium's",
    tags=TAGS,
    response=page_schema(ClearingSchema),
)
def list_clearings():
    runs, facts = page_of(services.visible_runs(require_actor()))
    return {"items": ClearingSchema(many=True).dump(runs)} | facts


def _clearing(user, run) -> dict:
    return ClearingSchema().dump(run) | {
        "positions": ClearingPositionSchema(many=True).dump(services.run_positions(user, run))
    }


@bp.post("/trading/clearings")
@roles_required(Role.SECRETARY)
@operation(
    "Clear an ended month: each member's net, every invoice settled by the clearing's number",
    tags=TAGS,
    body=ClearingCreateSchema,
    response=ClearingDetailSchema,
    status=201,
    errors=(404, 409),
)
def create_clearing():
    user = require_actor()
    data = json_body(ClearingCreateSchema())
    consortium = consortium_or_404(user, data["consortium_id"])
    return _clearing(user, services.clear_month(user, consortium.id, data["month"])), 201


@bp.get("/trading/clearings/<int:clearing_id>")
@roles_required(*TRADERS)
@operation(
    "One clearing: every member's statement for the secretary, the caller's own for a member",
    tags=TAGS,
    response=ClearingDetailSchema,
)
def get_clearing(clearing_id: int):
    user = require_actor()
    return _clearing(user, services.run_for(user, clearing_id))
