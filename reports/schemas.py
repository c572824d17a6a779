"""The reports over JSON: money as integer pence (net of VAT), percentages as one-place decimal strings."""

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from kernel.api import DecimalFormat
from reports.savings import KINDS

# One-place decimal strings; null where there is nothing to take a percentage of.
PERCENT: DecimalFormat = {"as_string": True, "places": 1}


class SavingsQuerySchema(Schema):
    scope = fields.String(
        required=True,
        validate=validate.OneOf(KINDS),
        metadata={"description": "member, network, consortium or platform"},
    )
    id = fields.Integer(
        validate=validate.Range(min=1),
        metadata={"description": "The member's, network's or consortium's id; none for the platform"},
    )

    @validates_schema
    def id_matches_scope(self, data, **kwargs):
        if data["scope"] == "platform" and "id" in data:
            raise ValidationError("The platform report takes no id.", "id")
        if data["scope"] != "platform" and "id" not in data:
            raise ValidationError(f"Say which {data['scope']}.", "id")


class SupplierReportQuerySchema(Schema):
    id = fields.Integer(
        validate=validate.Range(min=1),
        metadata={"description": "The supplier's id; required for admins and for users acting for several suppliers"},
    )


class SavingsFiguresSchema(Schema):
    invoices = fields.Integer(required=True)
    units = fields.Integer(required=True, metadata={"description": "Units invoiced less units credited"})
    list_value_pence = fields.Integer(
        required=True, metadata={"description": "The units at the offer's list price when ordered, net of VAT"}
    )
    spend_pence = fields.Integer(required=True, metadata={"description": "Invoiced net of VAT, less credit notes' net"})
    saving_pence = fields.Integer(required=True, metadata={"description": "list_value_pence - spend_pence"})
    saving_percent = fields.Decimal(
        required=True, allow_none=True, metadata={"description": "Of list value; null without one"}, **PERCENT
    )
    buy_social_pence = fields.Integer(required=True, metadata={"description": "Spend with social-enterprise suppliers"})
    buy_social_percent = fields.Decimal(
        required=True, allow_none=True, metadata={"description": "Of spend; null without spend"}, **PERCENT
    )


class SavingsRowSchema(Schema):
    key = fields.String(
        required=True,
        metadata={
            "description": "The id of the category, supplier, consortium, network or member, or the month as 2026-05"
        },
    )
    label = fields.String(required=True)
    buy_social = fields.Boolean(allow_none=True, metadata={"description": "Suppliers only: a social enterprise"})
    figures = fields.Nested(SavingsFiguresSchema, required=True)


class ReportScopeSchema(Schema):
    kind = fields.String(required=True)
    id = fields.Integer(required=True, allow_none=True)
    name = fields.String(required=True)
    child_kind = fields.String(required=True, allow_none=True, metadata={"description": "What by_child breaks down by"})


class RebateFiguresSchema(Schema):
    credited_pence = fields.Integer(
        required=True, metadata={"description": "Rebate shares credited on invoices: already net in the spend"}
    )
    paid_pence = fields.Integer(required=True, metadata={"description": "Rebate shares paid to members"})
    realised_pence = fields.Integer(required=True)


class SavingsReportSchema(Schema):
    scope = fields.Nested(ReportScopeSchema, required=True)
    rebates = fields.Nested(RebateFiguresSchema, required=True)
    totals = fields.Nested(SavingsFiguresSchema, required=True)
    pools_joined = fields.Integer(required=True)
    by_category = fields.List(fields.Nested(SavingsRowSchema), required=True)
    by_month = fields.List(
        fields.Nested(SavingsRowSchema),
        required=True,
        metadata={"description": "Every month from the first invoice to the last, quiet months included"},
    )
    by_supplier = fields.List(fields.Nested(SavingsRowSchema), required=True)
    by_child = fields.List(fields.Nested(SavingsRowSchema), required=True)


class SalesVolumeSchema(Schema):
    invoices = fields.Integer(required=True)
    units = fields.Integer(required=True)
    value_pence = fields.Integer(
        required=True,
        attribute="spend_pence",
        metadata={"description": "Invoiced for the supplier's goods and delivery, net of VAT and credit notes"},
    )


class SalesRowSchema(Schema):
    key = fields.String(required=True)
    label = fields.String(required=True)
    figures = fields.Nested(SalesVolumeSchema, required=True)


class SalesCellSchema(Schema):
    consortium_id = fields.Integer(required=True)
    consortium = fields.String(required=True)
    offer_id = fields.Integer(required=True)
    offer = fields.String(required=True)
    unit = fields.String(required=True)
    month = fields.String(required=True)
    invoices = fields.Integer(required=True)
    units = fields.Integer(required=True)
    value_pence = fields.Integer(required=True)


class SalesSupplierSchema(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)


class SupplierReportSchema(Schema):
    supplier = fields.Nested(SalesSupplierSchema, required=True)
    totals = fields.Nested(SalesVolumeSchema, required=True)
    by_consortium = fields.List(fields.Nested(SalesRowSchema), required=True)
    by_month = fields.List(fields.Nested(SalesRowSchema), required=True)
    by_offer = fields.List(fields.Nested(SalesRowSchema), required=True)
    cells = fields.List(
        fields.Nested(SalesCellSchema), required=True, metadata={"description": "One per consortium, offer and month"}
    )
