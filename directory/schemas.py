"""JSON shapes of the directory: entries and profiles, enquiries, skills and gaps, verifications, spend."""

from marshmallow import Schema, fields, validate

from directory.levels import SkillLevel
from directory.models import MAX_SPARE_HOURS, EnquiryStatus, Outcome
from directory.services import BODY_MAX, EVIDENCE_MAX, NAME_MAX, NOTE_MAX, SEARCH_MAX, SPEND_PER_PAGE, SUBJECT_MAX
from kernel.api import MAX_PAGE, MAX_PER_PAGE, PRICE, Paragraphs, page_schema
from trading.models import ListingKind

LEVELS = [level.value for level in SkillLevel]


class DirectoryQuerySchema(Schema):
    q = fields.String(
        validate=validate.Length(max=SEARCH_MAX),
        metadata={"description": "Words in the name, the supplier description or an offer's name or description."},
    )
    category_id = fields.Integer(metadata={"description": "A catalogue category the enterprise has an offer in."})
    place = fields.String(
        validate=validate.Length(max=SEARCH_MAX), metadata={"description": "A town, or the start of a postcode."}
    )
    verified = fields.Boolean(load_default=False, metadata={"description": "Only those verified today."})
    within = fields.String(
        validate=validate.OneOf(["network", "consortium", "all"]),
        metadata={"description": "Members: network or consortium; admins and those in no consortium see all."},
    )
    listing_kind = fields.String(
        validate=validate.OneOf([k.value for k in ListingKind]),
        metadata={"description": "Only members listing this kind of spare capacity for their peers."},
    )
    page = fields.Integer()
    per_page = fields.Integer()


class ListedOfferSchema(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    category = fields.Function(lambda o: o.category.name, required=True)
    unit = fields.String(required=True)
    list_price = fields.Decimal(required=True, **PRICE)


class MemberListingSchema(Schema):
    """A member's spare capacity for its peers, as the directory shows it; members book it through trading."""

    id = fields.Integer(required=True)
    title = fields.String(required=True)
    kind = fields.Function(lambda listing: listing.kind.value, required=True)
    skill = fields.String(required=True, allow_none=True)
    public_price = fields.Decimal(required=True, allow_none=True, **PRICE)


class EntrySchema(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    city = fields.String(required=True)
    postcode = fields.String(required=True)
    network = fields.String(required=True)
    consortium = fields.String(required=True)
    verified = fields.Boolean(required=True, metadata={"description": "The verified mark shows today."})
    verified_until = fields.Date(allow_none=True, required=True)
    offers = fields.List(fields.Nested(ListedOfferSchema), required=True)
    listings = fields.List(fields.Nested(MemberListingSchema), required=True)


class SpareSchema(Schema):
    category = fields.String(required=True)
    spare_hours_per_month = fields.Integer(required=True)


class ProfileSchema(EntrySchema):
    description = fields.String(allow_none=True, required=True)
    spare = fields.List(
        fields.Nested(SpareSchema), required=True, metadata={"description": "Staff time spare a month, by category."}
    )


class EnquiryInSchema(Schema):
    subject = fields.String(required=True, validate=validate.Length(min=1, max=SUBJECT_MAX))
    body = Paragraphs(required=True, validate=validate.Length(min=1, max=BODY_MAX))


class EnquiryQuerySchema(Schema):
    box = fields.String(load_default="received", validate=validate.OneOf(["received", "sent"]))
    page = fields.Integer()
    per_page = fields.Integer()


class EnquirySchema(Schema):
    id = fields.Integer(required=True)
    member_id = fields.Integer(required=True)
    member_name = fields.Function(lambda e: e.member.name, required=True)
    sender_name = fields.Function(lambda e: e.sender.name, required=True)
    sender_email = fields.Function(lambda e: e.sender.email, required=True)
    subject = fields.String(required=True)
    body = fields.String(required=True)
    status = fields.Function(
        lambda e: e.status.value, required=True, metadata={"enum": [s.value for s in EnquiryStatus]}
    )
    reply = fields.String(allow_none=True, required=True)
    replied_at = fields.AwareDateTime(allow_none=True, required=True)
    outcome = fields.Function(
        lambda e: e.outcome.value if e.outcome else None,
        allow_none=True,
        required=True,
        metadata={"enum": [o.value for o in Outcome]},
    )
    closed_at = fields.AwareDateTime(allow_none=True, required=True)
    created_at = fields.AwareDateTime(required=True)


class ReplyInSchema(Schema):
    reply = Paragraphs(required=True, validate=validate.Length(min=1, max=BODY_MAX))


class CloseInSchema(Schema):
    outcome = fields.String(required=True, validate=validate.OneOf([o.value for o in Outcome]))


class SkillCategoryInSchema(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=80))
    wanted_level = fields.String(load_default=SkillLevel.WORKING.value, validate=validate.OneOf(LEVELS))


class SkillCategorySchema(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    wanted_level = fields.Function(lambda c: c.wanted_level.value, required=True, metadata={"enum": LEVELS})
    active = fields.Boolean(required=True)


class SkillInSchema(Schema):
    person_name = fields.String(required=True, validate=validate.Length(min=1, max=NAME_MAX))
    category_id = fields.Integer(required=True, strict=True)
    level = fields.String(required=True, validate=validate.OneOf(LEVELS))
    spare_hours_per_month = fields.Integer(
        load_default=0, strict=True, validate=validate.Range(min=0, max=MAX_SPARE_HOURS)
    )
    note = fields.String(allow_none=True, load_default=None, validate=validate.Length(max=NOTE_MAX))


class SkillSchema(Schema):
    id = fields.Integer(required=True)
    member_id = fields.Integer(required=True)
    person_name = fields.String(required=True)
    category_id = fields.Integer(required=True)
    category = fields.Function(lambda s: s.category.name, required=True)
    level = fields.Function(lambda s: s.level.value, required=True, metadata={"enum": LEVELS})
    spare_hours_per_month = fields.Integer(required=True)
    note = fields.String(allow_none=True, required=True)


class CoverageSchema(Schema):
    category_id = fields.Integer(required=True)
    name = fields.String(required=True)
    wanted_level = fields.Function(lambda c: c.wanted_level.value, required=True, metadata={"enum": LEVELS})
    people = fields.Integer(required=True)
    best_level = fields.Function(lambda c: c.best_level.value if c.best_level else None, allow_none=True, required=True)
    spare_hours = fields.Integer(required=True)
    gap = fields.String(
        allow_none=True, required=True, metadata={"description": "Why it is a gap: nobody, or below the wanted level."}
    )


class SkillsQuerySchema(Schema):
    network_id = fields.Integer(metadata={"description": "One of the consortium's networks; else the whole."})


class SkillsOverviewSchema(Schema):
    consortium_id = fields.Integer(allow_none=True, required=True, metadata={"description": "None: the platform."})
    network_id = fields.Integer(allow_none=True, required=True, metadata={"description": "None: every network."})
    categories = fields.List(fields.Nested(CoverageSchema), required=True)


class VerificationInSchema(Schema):
    asset_lock = fields.Boolean(required=True)
    mission = fields.Boolean(required=True)
    reinvestment = fields.Boolean(required=True)
    evidence_note = Paragraphs(required=True, validate=validate.Length(min=1, max=EVIDENCE_MAX))
    expires_on = fields.Date(required=True)
    document_base64 = fields.String(
        allow_none=True,
        load_default=None,
        validate=validate.Length(max=7_000_000),
        metadata={"description": "Optional evidence: a PDF, DOCX or ODT, base64-encoded, up to 5 MB."},
    )
    document_name = fields.String(allow_none=True, load_default=None, validate=validate.Length(max=200))


class VerificationSchema(Schema):
    id = fields.Integer(required=True)
    member_id = fields.Integer(required=True)
    asset_lock = fields.Boolean(required=True)
    mission = fields.Boolean(required=True)
    reinvestment = fields.Boolean(required=True)
    criteria_met = fields.Boolean(required=True)
    evidence_note = fields.String(required=True)
    checked_on = fields.Date(required=True)
    expires_on = fields.Date(required=True)
    document_name = fields.String(allow_none=True, required=True)
    document_type = fields.String(allow_none=True, required=True)
    document_size = fields.Integer(allow_none=True, required=True)


class SpendRowSchema(Schema):
    key = fields.String(required=True, metadata={"description": "The consortium's or member's id, or a name."})
    label = fields.String(required=True)
    spend_pence = fields.Integer(required=True)
    social_pence = fields.Integer(required=True, metadata={"description": "Spend with social enterprises"})
    share_percent = fields.Integer(allow_none=True, required=True)


SpendRowPageSchema = page_schema(SpendRowSchema)


class SpendQuerySchema(Schema):
    """As the report's page: `rows_page` pages the consortia or members, `suppliers_page` the social enterprises,
    `per_page` both; the totals and channels are the whole scope's whatever the page."""

    rows_page = fields.Integer(
        load_default=1,
        validate=validate.Range(min=1, max=MAX_PAGE),
        metadata={"description": "Which page of `rows` (the consortia or members); past the last, none."},
    )
    suppliers_page = fields.Integer(
        load_default=1,
        validate=validate.Range(min=1, max=MAX_PAGE),
        metadata={"description": "Which page of `suppliers` (the social enterprises); past the last, none."},
    )
    per_page = fields.Integer(
        load_default=SPEND_PER_PAGE,
        validate=validate.Range(min=1, max=MAX_PER_PAGE),
        metadata={"description": "Rows in a page of each list."},
    )


class SpendSchema(Schema):
    scope = fields.Function(lambda r: r.scope.kind, required=True)
    scope_id = fields.Function(lambda r: r.scope.id, allow_none=True, required=True)
    name = fields.Function(lambda r: r.scope.name, required=True)
    totals = fields.Nested(SpendRowSchema, required=True)
    channels = fields.List(fields.Nested(SpendRowSchema), required=True)
    rows = fields.Nested(
        SpendRowPageSchema,
        required=True,
        metadata={"description": "The consortia (platform) or members with spend, by name: the page `rows_page`"},
    )
    suppliers = fields.Nested(
        SpendRowPageSchema,
        required=True,
        metadata={"description": "The social enterprises bought from, most spend first: the page `suppliers_page`"},
    )
