"""JSON shapes of invoices, credit notes, payments and statements."""

from marshmallow import Schema, fields, validate

from kernel.api import PRICE


class DocumentLineSchema(Schema):
    position = fields.Integer(required=True)
    kind = fields.Function(lambda line: line.kind.value, required=True)
    description = fields.String(required=True)
    quantity = fields.Integer(required=True)
    unit_price = fields.Decimal(required=True, **PRICE)
    vat_rate = fields.Function(lambda line: line.vat_rate.value, required=True)
    net_pence = fields.Integer(required=True)


class InvoiceLineSchema(DocumentLineSchema):
    id = fields.Integer(required=True)


class VatLineSchema(Schema):
    vat_rate = fields.Function(lambda v: v.vat_rate.value, required=True)
    net_pence = fields.Integer(required=True)
    vat_pence = fields.Integer(required=True)


class PartySchema(Schema):
    name = fields.String(required=True)
    address = fields.String(required=True)
    vat_number = fields.String(allow_none=True, required=True)


def _party(prefix: str):
    return fields.Function(
        lambda d: {
            "name": getattr(d, f"{prefix}_name"),
            "address": getattr(d, f"{prefix}_address"),
            "vat_number": getattr(d, f"{prefix}_vat_number"),
        },
        required=True,
    )


class InvoiceSummarySchema(Schema):
    id = fields.Integer(required=True)
    number = fields.String(required=True)
    status = fields.Function(lambda i: i.status.value, required=True)
    consortium_id = fields.Integer(required=True)
    member_id = fields.Integer(required=True)
    purchase_order_id = fields.Integer(allow_none=True, required=True)
    issue_date = fields.Date(required=True)
    supply_date = fields.Date(required=True)
    due_date = fields.Date(required=True)
    reference = fields.String(required=True)
    net_pence = fields.Integer(required=True)
    vat_pence = fields.Integer(required=True)
    total_pence = fields.Integer(required=True)
    credited_pence = fields.Integer(required=True)
    paid_pence = fields.Integer(required=True)
    due_pence = fields.Integer(required=True)


class InvoiceSchema(InvoiceSummarySchema):
    seller = _party("seller")
    buyer = _party("buyer")
    lines = fields.List(fields.Nested(InvoiceLineSchema), required=True)
    vat_breakdown = fields.List(fields.Nested(VatLineSchema), attribute="vat_lines", required=True)


class CreditNoteSchema(Schema):
    id = fields.Integer(required=True)
    number = fields.String(required=True)
    invoice_id = fields.Integer(required=True)
    invoice_number = fields.Function(lambda n: n.invoice.number, required=True)
    issue_date = fields.Date(required=True)
    reason = fields.String(required=True)
    net_pence = fields.Integer(required=True)
    vat_pence = fields.Integer(required=True)
    total_pence = fields.Integer(required=True)
    lines = fields.List(fields.Nested(DocumentLineSchema), required=True)
    vat_breakdown = fields.List(fields.Nested(VatLineSchema), attribute="vat_lines", required=True)


class PaymentSchema(Schema):
    id = fields.Integer(required=True)
    invoice_id = fields.Integer(required=True)
    amount_pence = fields.Integer(required=True)
    method = fields.Function(lambda p: p.method.value, required=True)
    received_on = fields.Date(required=True)
    reference = fields.String(required=True)


class PaymentInSchema(Schema):
    amount_pence = fields.Integer(
        required=True,
        strict=True,
        validate=validate.Range(min=1, max=1_000_000_000),
        metadata={"description": "Up to £10,000,000, as the payment form allows."},
    )
    received_on = fields.Date(required=True)
    reference = fields.String(required=True, validate=validate.Length(min=1, max=140))


class CreditItemSchema(Schema):
    line_id = fields.Integer(required=True, strict=True)
    quantity = fields.Integer(strict=True, allow_none=True, load_default=None, validate=validate.Range(min=1))


class CreditNoteInSchema(Schema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=500))
    lines = fields.List(
        fields.Nested(CreditItemSchema),
        load_default=None,
        metadata={"description": "Lines to credit; omit to credit the whole invoice."},
    )


class CheckoutSchema(Schema):
    url = fields.String(required=True)


class StatementEntrySchema(Schema):
    on = fields.Date(required=True)
    kind = fields.String(required=True)
    number = fields.String(required=True)
    description = fields.String(required=True)
    amount_pence = fields.Integer(required=True)
    invoice_id = fields.Integer(required=True)


class StatementSchema(Schema):
    member_id = fields.Function(lambda s: s.member.id, required=True)
    balance_pence = fields.Integer(required=True)
    due_pence = fields.Integer(required=True)
    overdue_pence = fields.Integer(required=True)
    entries = fields.List(fields.Nested(StatementEntrySchema), required=True)


class StatementQuerySchema(Schema):
    member_id = fields.Integer()


class InvoiceQuerySchema(Schema):
    status = fields.String(validate=validate.OneOf(["issued", "part_paid", "paid", "credited"]))
    page = fields.Integer()
    per_page = fields.Integer()


class ReminderSchema(Schema):
    """A reminder as written to the outbox; the sender delivers it."""

    id = fields.Integer(required=True)
    to_email = fields.Email(required=True)
    subject = fields.String(required=True)
    created_at = fields.AwareDateTime(required=True)
