"""JSON shapes of rebate agreements, their tiers and claim, and members' shares."""

from marshmallow import Schema, fields, validate, validates_schema
from marshmallow.exceptions import ValidationError

from kernel.api import DecimalFormat
from rebates.calculation import Basis, Method
from rebates.models import RebateStatus, ShareRoute
from rebates.services import MAX_PENCE, MAX_THRESHOLD, MAX_TIERS

PERCENT: DecimalFormat = {"as_string": True, "places": 2}


class RebateTierSchema(Schema):
    threshold = fields.Integer(
        required=True,
        strict=True,
        validate=validate.Range(min=0, max=MAX_THRESHOLD),
        metadata={"description": "From this much: pence of net spend, or units."},
    )
    rate = fields.String(
        required=True,
        validate=validate.Length(min=1, max=20),
        metadata={"description": 'Percent of spend (basis spend) or pence per unit (basis units), as "2.5000".'},
    )


class RebateShareSchema(Schema):
    member_id = fields.Integer(required=True)
    member_name = fields.String(required=True, attribute="member.name")
    spend_pence = fields.Integer(required=True)
    units = fields.Integer(required=True)
    share_pence = fields.Integer(allow_none=True, required=True)
    route = fields.Function(lambda s: s.route.value if s.route else None, required=True, allow_none=True)
    credit_note_id = fields.Integer(allow_none=True, required=True)
    paid_reference = fields.String(allow_none=True, required=True)


class MyRebateShareSchema(RebateShareSchema):
    rebate_agreement_id = fields.Integer(required=True)
    agreement_name = fields.String(required=True, attribute="agreement.name")
    status = fields.Function(lambda s: s.agreement.status.value, required=True)


class RebateClaimLineSchema(Schema):
    consortium = fields.String(required=True)
    members = fields.Integer(required=True)
    spend_pence = fields.Integer(required=True)
    units = fields.Integer(required=True)


class RebateAgreementSchema(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    supplier_id = fields.Integer(required=True)
    supplier_name = fields.String(required=True, attribute="supplier.name")
    consortium_id = fields.Integer(allow_none=True, required=True)
    network_id = fields.Integer(allow_none=True, required=True)
    category_id = fields.Integer(allow_none=True, required=True)
    offer_ids = fields.Function(lambda a: [o.id for o in a.offers], required=True)
    basis = fields.Function(lambda a: a.basis.value, required=True)
    method = fields.Function(lambda a: a.method.value, required=True)
    period_start = fields.Date(required=True)
    period_end = fields.Date(required=True)
    tiers = fields.List(fields.Nested(RebateTierSchema), required=True)
    share_route = fields.Function(lambda a: a.share_route.value, required=True)
    retention_percent = fields.Decimal(required=True, **PERCENT)
    retention_note = fields.String(allow_none=True, required=True)
    retention_set_by_id = fields.Integer(allow_none=True, required=True)
    status = fields.Function(lambda a: a.status.value, required=True)
    spend_pence = fields.Integer(allow_none=True, required=True)
    units = fields.Integer(allow_none=True, required=True)
    tier_threshold = fields.Integer(allow_none=True, required=True)
    rebate_pence = fields.Integer(allow_none=True, required=True)
    received_pence = fields.Integer(allow_none=True, required=True)
    received_on = fields.Date(allow_none=True, required=True)
    retained_pence = fields.Integer(allow_none=True, required=True)
    claim = fields.List(fields.Nested(RebateClaimLineSchema), required=True)


class RebateAgreementCreateSchema(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    supplier_id = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=2**31 - 1))
    consortium_id = fields.Integer(
        load_default=None,
        allow_none=True,
        strict=True,
        validate=validate.Range(min=1, max=2**31 - 1),
        metadata={"description": "None for a national agreement (admins only)."},
    )
    network_id = fields.Integer(
        load_default=None, allow_none=True, strict=True, validate=validate.Range(min=1, max=2**31 - 1)
    )
    category_id = fields.Integer(
        load_default=None, allow_none=True, strict=True, validate=validate.Range(min=1, max=2**31 - 1)
    )
    offer_ids = fields.List(
        fields.Integer(strict=True, validate=validate.Range(min=1, max=2**31 - 1)),
        load_default=list,
        validate=validate.Length(max=50),
    )
    basis = fields.String(required=True, validate=validate.OneOf([b.value for b in Basis]))
    method = fields.String(required=True, validate=validate.OneOf([m.value for m in Method]))
    period_start = fields.Date(required=True)
    period_end = fields.Date(required=True)
    tiers = fields.List(fields.Nested(RebateTierSchema), required=True, validate=validate.Length(min=1, max=MAX_TIERS))
    share_route = fields.String(load_default="credit_note", validate=validate.OneOf([r.value for r in ShareRoute]))
    retention_percent = fields.String(
        load_default="0", validate=validate.Length(min=1, max=20), metadata={"description": 'A percent, as "10.00".'}
    )
    retention_note = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=500))

    @validates_schema
    def _period(self, data, **kwargs):
        if data.get("period_start") and data.get("period_end") and data["period_end"] < data["period_start"]:
            raise ValidationError("The period ends on or after its start.", "period_end")


class RebateReceivedSchema(Schema):
    amount_pence = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=MAX_PENCE))
    received_on = fields.Date(required=True)
    reference = fields.String(required=True, validate=validate.Length(min=1, max=140))


class RebateRetentionSchema(Schema):
    retention_percent = fields.String(
        required=True, validate=validate.Length(min=1, max=20), metadata={"description": 'A percent, as "10.00".'}
    )
    retention_note = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=500))


class RebateQuerySchema(Schema):
    status = fields.String(validate=validate.OneOf([s.value for s in RebateStatus]))
    page = fields.Integer()
    per_page = fields.Integer()


class RebateCancelSchema(Schema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=500))
