"""JSON shapes of trading: listings and their slots, bookings, trade invoices, terms and clearings."""

from marshmallow import Schema, fields, validate

from catalogue.models import VatRate
from kernel.api import PRICE, Paragraphs
from trading.models import BookingStatus, HoursPeriod, ListingKind, ListingStatus, TradeInvoiceStatus
from trading.photos import MAX_BYTES
from trading.services import ALT_MAX, DESCRIPTION_MAX, HOURS_MAX, LIMIT_MAX_PENCE, NOTE_MAX, SLOTS_MAX, TITLE_MAX

KINDS = [k.value for k in ListingKind]
SEARCH_MAX = 100
POUNDS = validate.Regexp(r"^\d{1,8}(\.\d{1,4})?$", error="Give pounds as a decimal number, up to 4 places: 25.00.")


def _value(attribute: str, enum_cls) -> fields.Function:
    return fields.Function(
        lambda obj: getattr(obj, attribute).value if getattr(obj, attribute) is not None else None,
        required=True,
        allow_none=True,
        metadata={"enum": [e.value for e in enum_cls]},
    )


class ListingQuerySchema(Schema):
    q = fields.String(
        validate=validate.Length(max=SEARCH_MAX), metadata={"description": "Words in the title or skill."}
    )
    kind = fields.String(validate=validate.OneOf(KINDS))
    page = fields.Integer()
    per_page = fields.Integer()


class SlotSchema(Schema):
    id = fields.Integer(required=True)
    starts_at = fields.AwareDateTime(required=True)
    ends_at = fields.AwareDateTime(required=True)


class ListingSchema(Schema):
    id = fields.Integer(required=True)
    member_id = fields.Integer(required=True)
    member_name = fields.Function(lambda listing: listing.member.name, required=True)
    consortium_id = fields.Integer(required=True)
    kind = _value("kind", ListingKind)
    unit = fields.String(required=True, metadata={"enum": ["slot", "hour"]})
    title = fields.String(required=True)
    description = fields.String(required=True)
    skill = fields.String(required=True, allow_none=True)
    member_price = fields.Decimal(required=True, **PRICE)
    public_price = fields.Decimal(required=True, allow_none=True, **PRICE)
    vat_rate = _value("vat_rate", VatRate)
    hours_available = fields.Integer(required=True, allow_none=True)
    hours_period = _value("hours_period", HoursPeriod)
    free_cancel_days = fields.Integer(required=True)
    cancel_fee_percent = fields.Integer(required=True)
    status = _value("status", ListingStatus)
    lapses_on = fields.Date(required=True)


class PhotoSchema(Schema):
    id = fields.Integer(required=True)
    listing_id = fields.Integer(required=True)
    media_type = fields.String(required=True, metadata={"enum": ["image/jpeg", "image/png", "image/webp"]})
    byte_size = fields.Integer(required=True)
    width = fields.Integer(required=True)
    height = fields.Integer(required=True)
    alt_text = fields.String(required=True)
    created_at = fields.AwareDateTime(required=True)


class ListingDetailSchema(ListingSchema):
    free_slots = fields.List(fields.Nested(SlotSchema), required=True)
    photos = fields.List(fields.Nested(PhotoSchema), required=True)


class PhotoInSchema(Schema):
    image_base64 = fields.String(
        required=True,
        validate=validate.Length(min=1, max=(MAX_BYTES * 4) // 3 + 8),
        metadata={"description": f"The JPEG, PNG or WebP image, base64; up to {MAX_BYTES // (1024 * 1024)} MB."},
    )
    alt_text = fields.String(
        required=True,
        validate=validate.Length(min=1, max=ALT_MAX),
        metadata={"description": "What the photo shows, for those who cannot see it."},
    )


class ListingUpdateSchema(Schema):
    """A listing's own details; its member and kind stay as they were."""

    title = fields.String(required=True, validate=validate.Length(min=1, max=TITLE_MAX))
    description = Paragraphs(required=True, validate=validate.Length(min=1, max=DESCRIPTION_MAX))
    skill = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=TITLE_MAX))
    member_price = fields.String(
        required=True, validate=POUNDS, metadata={"description": 'Pounds as a decimal string, "0" for free: "25.00".'}
    )
    public_price = fields.String(load_default=None, allow_none=True, validate=POUNDS)
    vat_rate = fields.String(load_default=VatRate.STANDARD.value, validate=validate.OneOf([r.value for r in VatRate]))
    hours_available = fields.Integer(
        load_default=None, allow_none=True, strict=True, validate=validate.Range(min=1, max=HOURS_MAX)
    )
    hours_period = fields.String(
        load_default=None, allow_none=True, validate=validate.OneOf([p.value for p in HoursPeriod])
    )
    free_cancel_days = fields.Integer(load_default=2, strict=True, validate=validate.Range(min=0, max=365))
    cancel_fee_percent = fields.Integer(load_default=0, strict=True, validate=validate.Range(min=0, max=100))


class ListingCreateSchema(ListingUpdateSchema):
    member_id = fields.Integer(required=True, strict=True)
    kind = fields.String(required=True, validate=validate.OneOf(KINDS))


class SlotInSchema(Schema):
    starts_at = fields.AwareDateTime(required=True)
    ends_at = fields.AwareDateTime(required=True)


class SlotsInSchema(Schema):
    slots = fields.List(fields.Nested(SlotInSchema), required=True, validate=validate.Length(min=1, max=SLOTS_MAX))


class SlotsSchema(Schema):
    items = fields.List(fields.Nested(SlotSchema), required=True)


class BookingQuerySchema(Schema):
    status = fields.String(validate=validate.OneOf([s.value for s in BookingStatus]))
    page = fields.Integer()
    per_page = fields.Integer()


class BookingSchema(Schema):
    id = fields.Integer(required=True)
    listing_id = fields.Integer(required=True)
    buyer_id = fields.Integer(required=True)
    buyer_name = fields.Function(lambda b: b.buyer.name, required=True)
    seller_id = fields.Integer(required=True)
    seller_name = fields.Function(lambda b: b.seller.name, required=True)
    status = _value("status", BookingStatus)
    starts_on = fields.Date(required=True)
    quantity = fields.Integer(required=True)
    description = fields.String(required=True)
    unit_price = fields.Decimal(required=True, **PRICE)
    net_pence = fields.Integer(required=True)
    fee_pence = fields.Integer(required=True)
    pay_directly = fields.Boolean(required=True)
    note = fields.String(required=True, allow_none=True)
    reason = fields.String(required=True, allow_none=True)
    buyer_confirmed_at = fields.AwareDateTime(required=True, allow_none=True)
    seller_confirmed_at = fields.AwareDateTime(required=True, allow_none=True)
    created_at = fields.AwareDateTime(required=True)


class BookingCreateSchema(Schema):
    listing_id = fields.Integer(required=True, strict=True)
    buyer_id = fields.Integer(required=True, strict=True)
    slot_ids = fields.List(fields.Integer(strict=True), load_default=list, validate=validate.Length(max=SLOTS_MAX))
    hours = fields.Integer(
        load_default=None, allow_none=True, strict=True, validate=validate.Range(min=1, max=HOURS_MAX)
    )
    starts_on = fields.Date(load_default=None, allow_none=True)
    pay_directly = fields.Boolean(load_default=False)
    note = Paragraphs(load_default=None, allow_none=True, validate=validate.Length(max=NOTE_MAX))


class TradeReasonSchema(Schema):
    reason = Paragraphs(load_default=None, allow_none=True, validate=validate.Length(max=NOTE_MAX))


class ResolveSchema(Schema):
    delivered = fields.Boolean(
        required=True, metadata={"description": "True: delivered, the seller invoices; false: cancelled, no fee."}
    )
    reason = Paragraphs(required=True, validate=validate.Length(min=1, max=NOTE_MAX))


class TradeInvoiceLineSchema(Schema):
    description = fields.String(required=True)
    quantity = fields.Integer(required=True)
    unit_price = fields.Decimal(required=True, **PRICE)
    vat_rate = _value("vat_rate", VatRate)
    net_pence = fields.Integer(required=True)


class TradeInvoiceSchema(Schema):
    id = fields.Integer(required=True)
    number = fields.String(required=True)
    booking_id = fields.Integer(required=True)
    seller_id = fields.Integer(required=True)
    seller_name = fields.String(required=True)
    seller_vat_number = fields.String(required=True, allow_none=True)
    buyer_id = fields.Integer(required=True)
    buyer_name = fields.String(required=True)
    status = _value("status", TradeInvoiceStatus)
    issue_date = fields.Date(required=True)
    supply_date = fields.Date(required=True)
    due_date = fields.Date(required=True)
    net_pence = fields.Integer(required=True)
    vat_pence = fields.Integer(required=True)
    total_pence = fields.Integer(required=True)
    pay_directly = fields.Boolean(required=True)
    clearing_number = fields.Function(
        lambda i: i.clearing_run.number if i.clearing_run else None, required=True, allow_none=True
    )
    settled_on = fields.Date(required=True, allow_none=True)
    lines = fields.List(fields.Nested(TradeInvoiceLineSchema), required=True)


class TermsSchema(Schema):
    consortium_id = fields.Integer(dump_only=True)
    approval_required = fields.Boolean(required=True)
    listing_days = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=730))
    monthly_limit = fields.Integer(
        required=True,
        allow_none=True,
        strict=True,
        validate=validate.Range(min=1, max=1000),
        metadata={"description": "At most this many bookings of one listing per member per month; null: no limit."},
    )
    clearing = fields.Boolean(
        required=True, metadata={"description": "Whether the month's trade is cleared by netting."}
    )
    net_debit_limit_pence = fields.Integer(
        required=True,
        allow_none=True,
        strict=True,
        validate=validate.Range(min=0, max=10**11),
        metadata={"description": "A member further in debit than this books only by paying directly."},
    )


class ClearingPositionSchema(Schema):
    member_id = fields.Integer(required=True)
    member_name = fields.Function(lambda p: p.member.name, required=True)
    owed_pence = fields.Integer(required=True)
    owes_pence = fields.Integer(required=True)
    net_pence = fields.Integer(
        required=True, metadata={"description": "Positive: received from the clearing account; negative: paid in."}
    )


class ClearingSchema(Schema):
    id = fields.Integer(required=True)
    consortium_id = fields.Integer(required=True)
    number = fields.Integer(required=True)
    month = fields.Date(required=True)
    invoice_count = fields.Integer(required=True)
    cleared_pence = fields.Integer(required=True)
    created_at = fields.AwareDateTime(required=True)


class ClearingDetailSchema(ClearingSchema):
    positions = fields.List(fields.Nested(ClearingPositionSchema), required=True)


class ClearingCreateSchema(Schema):
    consortium_id = fields.Integer(required=True, strict=True)
    month = fields.Date(required=True, metadata={"description": "Any day of the month to clear; it must have ended."})


class StandingSchema(Schema):
    member_id = fields.Function(lambda s: s.member.id, required=True)
    member_name = fields.Function(lambda s: s.member.name, required=True)
    debit_pence = fields.Integer(
        required=True, metadata={"description": "What the member owes less what it is owed, on uncleared invoices."}
    )
    limit_pence = fields.Integer(
        required=True, allow_none=True, metadata={"description": "Its limit (own or the consortium's); null: none."}
    )
    own_limit = fields.Boolean(required=True, metadata={"description": "Whether the secretary set its own limit."})
    headroom_pence = fields.Integer(
        required=True, allow_none=True, metadata={"description": "What it may still book through clearing."}
    )


class LimitSchema(Schema):
    limit_pence = fields.Integer(
        required=True,
        allow_none=True,
        strict=True,
        validate=validate.Range(min=0, max=LIMIT_MAX_PENCE),
        metadata={"description": "The member's own net debit limit; null: the consortium's applies."},
    )
