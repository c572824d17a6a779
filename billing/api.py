"""Invoices, credit notes, payments and statements over JSON."""

from flask import Response, current_app

from billing import payments, reminders, services, stripe_gateway
from billing.pdf import invoice_pdf
from billing.schemas import (
    AgedDebtSchema,
    CheckoutSchema,
    CreditNoteInSchema,
    CreditNoteSchema,
    InvoiceQuerySchema,
    InvoiceSchema,
    InvoiceSummarySchema,
    MemberDebtSchema,
    PaymentInSchema,
    PaymentSchema,
    PaymentsQuerySchema,
    PaymentsReceivedSchema,
    ReceivedPaymentSchema,
    ReminderSchema,
    StatementQuerySchema,
    StatementSchema,
    aged_bands,
)
from billing.ubl import invoice_ubl
from kernel.api import PageArgsSchema, api_blueprint, json_body, operation, page_schema, paginated, query_args
from kernel.errors import NotFound, ValidationFailed
from kernel.web import no_store_response
from orders import purchase_orders
from organisations.access import consortium_or_404, member_or_404, require_actor, roles_required
from organisations.models import Role
from organisations.notifications import external_url

bp = api_blueprint("billing_api", __name__)
bp.after_request(no_store_response)  # invoices and their PDFs: nothing for a cache to keep


@bp.get("/invoices")
@roles_required(Role.MEMBER, Role.SECRETARY)
@operation(
    "My invoices, or my consortium's",
    tags=["invoices"],
    query=InvoiceQuerySchema,
    response=page_schema(InvoiceSummarySchema),
    errors=(403,),
)
def list_invoices():
    args = query_args(InvoiceQuerySchema())
    query = services.visible_invoices(require_actor())
    if "status" in args:
        query = services.in_state(query, args["status"])
    return paginated(query, InvoiceSummarySchema())


@bp.get("/invoices/<int:invoice_id>")
@roles_required(Role.MEMBER, Role.SECRETARY)
@operation(
    "One invoice: parties, lines, VAT breakdown, totals, what is paid and due",
    tags=["invoices"],
    response=InvoiceSchema,
    errors=(403,),
)
def get_invoice(invoice_id: int):
    return InvoiceSchema().dump(services.invoice_for(require_actor(), invoice_id))


@bp.get("/invoices/<int:invoice_id>.pdf")
@roles_required(Role.MEMBER, Role.SECRETARY)
@operation(
    "The invoice as a PDF",
    tags=["invoices"],
    errors=(403,),
    content={"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
)
def get_invoice_pdf(invoice_id: int):
    invoice = services.invoice_for(require_actor(), invoice_id)
    return Response(invoice_pdf(invoice), mimetype="application/pdf")


@bp.get("/invoices/<int:invoice_id>.xml")
@roles_required(Role.MEMBER, Role.SECRETARY)
@operation(
    "The invoice as a Peppol BIS Billing 3.0 UBL document; 409 names the Peppol ID or VAT number a party lacks",
    tags=["invoices"],
    errors=(403, 409),
    content={"application/xml": {"schema": {"type": "string"}}},
)
def get_invoice_ubl(invoice_id: int):
    invoice = services.invoice_for(require_actor(), invoice_id)
    return Response(invoice_ubl(invoice), mimetype="application/xml")


@bp.post("/purchase-orders/<int:order_id>/invoices")
@roles_required(Role.SECRETARY)
@operation(
    "Invoice every member of a delivered (or confirmed) order its cost share; again issues nothing new. "
    "Invoices of members with a saved payment method are queued to be charged to it by the "
    "`charge-saved-methods` job within minutes; a member whose charge fails is emailed the link to pay",
    tags=["invoices"],
    response=InvoiceSummarySchema(many=True),
    errors=(403, 409),
    also=(201,),
)
def issue_invoices(order_id: int):
    user = require_actor()
    order = purchase_orders.order_for(user, order_id)
    issued = services.issue_invoices(user, order.id)
    return InvoiceSummarySchema(many=True).dump(issued), 201 if issued else 200


@bp.post("/invoices/<int:invoice_id>/payments")
@roles_required(Role.SECRETARY)
@operation(
    "Record a bank transfer received against the invoice",
    tags=["payments"],
    body=PaymentInSchema,
    response=PaymentSchema,
    status=201,
    errors=(403,),
)
def record_payment(invoice_id: int):
    user = require_actor()
    invoice = services.invoice_for(user, invoice_id)
    data = json_body(PaymentInSchema())
    return PaymentSchema().dump(
        payments.record_payment(user, invoice, data["amount_pence"], data["received_on"], data["reference"])
    ), 201


@bp.post("/invoices/<int:invoice_id>/refunds")
@roles_required(Role.SECRETARY)
@operation(
    "Record money paid back to the member by bank transfer: a negative payment, at most what was paid",
    tags=["payments"],
    body=PaymentInSchema,
    response=PaymentSchema,
    status=201,
    errors=(403,),
)
def record_refund(invoice_id: int):
    user = require_actor()
    invoice = services.invoice_for(user, invoice_id)
    data = json_body(PaymentInSchema())
    return PaymentSchema().dump(
        payments.record_refund(user, invoice, data["amount_pence"], data["received_on"], data["reference"])
    ), 201


@bp.post("/invoices/<int:invoice_id>/credit-notes")
@roles_required(Role.SECRETARY)
@operation(
    "Issue a credit note for the whole invoice or some of its lines",
    tags=["invoices"],
    body=CreditNoteInSchema,
    response=CreditNoteSchema,
    status=201,
    errors=(403, 409),
)
def issue_credit_note(invoice_id: int):
    user = require_actor()
    invoice = services.invoice_for(user, invoice_id)
    data = json_body(CreditNoteInSchema())
    items = (
        services.full_credit(invoice)
        if data["lines"] is None
        else [services.CreditItem(item["line_id"], item["quantity"]) for item in data["lines"]]
    )
    return CreditNoteSchema().dump(services.issue_credit_note(user, invoice, items, data["reason"])), 201


@bp.post("/invoices/<int:invoice_id>/checkout")
@roles_required(Role.MEMBER)
@operation(
    "Open a Stripe Checkout Session for what is due; returns its URL",
    tags=["payments"],
    response=CheckoutSchema,
    errors=(403, 409),
)
def checkout(invoice_id: int):
    user = require_actor()
    invoice = services.invoice_for(user, invoice_id)
    if invoice.member_id not in user.member_ids:
        raise NotFound("No such invoice.")
    if not stripe_gateway.stripe_enabled(current_app.config):
        raise NotFound("Card and Direct Debit payments are not switched on here; pay by bank transfer.")
    gateway = stripe_gateway.StripeGateway(stripe_gateway.client_from_config(current_app.config))
    return {
        "url": gateway.checkout_url(
            invoice,
            external_url("billing.invoice", invoice_id=invoice.id, paid=1),
            external_url("billing.invoice", invoice_id=invoice.id),
        )
    }


@bp.get("/statement")
@roles_required(Role.MEMBER)
@operation(
    "A member's statement for a period (all of it unless from_date or to_date says): the opening balance, every "
    "entry in date order with the balance after it, the closing balance, and what is due and overdue today",
    tags=["invoices"],
    query=StatementQuerySchema,
    response=StatementSchema,
    errors=(403, 404),
)
def get_statement():
    user = require_actor()
    args = query_args(StatementQuerySchema())
    member_id = args.get("member_id")
    if member_id is None:
        if len(user.member_ids) != 1:
            raise ValidationFailed.field("member_id", "Say which member's statement.")
        (member_id,) = user.member_ids
    member = member_or_404(user, member_id)
    return StatementSchema().dump(services.statement(member, args.get("from_date"), args.get("to_date")))


@bp.post("/invoices/<int:invoice_id>/reminders")
@roles_required(Role.SECRETARY)
@operation(
    "Email the member a reminder of what is due on the invoice; one a day at most",
    tags=["invoices"],
    response=ReminderSchema,
    status=201,
    errors=(403, 409),
)
def send_reminder(invoice_id: int):
    user = require_actor()
    invoice = services.invoice_for(user, invoice_id)
    return ReminderSchema().dump(reminders.send_reminder(user, invoice)), 201


# Finance reports for whoever manages a consortium's billing


@bp.get("/consortia/<int:consortium_id>/payments-received")
@roles_required(Role.SECRETARY)
@operation(
    "Money the consortium received in a period (from the first of this month to today unless from_date or "
    "to_date says), refunds as negative rows, in the order it came in, with the period's total",
    tags=["payments"],
    query=PaymentsQuerySchema,
    response=PaymentsReceivedSchema,
)
def payments_received(consortium_id: int):
    consortium = consortium_or_404(require_actor(), consortium_id)
    args = query_args(PaymentsQuerySchema())
    from_date, to_date = services.payments_period(args.get("from_date"), args.get("to_date"))
    query = services.payments_received(consortium.id, from_date, to_date)
    return paginated(query, ReceivedPaymentSchema()) | {
        "from_date": from_date.isoformat(),
        "to_date": to_date.isoformat(),
        "total_pence": services.payments_received_total(consortium.id, from_date, to_date),
    }


@bp.get("/consortia/<int:consortium_id>/aged-debt")
@roles_required(Role.SECRETARY)
@operation(
    "What each member of the consortium owes today by days past the due date (current, 1-30, 31-60, 61-90, "
    "over 90), members by name, with the totals of every member",
    tags=["invoices"],
    response=AgedDebtSchema,
)
def aged_debt(consortium_id: int):
    consortium = consortium_or_404(require_actor(), consortium_id)
    args = query_args(PageArgsSchema())
    report = services.aged_debt_report(consortium, page=args["page"], per_page=args["per_page"])
    rows = [{"member_id": m.member_id, "member_name": m.name} | aged_bands(m.row.bands) for m in report.members]
    return {
        "items": MemberDebtSchema(many=True).dump(rows),
        "page": args["page"],
        "per_page": args["per_page"],
        "total": report.page.total,
        "consortium_id": consortium.id,
        "as_of": report.today.isoformat(),
        "totals": aged_bands(report.totals.bands),
    }
