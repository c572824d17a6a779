"""Invoice, credit note, statement and billing pages."""

from datetime import date
from decimal import Decimal
from functools import wraps
from math import ceil
from typing import cast

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from sqlalchemy import select
from wtforms.fields.choices import SelectChoice

from billing import charging, payments, reminders, services, stripe_gateway
from billing.exports import (
    AGED_DEBT_HEADER,
    PAYMENTS_HEADER,
    STATEMENT_HEADER,
    aged_debt_rows,
    payments_rows,
    statement_rows,
)
from billing.forms import CreditNoteForm, InvoiceFilterForm, PaymentForm, PeriodForm, RefundForm
from billing.models import CreditNote, Invoice, LineKind, Payment
from billing.pdf import credit_note_pdf, invoice_pdf, statement_pdf
from billing.standing import BANDS, FILTERS, Standing
from billing.ubl import credit_note_ubl, invoice_ubl
from billing.xero import BILLS_HEADER, SALES_HEADER, consortium_sales_rows, members_bills_rows
from kernel import confirm
from kernel.csv_export import csv_response
from kernel.errors import DomainError, ValidationFailed
from kernel.extensions import db
from kernel.formatting import pounds, price
from kernel.money import to_pence
from kernel.paging import ListPage
from kernel.web import form_errors, no_store_response, page_number, query_id
from orders import purchase_orders
from organisations.access import consortium_or_404, member_or_404, require_actor, roles_required
from organisations.models import Member, Role
from organisations.notifications import external_url

bp = Blueprint("billing", __name__)
# Invoices, statements, payments and their PDFs and CSVs: money and personal data no shared or
# back-button cache may keep.
bp.after_request(no_store_response)


def _download(body: bytes, mimetype: str, filename: str) -> Response:
    return Response(body, mimetype=mimetype, headers={"Content-Disposition": f'attachment; filename="{filename}"'})


AGED_DEBT_PER_PAGE = services.AGED_DEBT_PER_PAGE  # members shown a page; the totals are of every member
STATEMENT_LINES_PER_PAGE = 50  # the balances run over every line; the downloads hold them all

STATE_LABELS = {"unpaid": "Unpaid (issued, part paid or overdue)"} | {
    state: state.replace("_", " ").capitalize() for state in FILTERS if state != "unpaid"
}


@bp.app_template_global()
def invoice_standing(invoice: Invoice) -> Standing:
    """What state an invoice shows today: templates ask here, so every page agrees with the API."""
    return services.standing_of(invoice)


def _state_filter(default: str | None = None) -> tuple[InvoiceFilterForm, str | None]:
    """The list's state from `?status=`; a state we do not know is an error next to the filter."""
    form = InvoiceFilterForm(request.args)
    form.status.choices = ([] if default else [SelectChoice("", "Any status")]) + [
        SelectChoice(state, label) for state, label in STATE_LABELS.items()
    ]
    if not form.status.data:
        form.status.data = default
    if "status" in request.args and not form.validate():
        return form, None
    return form, form.status.data or None


@bp.get("/invoices/")
@roles_required(Role.MEMBER, Role.SECRETARY)
def invoices():
    actor = require_actor()
    form, state = _state_filter()
    query = services.visible_invoices(actor)
    if state:
        query = services.in_state(query, state)
    page = db.paginate(query, per_page=50, error_out=False)
    return render_template("billing/invoices.html", page=page, form=form, status=state), 422 if form.errors else 200


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
        held_as_credit_pence=services.held_as_credit_pence(invoice),
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
    """Asks first: the credit note is made in a savepoint and undone, so the confirmation page shows the very
    figures issuing it would give (one code path); only the page's confirmed post issues it."""
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
                if not confirm.confirmed():
                    return _confirm_credit_note(actor, invoice, items, form)
                note = services.issue_credit_note(actor, invoice, items, form.reason.data)
            except DomainError as error:
                form_errors(form, error)
            else:
                flash(f"Credit note {note.number} issued for {pounds(note.total_pence)}.", "success")
                return redirect(url_for("billing.invoice", invoice_id=invoice.id))
    return _render_invoice(invoice, credit_form=form, status=422)


def _confirm_credit_note(actor, invoice: Invoice, items: list, form: CreditNoteForm):
    savepoint = db.session.begin_nested()
    note = services.issue_credit_note(actor, invoice, items, form.reason.data)
    lines = [f"{line.description}: {line.quantity:,} at {price(line.unit_price)}" for line in note.lines]
    total, left = note.total_pence, invoice.total_pence - invoice.credited_pence
    savepoint.rollback()
    db.session.expire_all()
    return confirm.ask(
        confirm.Confirmation(
            title=f"Issue a credit note of {pounds(total)} against invoice {invoice.number}?",
            consequences=[
                f"{invoice.member.name} is credited {pounds(total)}, VAT included, for: {'; '.join(lines)}.",
                f"The reason printed on it: “{form.reason.data.strip()}”.",
                f"Invoice {invoice.number} then has {pounds(left - total)} left to credit; what was paid beyond "
                "what is then due is held as credit for the member.",
                "The member sees it beside the invoice and on its statement. It cannot be withdrawn: to undo it, "
                "invoice again.",
            ],
            action=url_for("billing.issue_credit_note", invoice_id=invoice.id),
            button="Issue the credit note",
            back=url_for("billing.invoice", invoice_id=invoice.id),
            fields={
                "lines": [str(line_id) for line_id in form.lines.data],
                "goods_quantity": form.goods_quantity.data,
                "reason": form.reason.data,
            },
        )
    )


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


def _statement_member() -> Member:
    """The member whose statement is asked for: `?member_id=`, or the user's first member."""
    actor = require_actor()
    member_id = query_id("member_id") or min(actor.member_ids, default=None)
    if member_id is None:
        abort(404)
    return member_or_404(actor, member_id)


def _period() -> tuple[PeriodForm, date | None, date | None]:
    """The period of `?from_date=&to_date=`; when a date is not valid, the form says so and no period applies."""
    form = PeriodForm(request.args)
    if not form.validate():
        return form, None, None
    return form, form.from_date.data, form.to_date.data


@bp.get("/statement")
@roles_required(Role.MEMBER)
def statement():
    actor = require_actor()
    member = _statement_member()
    members = db.session.scalars(
        select(Member).where(Member.id.in_(actor.member_ids or {-1})).order_by(Member.id)
    ).all()
    form, from_date, to_date = _period()
    period = {"member_id": member.id} | {
        name: value.isoformat() for name, value in (("from_date", from_date), ("to_date", to_date)) if value
    }
    found = services.statement(member, from_date, to_date)
    return render_template(
        "billing/statement.html",
        statement=found,
        lines=ListPage.of(found.entries, _statement_page(len(found.entries)), STATEMENT_LINES_PER_PAGE),
        members=members,
        form=form,
        period=period,
        credit_pence=payments.member_credit_pence(member.id),
        can_save_method=stripe_gateway.stripe_enabled(current_app.config),
        saved_method=stripe_gateway.has_saved_method(member.id),
    ), 422 if form.errors else 200


def _statement_page(lines: int) -> int:
    """`?page=`, or the last page: a statement opens at its latest lines, where the closing balance is."""
    if "page" in request.args:
        return page_number()
    return max(ceil(lines / STATEMENT_LINES_PER_PAGE), 1)


def _download_period() -> tuple[date | None, date | None]:
    """The period of a download; one that is not valid is a 422 saying why, as the page would."""
    form, from_date, to_date = _period()
    if form.errors:
        messages = {name: list(errors) for name, errors in form.errors.items()}
        raise ValidationFailed(" ".join(m for errors in messages.values() for m in errors), messages)
    return from_date, to_date


def _statement_for_download() -> services.Statement:
    member = _statement_member()
    return services.statement(member, *_download_period())


@bp.get("/statement.pdf")
@roles_required(Role.MEMBER)
def statement_pdf_download():
    found = _statement_for_download()
    return _download(statement_pdf(found), "application/pdf", f"{_statement_name(found)}.pdf")


@bp.get("/statement.csv")
@roles_required(Role.MEMBER)
def statement_csv_download():
    found = _statement_for_download()
    return csv_response(f"{_statement_name(found)}.csv", STATEMENT_HEADER, statement_rows(found))


def _statement_name(found: services.Statement) -> str:
    return "statement-" + "-".join(
        [str(found.member.id)] + [d.isoformat() for d in (found.from_date, found.to_date) if d is not None]
    )


@bp.get("/invoices/export.csv")
@roles_required(Role.MEMBER)
def member_export():
    """A member's own invoices and credit notes in Xero's bills layout."""
    actor = require_actor()
    return csv_response("bills-for-xero.csv", BILLS_HEADER, members_bills_rows(actor.member_ids))


@bp.get("/billing/<int:consortium_id>")
@roles_required(Role.SECRETARY)
def billing_page(consortium_id: int):
    actor = require_actor()
    consortium = consortium_or_404(actor, consortium_id)
    form, state = _state_filter(default="unpaid")
    page = db.paginate(services.consortium_invoices(consortium.id, state or "unpaid"), per_page=50, error_out=False)
    return render_template(
        "billing/billing.html",
        consortium=consortium,
        orders=services.billable_orders(actor, consortium.id),
        form=form,
        status=state or "unpaid",
        page=page,
    ), 422 if form.errors else 200


@bp.get("/billing/<int:consortium_id>/payments")
@roles_required(Role.SECRETARY)
def payments_received(consortium_id: int):
    consortium = consortium_or_404(require_actor(), consortium_id)
    form, from_date, to_date = _period()
    page = total = None
    if not form.errors:
        try:
            from_date, to_date = services.payments_period(from_date, to_date)
        except DomainError as error:
            form_errors(form, error)
        else:
            page = db.paginate(
                services.payments_received(consortium.id, from_date, to_date), per_page=100, error_out=False
            )
            total = services.payments_received_total(consortium.id, from_date, to_date)
            form.from_date.data, form.to_date.data = from_date, to_date
    return render_template(
        "billing/payments_received.html", consortium=consortium, form=form, page=page, total_pence=total
    ), 422 if form.errors else 200


@bp.get("/billing/<int:consortium_id>/payments.csv")
@roles_required(Role.SECRETARY)
def payments_received_csv(consortium_id: int):
    consortium = consortium_or_404(require_actor(), consortium_id)
    from_date, to_date = services.payments_period(*_download_period())
    rows = db.session.scalars(services.payments_received(consortium.id, from_date, to_date)).all()
    return csv_response(
        f"{consortium.code}-payments-{from_date.isoformat()}-{to_date.isoformat()}.csv",
        PAYMENTS_HEADER,
        payments_rows(rows),
    )


@bp.get("/billing/<int:consortium_id>/aged-debt")
@roles_required(Role.SECRETARY)
def aged_debt(consortium_id: int):
    consortium = consortium_or_404(require_actor(), consortium_id)
    report = services.aged_debt_report(consortium, page=page_number(), per_page=AGED_DEBT_PER_PAGE)
    return render_template("billing/aged_debt.html", report=report, page=report.page, bands=BANDS)


@bp.get("/billing/<int:consortium_id>/aged-debt.csv")
@roles_required(Role.SECRETARY)
def aged_debt_csv(consortium_id: int):
    consortium = consortium_or_404(require_actor(), consortium_id)
    report = services.aged_debt_in_full(consortium)
    return csv_response(
        f"{consortium.code}-aged-debt-{report.today.isoformat()}.csv", AGED_DEBT_HEADER, aged_debt_rows(report)
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
    return csv_response(f"{consortium.code}-sales-for-xero.csv", SALES_HEADER, consortium_sales_rows(consortium.id))


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
