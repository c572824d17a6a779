"""JSON shapes of frameworks, their lots, call-offs and consumption."""

from marshmallow import Schema, fields, validate

from frameworks.models import CallOffStatus, FrameworkStatus, Route
from frameworks.services import (
    MAX_CEILING_PENCE,
    MAX_EXTENSION_MONTHS,
    MAX_EXTENSIONS,
    MAX_LOTS,
    MAX_QUANTITY,
    MAX_TIERS,
    remaining_pence,
)
from kernel.api import PRICE, DecimalFormat, Paragraphs

PERCENT: DecimalFormat = {"as_string": True, "places": 2}


class FrameworkTierSchema(Schema):
    min_quantity = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=MAX_QUANTITY))
    unit_price = fields.Decimal(required=True, **PRICE)


class FrameworkLotInSchema(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    unit_singular = fields.String(required=True, validate=validate.Length(min=1, max=30))
    unit_plural = fields.String(required=True, validate=validate.Length(min=1, max=30))
    tiers = fields.List(
        fields.Nested(FrameworkTierSchema),
        required=True,
        validate=validate.Length(min=1, max=MAX_TIERS),
        metadata={"description": "By increasing quantity, the first from 1; one tier is a fixed rate."},
    )
    supplier_id = fields.Integer(
        strict=True,
        load_default=None,
        allow_none=True,
        metadata={"description": "One of the framework's suppliers, the lot's only one; null: any of them."},
    )


class FrameworkLotSchema(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    unit_singular = fields.String(required=True)
    unit_plural = fields.String(required=True)
    tiers = fields.List(fields.Nested(FrameworkTierSchema), required=True)
    supplier_id = fields.Integer(allow_none=True, required=True)


class FrameworkPartySchema(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)


class FrameworkTermsSchema(Schema):
    """The terms every framework is made on, by hand or by a tender's award."""

    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    starts_on = fields.Date(required=True)
    ends_on = fields.Date(required=True)
    ceiling_pence = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=MAX_CEILING_PENCE))
    allowance_percent = fields.Decimal(
        required=True, as_string=True, metadata={"description": "From 0 to 100, up to 2 decimal places."}
    )
    fee_percent = fields.Decimal(
        required=True, as_string=True, metadata={"description": "Of each call-off's net value: 0 to 100, 2 places."}
    )
    route = fields.String(required=True, validate=validate.OneOf([r.value for r in Route]))


class FrameworkInSchema(FrameworkTermsSchema):
    reference = fields.String(
        load_default=None, validate=validate.Length(max=30), metadata={"description": "Made up when left out."}
    )
    consortium_ids = fields.List(
        fields.Integer(strict=True),
        load_default=list,
        validate=validate.Length(max=50),
        metadata={"description": "One consortium (its secretary), several or none: national (admins only)."},
    )
    supplier_ids = fields.List(fields.Integer(strict=True), required=True, validate=validate.Length(min=1, max=50))
    lots = fields.List(
        fields.Nested(FrameworkLotInSchema), required=True, validate=validate.Length(min=1, max=MAX_LOTS)
    )
    extensions_allowed = fields.Integer(strict=True, load_default=0, validate=validate.Range(min=0, max=MAX_EXTENSIONS))
    extension_months = fields.Integer(
        strict=True, load_default=0, validate=validate.Range(min=0, max=MAX_EXTENSION_MONTHS)
    )


class FrameworkSchema(Schema):
    id = fields.Integer(required=True)
    reference = fields.String(required=True)
    name = fields.String(required=True)
    status = fields.Function(lambda f: f.status.value, required=True)
    route = fields.Function(lambda f: f.route.value, required=True)
    is_national = fields.Boolean(required=True)
    consortia = fields.List(fields.Nested(FrameworkPartySchema), required=True)
    suppliers = fields.List(fields.Nested(FrameworkPartySchema), required=True)
    lots = fields.List(fields.Nested(FrameworkLotSchema), required=True)
    extensions_allowed = fields.Integer(required=True)
    extension_months = fields.Integer(required=True)
    extensions_used = fields.Integer(required=True)
    ceiling_pence = fields.Integer(required=True)
    allowance_percent = fields.Decimal(required=True, **PERCENT)
    fee_percent = fields.Decimal(required=True, **PERCENT)
    consumed_pence = fields.Integer(required=True)
    remaining_pence = fields.Function(remaining_pence, required=True)
    source_tender_id = fields.Integer(allow_none=True, required=True)
    end_reason = fields.String(allow_none=True, required=True)


class FrameworkQuerySchema(Schema):
    status = fields.String(validate=validate.OneOf([s.value for s in FrameworkStatus]))


class FrameworkReasonSchema(Schema):
    reason = Paragraphs(required=True, validate=validate.Length(min=1, max=500))


class FrameworkExtensionSchema(Schema):
    id = fields.Integer(required=True)
    from_ends_on = fields.Date(required=True)
    to_ends_on = fields.Date(required=True)
    extended_at = fields.DateTime(required=True)


class CallOffInSchema(Schema):
    lot_id = fields.Integer(required=True, strict=True)
    member_id = fields.Integer(
        strict=True, load_default=None, metadata={"description": "Needed when the caller acts for several members."}
    )
    supplier_id = fields.Integer(
        strict=True, load_default=None, metadata={"description": "Needed when the framework has several suppliers."}
    )
    quantity = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=MAX_QUANTITY))


class CallOffSchema(Schema):
    id = fields.Integer(required=True)
    number = fields.String(required=True)
    framework_id = fields.Integer(required=True)
    lot_id = fields.Integer(required=True)
    lot_name = fields.String(required=True)
    member_id = fields.Integer(required=True)
    member_name = fields.Function(lambda c: c.member.name, required=True)
    supplier_id = fields.Integer(required=True)
    status = fields.Function(lambda c: c.status.value, required=True)
    quantity = fields.Integer(required=True)
    unit_singular = fields.String(required=True)
    unit_plural = fields.String(required=True)
    unit_price = fields.Decimal(required=True, **PRICE)
    net_pence = fields.Integer(required=True)
    fee_pence = fields.Integer(required=True, metadata={"description": "The management fee due to the consortium."})
    placed_at = fields.DateTime(required=True)
    confirmed_at = fields.DateTime(allow_none=True, required=True)
    delivered_at = fields.DateTime(allow_none=True, required=True)
    invoice_id = fields.Integer(allow_none=True, required=True)
    cancel_reason = fields.String(allow_none=True, required=True)


class CallOffQuerySchema(Schema):
    status = fields.String(validate=validate.OneOf([s.value for s in CallOffStatus]))


class FrameworkConsumptionRowSchema(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    units = fields.Integer(required=True)
    ordered_pence = fields.Integer(required=True)
    delivered_pence = fields.Integer(required=True)
    invoiced_pence = fields.Integer(required=True)


class FrameworkConsumptionSchema(Schema):
    framework_id = fields.Integer(required=True)
    ceiling_pence = fields.Integer(required=True)
    limit_pence = fields.Integer(required=True, metadata={"description": "The ceiling with its allowance."})
    ordered_pence = fields.Integer(required=True)
    remaining_pence = fields.Integer(required=True)
    lots = fields.List(fields.Nested(FrameworkConsumptionRowSchema), required=True)
    members = fields.List(fields.Nested(FrameworkConsumptionRowSchema), required=True)
    page = fields.Integer(required=True)
    per_page = fields.Integer(required=True)
    total = fields.Integer(required=True, metadata={"description": "Members with call-offs; `members` is a page."})
