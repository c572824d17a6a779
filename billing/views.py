"""Invoice, credit note, statement and billing pages."""

from decimal import Decimal
from functools import wraps
from typing import cast

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from sqlalchemy import select
from wtforms.fields.choices import SelectChoice

from billing import charging, payments, reminders, services, stripe_gateway
from billing.forms import CreditNoteForm, PaymentForm, RefundForm
from billing.models import CreditNote, Invoice, InvoiceStatus, LineKind, Payment
from billing.pdf import credit_note_pdf, invoice_pdf
from billing.ubl import credit_note_ubl, invoice_ubl
from billing.xero import BILLS_HEADER, SALES_HEADER, bills_rows, sales_rows
from kernel.csv_export import csv_response
from kernel.errors import DomainError
from kernel.extensions import db
from kernel.money import to_pence
from kernel.web import form_errors
from orders import purchase_orders
from organisations.access import consortium_or_404, member_or_404, require_actor, roles_required
from organisations.models import Member, Role
from organisations.notifications import external_url

bp = Blueprint("billing", __name__)


def _download(body: bytes, mimetype: str, filename: str) -> Response:
    return Response(body, mimetype=mimetype, headers={"Content-Disposition": f'attachment; filename="{filename}"'})


@bp.get("/invoices/")
@roles_required(Role.MEMBER, Role.SECRETARY)
def invoices():
    actor = require_actor()
    status = request.args.get("status") or None
    query = services.visible_invoices(actor)
    if status in {s.value for s in InvoiceStatus}:
        query = query.where(Invoice.status == InvoiceStatus(status))
    page = db.paginate(query, per_page=50)
    return render_template("billing/invoices.html", page=page, status=status, statuses=[s.value for s in InvoiceStatus])


@bp.get("/invoices/<int:invoice_id>")
@roles_required(Role.MEMBER, Role.SECRETARY)
def invoice(invoice_id: int):
    actor = require_actor()
    return _render_invoice(services.invoice_for(actor, invoice_id))


def _render_invoice(invoice: Invoice, payment_form=None, credit_form=None, status: int = 200, refund_form=None):
    actor = require_actor()
    manager = services.can_manage_billing(actor, invoice.consortium_id)
    credit_form = credit_form or _credit_form(invoice, formdata=None)
    return render_template(
        "billing/invoice.html",
        invoice=invoice,
        manager=manager,
        payment_form=payment_form or PaymentForm(formdata=None),
        credit_form=credit_form,
        refund_form=refund_form or RefundForm(formdata=None),
        payments=db.session.scalars(select(Payment).where(Payment.invoice_id == invoice.id).order_by(Payment.id)).all(),
        credit_notes=db.session.scalars(
            select(CreditNote).where(CreditNote.invoice_id == invoice.id).order_by(CreditNote.id)
        ).all(),
        can_pay=stripe_gateway.stripe_enabled(current_app.config)
        and invoice.due_pence > 0
        and invoice.member_id in actor.member_ids,
        processing=request.args.get("paid") == "1" and invoice.due_pence > 0,  # back from Checkout, before the webhook
    ), status


def _credit_form(invoice: Invoice, formdata=...) -> CreditNoteForm:
    form = CreditNoteForm() if formdata is ... else CreditNoteForm(formdata=formdata)
    form.lines.choices = [
        SelectChoice(line.id, f"{line.description}: {line.quantity} x {line.unit_price}") for line in invoice.lines
    ]
    return form


@bp.get("/invoices/<int:invoice_id>.pdf")
@roles_required(Role.MEMBER, Role.SECRETARY)
def invoice_pdf_download(invoice_id: int):
    actor = require_actor()
    invoice = services.invoice_for(actor, invoice_id)
    return _download(invoice_pdf(invoice), "application/pdf", f"{invoice.number}.pdf")


@bp.get("/invoices/<int:invoice_id>.xml")
@roles_required(Role.MEMBER, Role.SECRETARY)
def invoice_ubl_download(invoice_id: int):
    actor = require_actor()
    invoice = services.invoice_for(actor, invoice_id)
    return _download(invoice_ubl(invoice), "application/xml", f"{invoice.number}.xml")


def _credit_note_for(credit_note_id: int) -> CreditNote:
    actor = require_actor()
    note = db.session.get(CreditNote, credit_note_id)
    if note is None:
        abort(404)
    services.invoice_for(actor, note.invoice_id)
    return note


@bp.get("/credit-notes/<int:credit_note_id>.pdf")
@roles_required(Role.MEMBER, Role.SECRETARY)
def credit_note_pdf_download(credit_note_id: int):
    note = _credit_note_for(credit_note_id)
    return _download(credit_note_pdf(note), "application/pdf", f"{note.number}.pdf")


@bp.get("/credit-notes/<int:credit_note_id>.xml")
@roles_required(Role.MEMBER, Role.SECRETARY)
def credit_note_ubl_download(credit_note_id: int):
    note = _credit_note_for(credit_note_id)
    return _download(credit_note_ubl(note), "application/xml", f"{note.number}.xml")


@bp.post("/invoices/<int:invoice_id>/payments")
@roles_required(Role.SECRETARY)
def record_payment(invoice_id: int):
    actor = require_actor()
    invoice = services.invoice_for(actor, invoice_id)
    form = PaymentForm()
    if form.validate():
        # A validated amount is a Decimal: it is required, and a value that is not one fails validation.
        amount = cast(Decimal, form.amount.data)
        try:
            payments.record_payment(actor, invoice, to_pence(amount), form.received_on.data, form.reference.data)
        except DomainError as error:
            form_errors(form, error, renamed={"amount_pence": "amount"})
        else:
            flash(f"Payment recorded against {invoice.number}.", "success")
            return redirect(url_for("billing.invoice", invoice_id=invoice.id))
    return _render_invoice(invoice, payment_form=form, status=422)


@bp.post("/invoices/<int:invoice_id>/refunds")
@roles_required(Role.SECRETARY)
def record_refund(invoice_id: int):
    actor = require_actor()
    invoice = services.invoice_for(actor, invoice_id)
    form = RefundForm()
    if form.validate():
        amount = cast(Decimal, form.amount.data)  # a Decimal once validated, as in record_payment
        try:
            payments.record_refund(actor, invoice, to_pence(amount), form.paid_on.data, form.reference.data)
        except DomainError as error:
            form_errors(form, error, renamed={"amount_pence": "amount", "received_on": "paid_on"})
        else:
            flash(f"Refund recorded against {invoice.number}.", "success")
            return redirect(url_for("billing.invoice", invoice_id=invoice.id))
    return _render_invoice(invoice, refund_form=form, status=422)


@bp.post("/invoices/<int:invoice_id>/credit-notes")
@roles_required(Role.SECRETARY)
def issue_credit_note(invoice_id: int):
    actor = require_actor()
    invoice = services.invoice_for(actor, invoice_id)
    form = _credit_form(invoice)
    if form.validate():
        quantity = form.goods_quantity.data.strip()
        whole = quantity.isascii() and quantity.isdigit()
        goods = {line.id for line in invoice.lines if line.kind is LineKind.GOODS}
        items = [
            services.CreditItem(line_id, int(quantity) if whole and line_id in goods else None)
            for line_id in form.lines.data
        ]
        if quantity and not whole:
            form.goods_quantity.errors = ["Enter a whole number of units."]
        else:
            try:
                note = services.issue_credit_note(actor, invoice, items, form.reason.data)
            except DomainError as error:
                form_errors(form, error)
            else:
                flash(f"Credit note {note.number} issued.", "success")
                return redirect(url_for("billing.invoice", invoice_id=invoice.id))
    return _render_invoice(invoice, credit_form=form, status=422)


@bp.post("/invoices/<int:invoice_id>/checkout")
@roles_required(Role.MEMBER)
def checkout(invoice_id: int):
    """Opens a Stripe Checkout Session for what is due; Stripe only collects, we stay the record."""
    actor = require_actor()
    invoice = services.invoice_for(actor, invoice_id)
    if not stripe_gateway.stripe_enabled(current_app.config) or invoice.member_id not in actor.member_ids:
        abort(404)
    gateway = stripe_gateway.StripeGateway(stripe_gateway.client_from_config(current_app.config))
    url = gateway.checkout_url(
        invoice,
        external_url("billing.invoice", invoice_id=invoice.id, paid=1),
        external_url("billing.invoice", invoice_id=invoice.id),
    )
    return redirect(url, code=303)


@bp.get("/statement")
@roles_required(Role.MEMBER)
def statement():
    actor = require_actor()
    members = db.session.scalars(
        select(Member).where(Member.id.in_(actor.member_ids or {-1})).order_by(Member.id)
    ).all()
    member_id = request.args.get("member_id", type=int) or (members[0].id if members else None)
    if member_id is None:
        abort(404)
    member = member_or_404(actor, member_id)
    return render_template(
        "billing/statement.html",
        statement=services.statement(member),
        members=members,
        credit_pence=payments.member_credit_pence(member.id),
        can_save_method=stripe_gateway.stripe_enabled(current_app.config),
        saved_method=stripe_gateway.has_saved_method(member.id),
    )


@bp.get("/invoices/export.csv")
@roles_required(Role.MEMBER)
def member_export():
    """A member's own invoices and credit notes in Xero's bills layout."""
    actor = require_actor()
    invoices = db.session.scalars(select(Invoice).where(Invoice.member_id.in_(actor.member_ids or {-1}))).all()
    notes = db.session.scalars(select(CreditNote).where(CreditNote.member_id.in_(actor.member_ids or {-1}))).all()
    return csv_response("bills-for-xero.csv", BILLS_HEADER, bills_rows(invoices, notes))


@bp.get("/billing/<int:consortium_id>")
@roles_required(Role.SECRETARY)
def billing_page(consortium_id: int):
    actor = require_actor()
    consortium = consortium_or_404(actor, consortium_id)
    return render_template(
        "billing/billing.html",
        consortium=consortium,
        orders=services.billable_orders(actor, consortium.id),
        unpaid=services.unpaid_invoices(consortium.id),
        overdue=services.overdue_invoices(consortium.id),
    )


@bp.post("/purchase-orders/<int:order_id>/invoices")
@roles_required(Role.SECRETARY)
def issue_invoices(order_id: int):
    actor = require_actor()
    order = purchase_orders.order_for(actor, order_id)
    issued = services.issue_invoices(actor, order.id)
    flash(
        f"{len(issued)} invoices issued for {order.number}."
        if issued
        else f"{order.number} was already invoiced; nothing new was issued.",
        "success",
    )
    if queued := charging.queued(issued.ids):
        flash(
            f"{queued} will be charged to the member's saved card or Direct Debit in the next few minutes.", "success"
        )
    return redirect(url_for("billing.billing_page", consortium_id=order.consortium_id))


@bp.get("/billing/<int:consortium_id>/xero.csv")
@roles_required(Role.SECRETARY)
def accountant_export(consortium_id: int):
    """Every invoice and credit note of the consortium in Xero's sales-invoice import layout."""
    actor = require_actor()
    consortium = consortium_or_404(actor, consortium_id)
    invoices = db.session.scalars(
        select(Invoice).where(Invoice.consortium_id == consortium.id).order_by(Invoice.number)
    ).all()
    notes = db.session.scalars(
        select(CreditNote).where(CreditNote.consortium_id == consortium.id).order_by(CreditNote.number)
    ).all()
    return csv_response(f"{consortium.code}-sales-for-xero.csv", SALES_HEADER, sales_rows(invoices, notes))


def _stripe_or_404(view):
    """With Stripe off the route is not there, for anyone."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        if not stripe_gateway.stripe_enabled(current_app.config):
            abort(404)
        return view(*args, **kwargs)

    return wrapped


@bp.post("/members/<int:member_id>/payment-method")
@_stripe_or_404
@roles_required(Role.MEMBER)
def save_payment_method(member_id: int):
    """Opens Stripe Checkout in setup mode; the webhook keeps the method, and new invoices are charged to it.

    Only the member's own users: an admin does not save a card on a member's behalf.
    """
    actor = require_actor()
    member = member_or_404(actor, member_id)
    if member.id not in actor.member_ids:
        abort(404)
    gateway = stripe_gateway.StripeGateway(stripe_gateway.client_from_config(current_app.config))
    url = gateway.setup_url(
        member,
        external_url("billing.statement", member_id=member.id, saved=1),
        external_url("billing.statement", member_id=member.id),
    )
    return redirect(url, code=303)


@bp.post("/invoices/<int:invoice_id>/reminder")
@roles_required(Role.SECRETARY)
def send_reminder(invoice_id: int):
    """Emails the member a reminder; back to the billing page when pressed there, else to the invoice."""
    actor = require_actor()
    invoice = services.invoice_for(actor, invoice_id)
    message = reminders.send_reminder(actor, invoice)
    flash(f"Reminder for {invoice.number} sent to {message.to_email}.", "success")
    if request.form.get("return_to") == "billing":
        return redirect(url_for("billing.billing_page", consortium_id=invoice.consortium_id))
    return redirect(url_for("billing.invoice", invoice_id=invoice.id))
