"""JSON shapes of invoices, credit notes, payments and statements."""

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from billing.services import held_as_credit_pence, standing_of
from billing.standing import BAND_KEYS, FILTERS, STATES
from kernel.api import PRICE, Paragraphs
from orders.schemas import VatLineSchema


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
    state = fields.Function(
        lambda i: standing_of(i).state,
        required=True,
        metadata={"enum": list(STATES), "description": "The status, or overdue when still owed after the due date."},
    )
    days_overdue = fields.Function(
        lambda i: standing_of(i).days_overdue, required=True, metadata={"description": "0 unless overdue."}
    )
    held_as_credit_pence = fields.Function(
        held_as_credit_pence,
        required=True,
        metadata={"description": "Paid beyond the invoice's total: held as credit on the member's account."},
    )


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
    reason = Paragraphs(required=True, validate=validate.Length(min=1, max=500))
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
    balance_pence = fields.Integer(required=True, metadata={"description": "The balance after this entry."})


class StatementSchema(Schema):
    member_id = fields.Function(lambda s: s.member.id, required=True)
    from_date = fields.Date(required=True, allow_none=True, metadata={"description": "None: from the first entry."})
    to_date = fields.Date(required=True, allow_none=True, metadata={"description": "None: to the last entry."})
    opening_balance_pence = fields.Integer(required=True)
    closing_balance_pence = fields.Integer(required=True)
    balance_pence = fields.Integer(required=True, metadata={"description": "The closing balance."})
    due_pence = fields.Integer(required=True)
    overdue_pence = fields.Integer(required=True)
    entries = fields.List(fields.Nested(StatementEntrySchema), required=True)


class PeriodQuerySchema(Schema):
    """A period of days, both ends included; the end is not before the start."""

    from_date = fields.Date()
    to_date = fields.Date()

    @validates_schema
    def _in_order(self, data, **kwargs) -> None:
        if "from_date" in data and "to_date" in data and data["to_date"] < data["from_date"]:
            raise ValidationError("The end of the period cannot be before its start.", "to_date")


class StatementQuerySchema(PeriodQuerySchema):
    member_id = fields.Integer()


class InvoiceQuerySchema(Schema):
    status = fields.String(
        validate=validate.OneOf(FILTERS),
        metadata={"description": "unpaid is issued, part paid and overdue together."},
    )
    page = fields.Integer()
    per_page = fields.Integer()


class PaymentsQuerySchema(PeriodQuerySchema):
    page = fields.Integer()
    per_page = fields.Integer()


class ReceivedPaymentSchema(Schema):
    id = fields.Integer(required=True)
    received_on = fields.Date(required=True)
    member_id = fields.Integer(required=True)
    member_name = fields.Function(lambda p: p.invoice.buyer_name, required=True)
    invoice_id = fields.Integer(required=True)
    invoice_number = fields.Function(lambda p: p.invoice.number, required=True)
    method = fields.Function(lambda p: p.method.value, required=True)
    reference = fields.String(required=True)
    amount_pence = fields.Integer(required=True, metadata={"description": "A refund is negative."})


class _Paged(Schema):
    """A page of rows (`items`) with the whole list's facts; `?page=` and `?per_page=` are documented."""

    is_page = True
    page = fields.Integer(required=True)
    per_page = fields.Integer(required=True)
    total = fields.Integer(required=True)


class PaymentsReceivedSchema(_Paged):
    items = fields.List(fields.Nested(ReceivedPaymentSchema), required=True)
    from_date = fields.Date(required=True)
    to_date = fields.Date(required=True)
    total_pence = fields.Integer(required=True, metadata={"description": "Every row's, not one page's."})


class AgedBandsSchema(Schema):
    current_pence = fields.Integer(required=True, metadata={"description": "Not yet past its due date."})
    days_1_30_pence = fields.Integer(required=True)
    days_31_60_pence = fields.Integer(required=True)
    days_61_90_pence = fields.Integer(required=True)
    over_90_days_pence = fields.Integer(required=True)
    total_pence = fields.Integer(required=True)


class MemberDebtSchema(AgedBandsSchema):
    member_id = fields.Integer(required=True)
    member_name = fields.String(required=True)


class AgedDebtSchema(_Paged):
    items = fields.List(fields.Nested(MemberDebtSchema), required=True)
    consortium_id = fields.Integer(required=True)
    as_of = fields.Date(required=True)
    totals = fields.Nested(AgedBandsSchema, required=True, metadata={"description": "Every member's, not one page's."})


def aged_bands(bands: tuple[int, ...]) -> dict[str, int]:
    """The bands of an aged-debt row by name, with their total."""
    return dict(zip(BAND_KEYS, bands, strict=True)) | {"total_pence": sum(bands)}


class ReminderSchema(Schema):
    """A reminder as written to the outbox; the sender delivers it."""

    id = fields.Integer(required=True)
    to_email = fields.Email(required=True)
    subject = fields.String(required=True)
    created_at = fields.AwareDateTime(required=True)
