"""The tenders API's shapes: a tender in and out, questions, sealed bids, the comparison, scores and the trail."""

from marshmallow import Schema, fields, validate

from frameworks.schemas import FrameworkTermsSchema
from frameworks.services import MAX_QUANTITY as MAX_CALL_OFF
from kernel.api import PRICE, Paragraphs
from kernel.lifecycle import REASON_MAX
from tenders.services import (
    MAX_DELIVERY_PENCE,
    MAX_LEAD_TIME_DAYS,
    MAX_LOTS,
    MAX_MINIMUM_BIDS,
    MAX_QUANTITY,
    MAX_QUESTIONS,
    MAX_STANDSTILL_DAYS,
    MAX_TIERS,
    TEXT_MAX,
)

VAT_RATES = ["standard", "reduced", "zero", "exempt"]
PERCENT = validate.Range(min=0, max=100)


class LotInSchema(Schema):
    pool_id = fields.Integer(
        load_default=None,
        allow_none=True,
        metadata={
            "description": "An open or draft pool: its name, unit and pledges make the lot; the rest is ignored."
        },
    )
    name = fields.String(load_default="", validate=validate.Length(max=200))
    unit = fields.String(load_default="", validate=validate.Length(max=30))
    forecast_quantity = fields.Integer(load_default=0, validate=validate.Range(min=0, max=MAX_QUANTITY))
    vat_rate = fields.String(load_default="standard", validate=validate.OneOf(VAT_RATES))


class TenderInSchema(Schema):
    title = fields.String(required=True, validate=validate.Length(min=1, max=200))
    category_id = fields.Integer(required=True)
    consortium_id = fields.Integer(required=True, allow_none=True, metadata={"description": "null: national (admins)"})
    specification = Paragraphs(required=True, validate=validate.Length(min=1, max=TEXT_MAX))
    clarification_deadline = fields.AwareDateTime(required=True)
    submission_deadline = fields.AwareDateTime(required=True)
    lots = fields.List(fields.Nested(LotInSchema), required=True, validate=validate.Length(min=1, max=MAX_LOTS))
    price_weight = fields.Integer(required=True, validate=PERCENT)
    quality_weight = fields.Integer(required=True, validate=PERCENT)
    social_weight = fields.Integer(load_default=0, validate=PERCENT)
    minimum_valid_bids = fields.Integer(load_default=2, validate=validate.Range(min=1, max=MAX_MINIMUM_BIDS))
    standstill_days = fields.Integer(load_default=10, validate=validate.Range(min=0, max=MAX_STANDSTILL_DAYS))
    open_to_all = fields.Boolean(load_default=False)
    supplier_ids = fields.List(fields.Integer(), load_default=list, validate=validate.Length(max=500))
    quality_questions = fields.List(
        fields.String(validate=validate.Length(max=500)), load_default=list, validate=validate.Length(max=MAX_QUESTIONS)
    )


class LotSchema(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    unit = fields.String(required=True)
    forecast_quantity = fields.Integer(required=True)
    vat_rate = fields.Function(lambda lot: lot.vat_rate.value, required=True)
    pool_id = fields.Integer(allow_none=True, required=True)
    awarded_offer_id = fields.Integer(allow_none=True, required=True)


class TenderSchema(Schema):
    id = fields.Integer(required=True)
    title = fields.String(required=True)
    status = fields.Function(lambda t: t.status.value, required=True)
    category_id = fields.Integer(required=True)
    consortium_id = fields.Integer(allow_none=True, required=True)
    specification = fields.String(required=True)
    price_weight = fields.Integer(required=True)
    quality_weight = fields.Integer(required=True)
    social_weight = fields.Integer(required=True)
    clarification_deadline = fields.AwareDateTime(required=True)
    submission_deadline = fields.AwareDateTime(required=True)
    minimum_valid_bids = fields.Integer(required=True)
    standstill_days = fields.Integer(required=True)
    open_to_all = fields.Boolean(required=True)
    quality_questions = fields.List(fields.String(), required=True)
    lots = fields.List(fields.Nested(LotSchema), required=True)
    sealed = fields.Boolean(required=True)
    published_at = fields.AwareDateTime(allow_none=True, required=True)
    opened_at = fields.AwareDateTime(allow_none=True, required=True)
    standstill_ends_at = fields.AwareDateTime(allow_none=True, required=True)
    awarded_at = fields.AwareDateTime(allow_none=True, required=True)
    cancel_reason = fields.String(allow_none=True, required=True)
    unsuccessful_reason = fields.String(allow_none=True, required=True)
    framework_id = fields.Integer(
        allow_none=True, required=True, metadata={"description": "A mini-competition's framework; null otherwise."}
    )
    framework_lot_id = fields.Integer(allow_none=True, required=True)
    call_off_member_id = fields.Integer(allow_none=True, required=True)
    call_off_quantity = fields.Integer(allow_none=True, required=True)
    call_off_id = fields.Integer(
        allow_none=True, required=True, metadata={"description": "The call-off a mini-competition's award placed."}
    )


class ClarificationInSchema(Schema):
    question = Paragraphs(required=True, validate=validate.Length(min=1, max=TEXT_MAX))
    supplier_id = fields.Integer(load_default=None, allow_none=True)


class AnswerInSchema(Schema):
    answer = Paragraphs(required=True, validate=validate.Length(min=1, max=TEXT_MAX))


class ClarificationSchema(Schema):
    id = fields.Integer(required=True)
    question = fields.String(required=True)
    answer = fields.String(allow_none=True, required=True)
    asked_at = fields.AwareDateTime(required=True)
    answered_at = fields.AwareDateTime(allow_none=True, required=True)
    asked_by = fields.String(
        allow_none=True, required=True, metadata={"description": "The asking supplier: shown to the runner only."}
    )


class BidTierSchema(Schema):
    min_quantity = fields.Integer(required=True, validate=validate.Range(min=1, max=MAX_QUANTITY))
    unit_price = fields.Decimal(required=True, **PRICE)


class BidInSchema(Schema):
    supplier_id = fields.Integer(load_default=None, allow_none=True)
    tiers = fields.List(fields.Nested(BidTierSchema), required=True, validate=validate.Length(min=1, max=MAX_TIERS))
    delivery_charge_pence = fields.Integer(load_default=0, validate=validate.Range(min=0, max=MAX_DELIVERY_PENCE))
    lead_time_days = fields.Integer(load_default=0, validate=validate.Range(min=0, max=MAX_LEAD_TIME_DAYS))
    answers = fields.List(Paragraphs(validate=validate.Length(max=TEXT_MAX)), load_default=list)


class BidSchema(Schema):
    id = fields.Integer(required=True)
    lot_id = fields.Integer(required=True)
    supplier_id = fields.Integer(required=True)
    supplier_name = fields.Function(lambda b: b.supplier.name, required=True)
    tiers = fields.List(fields.Nested(BidTierSchema), required=True)
    delivery_charge_pence = fields.Integer(required=True)
    lead_time_days = fields.Integer(required=True)
    answers = fields.List(fields.String(), required=True)
    submitted_at = fields.AwareDateTime(required=True)
    proposed = fields.Boolean(required=True)
    declined_at = fields.AwareDateTime(allow_none=True, required=True)


class ComparedSchema(Schema):
    bid_id = fields.Integer(required=True)
    supplier_id = fields.Integer(required=True)
    supplier_name = fields.String(required=True)
    buy_social = fields.Boolean(required=True)
    lead_time_days = fields.Integer(required=True)
    net_pence = fields.List(fields.Integer(), required=True, metadata={"description": "At -25%, forecast, +25%."})
    gross_pence = fields.List(fields.Integer(), required=True, metadata={"description": "The same with VAT."})
    rank = fields.Integer(allow_none=True, required=True, metadata={"description": "For the runner only."})
    total = fields.Decimal(allow_none=True, required=True, as_string=True, places=2)


class LotComparisonSchema(Schema):
    lot_id = fields.Integer(required=True)
    name = fields.String(required=True)
    quantities = fields.List(fields.Integer(), required=True)
    bids = fields.List(fields.Nested(ComparedSchema), required=True)


class ComparisonSchema(Schema):
    lots = fields.List(fields.Nested(LotComparisonSchema), required=True)


class EvaluatorsInSchema(Schema):
    user_ids = fields.List(fields.Integer(), required=True, validate=validate.Length(min=2, max=50))


class EvaluatorsSchema(Schema):
    user_ids = fields.List(fields.Integer(), required=True)


class ScoreInSchema(Schema):
    quality = fields.Integer(required=True, validate=validate.Range(min=0, max=100))
    note = Paragraphs(load_default=None, allow_none=True, validate=validate.Length(max=TEXT_MAX))


class ScoreSchema(Schema):
    bid_id = fields.Integer(required=True)
    quality = fields.Integer(required=True)
    note = fields.String(allow_none=True, required=True)
    scored_at = fields.AwareDateTime(required=True)


class TenderReasonSchema(Schema):
    reason = Paragraphs(load_default=None, allow_none=True, validate=validate.Length(max=REASON_MAX))


class TenderRecordSchema(Schema):
    at = fields.AwareDateTime(required=True)
    user_id = fields.Integer(allow_none=True, required=True)
    user_name = fields.Function(lambda r: r.user.name if r.user else None, allow_none=True, required=True)
    action = fields.String(required=True)
    detail = fields.String(required=True)


class FrameworkAwardInSchema(FrameworkTermsSchema):
    """A framework made of a tender's winning bids: its lots and suppliers come from the award."""


class MiniCompetitionInSchema(Schema):
    lot_id = fields.Integer(required=True, strict=True)
    member_id = fields.Integer(
        strict=True, load_default=None, allow_none=True, metadata={"description": "Left out: the caller's one member."}
    )
    quantity = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=MAX_CALL_OFF))
    category_id = fields.Integer(required=True, strict=True)
    specification = Paragraphs(required=True, validate=validate.Length(min=1, max=TEXT_MAX))
    clarification_deadline = fields.AwareDateTime(required=True)
    submission_deadline = fields.AwareDateTime(required=True)
    standstill_days = fields.Integer(load_default=0, validate=validate.Range(min=0, max=MAX_STANDSTILL_DAYS))
    price_weight = fields.Integer(load_default=100, validate=PERCENT)
    quality_weight = fields.Integer(load_default=0, validate=PERCENT)
    minimum_valid_bids = fields.Integer(load_default=1, validate=validate.Range(min=1, max=MAX_MINIMUM_BIDS))
    quality_questions = fields.List(
        fields.String(validate=validate.Length(max=500)), load_default=list, validate=validate.Length(max=MAX_QUESTIONS)
    )
