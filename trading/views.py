"""Trading pages: listings to search and book, a member's listings and bookings, trade invoices, the secretary's
terms, approvals, disputes and monthly clearing. Each view parses its form, calls one service and shows the result."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from wtforms.fields.choices import SelectChoice

from billing.pdf import invoice_pdf as invoice_document
from billing.ubl import issued_invoice_ubl
from catalogue.models import VatRate
from kernel.clock import UK, uk_today
from kernel.csv_export import csv_response
from kernel.errors import DomainError, Forbidden, NotFound
from kernel.extensions import db
from kernel.web import flash_outcome, form_errors, page_number, pick, submitted_ids
from organisations.access import consortium_or_404, require_actor, roles_required
from organisations.models import Member, Organisation, Role, User
from trading import photos, services, xero
from trading.forms import (
    BookingForm,
    ClearingForm,
    LimitForm,
    ListingForm,
    PhotoForm,
    ReasonForm,
    ResolveForm,
    SlotForm,
    TermsForm,
)
from trading.models import (
    HoursPeriod,
    ListingKind,
    ListingStatus,
    TradeInvoice,
    TradeInvoiceStatus,
)

bp = Blueprint("trading", __name__, url_prefix="/trading")
TRADERS = (Role.MEMBER, Role.SECRETARY)
PER_PAGE = 50
LISTING_TONES = {"listed": "success", "awaiting approval": "warning", "lapsed": "neutral", "withdrawn": "neutral"}
BOOKING_TONES = {
    "requested": "info",
    "confirmed": "info",
    "disputed": "danger",
    "delivered": "success",
    "invoiced": "warning",
    "settled": "success",
    "declined": "neutral",
    "cancelled": "danger",
}


def _members(user: User) -> list[Member]:
    if not user.member_ids:
        return []
    return list(db.session.scalars(db.select(Member).where(Member.id.in_(user.member_ids))))


def _kind(value: str | None) -> ListingKind | None:
    return next((k for k in ListingKind if k.value == value), None)


@bp.get("/")
@roles_required(*TRADERS)
def index():
    user = require_actor()
    q = request.args.get("q", "")[:100]
    kind = _kind(request.args.get("kind"))
    page = db.paginate(services.visible_listings(user, q, kind), page=page_number(), per_page=PER_PAGE, error_out=False)
    return render_template(
        "trading/index.html",
        page=page,
        q=q,
        kind=kind,
        kinds=list(ListingKind),
        tones=LISTING_TONES,
        may_list=bool(user.member_ids),
        consortium_ids=sorted(user.secretary_consortium_ids),
    )


def _offer(form: ListingForm, kind: ListingKind) -> services.Offer:
    return services.Offer(
        kind=kind,
        title=form.title.data,
        description=form.description.data,
        member_price=form.member_price.data,
        public_price=form.public_price.data,
        vat_rate=VatRate(form.vat_rate.data),
        skill=form.skill.data,
        hours_available=form.hours_available.data,
        hours_period=HoursPeriod(form.hours_period.data),
        free_cancel_days=form.free_cancel_days.data,
        cancel_fee_percent=form.cancel_fee_percent.data,
    )


def _upload(file) -> bytes | None:
    """The uploaded bytes, read no further than one past the limit (enough to refuse a bigger file)."""
    if file is None or not getattr(file, "filename", None):
        return None
    return file.read(photos.MAX_BYTES + 1)


@bp.route("/listings/new", methods=["GET", "POST"])
@roles_required(Role.MEMBER)
def new_listing():
    user = require_actor()
    form = ListingForm()
    form.member_id.choices = [SelectChoice(m.id, m.name) for m in _members(user)]
    if form.validate_on_submit():
        try:
            listing = services.create_listing(user, form.member_id.data, _offer(form, ListingKind(form.kind.data)))
            data = _upload(form.photo.data)
            if data is not None:
                services.add_photo(user, listing, data, form.alt_text.data)
        except DomainError as error:
            form_errors(form, error)
            return render_template("trading/listing_form.html", form=form), error.status_code
        waiting = listing.status is ListingStatus.AWAITING_APPROVAL
        flash(
            "The listing is saved and waits for the secretary's approval."
            if waiting
            else "The listing is up: members of your consortium can book it.",
            "success",
        )
        return redirect(url_for("trading.listing_page", listing_id=listing.id))
    return render_template("trading/listing_form.html", form=form), 422 if form.errors else 200


@bp.route("/listings/<int:listing_id>/edit", methods=["GET", "POST"])
@roles_required(Role.MEMBER)
def edit_listing(listing_id: int):
    """The member's listing as it stands, to change; under approval an edit goes back to the secretary."""
    user = require_actor()
    listing = services.listing_for(user, listing_id)
    if not services.owns_listing(user, listing):
        raise Forbidden("Only the listing's member edits it.")
    form = ListingForm(obj=None if request.method == "POST" else listing)
    if request.method == "GET":
        form.vat_rate.data = listing.vat_rate.value
        form.hours_period.data = (listing.hours_period or HoursPeriod.WEEK).value
    for name in ("member_id", "kind", "photo", "alt_text"):
        del form[name]
    if form.validate_on_submit():
        try:
            services.edit_listing(user, listing, _offer(form, listing.kind))
        except DomainError as error:
            form_errors(form, error)
            return _edit_page(form, listing, error.status_code)
        waiting = listing.status is ListingStatus.AWAITING_APPROVAL
        flash(
            "The changes are saved and wait for the secretary's approval before members see them."
            if waiting
            else "The changes are saved.",
            "success",
        )
        return redirect(url_for("trading.listing_page", listing_id=listing.id))
    return _edit_page(form, listing, 422 if form.errors else 200)


def _edit_page(form: ListingForm, listing, status: int):
    approval = services.terms_for(listing.consortium_id).approval_required
    return render_template("trading/listing_edit.html", form=form, listing=listing, approval=approval), status


@bp.post("/listings/<int:listing_id>/photos")
@roles_required(Role.MEMBER)
def add_photo(listing_id: int):
    user = require_actor()
    listing = services.listing_for(user, listing_id)
    form = PhotoForm()
    if not form.validate():
        return _listing_page(user, listing, photo_form=form, status=422)
    try:
        services.add_photo(user, listing, _upload(form.photo.data) or b"", form.alt_text.data)
    except DomainError as error:
        form_errors(form, error)
        return _listing_page(user, listing, photo_form=form, status=error.status_code)
    flash("The photo is added.", "success")
    return redirect(url_for("trading.listing_page", listing_id=listing.id))


@bp.get("/listings/<int:listing_id>/photos/<int:photo_id>")
@roles_required(*TRADERS)
def photo(listing_id: int, photo_id: int):
    """The photo's bytes with the type read from them, to those who may see the listing."""
    found = services.photo_for(require_actor(), listing_id, photo_id)
    return Response(
        found.data,
        mimetype=found.media_type,
        headers={"Cache-Control": "private, max-age=3600", "Content-Disposition": "inline"},
    )


@bp.post("/listings/<int:listing_id>/photos/<int:photo_id>/remove")
@roles_required(Role.MEMBER)
def remove_photo(listing_id: int, photo_id: int):
    user = require_actor()
    found = services.photo_for(user, listing_id, photo_id)
    flash_outcome(lambda: services.remove_photo(user, found), "The photo is removed.")
    return redirect(url_for("trading.listing_page", listing_id=listing_id))


def _booking_form(user: User, listing, formdata=None) -> BookingForm:
    form = BookingForm(formdata=formdata)
    form.buyer_id.choices = [SelectChoice(m.id, m.name) for m in _members(user) if m.id != listing.member_id]
    form.slot_ids.choices = [SelectChoice(s.id, s.label) for s in services.free_slots(listing)]
    return form


def _listing_page(user: User, listing, booking_form=None, slot_form=None, photo_form=None, status: int = 200):
    owns = services.owns_listing(user, listing)
    buyers = [m for m in _members(user) if m.id != listing.member_id]
    return (
        render_template(
            "trading/listing.html",
            listing=listing,
            owns=owns,
            runs=services.runs_consortium(user, listing.consortium_id),
            booking_form=booking_form or _booking_form(user, listing),
            slot_form=slot_form or SlotForm(formdata=None),
            photo_form=photo_form or PhotoForm(formdata=None),
            standings=[services.standing(m) for m in buyers] if listing.status is ListingStatus.LISTED else [],
            slots=listing.slots if owns else services.free_slots(listing),
            tones=LISTING_TONES,
        ),
        status,
    )


@bp.get("/listings/<int:listing_id>")
@roles_required(*TRADERS)
def listing_page(listing_id: int):
    user = require_actor()
    return _listing_page(user, services.listing_for(user, listing_id))


@bp.post("/listings/<int:listing_id>/slots")
@roles_required(Role.MEMBER)
def add_slot(listing_id: int):
    user = require_actor()
    listing = services.listing_for(user, listing_id)
    form = SlotForm()
    if not form.validate():
        return _listing_page(user, listing, slot_form=form, status=422)
    # Times are typed as UK clock times.
    starts = datetime.combine(form.day.data, form.starts.data, tzinfo=UK).astimezone(UTC)
    ends = datetime.combine(form.day.data, form.ends.data, tzinfo=UK).astimezone(UTC)
    try:
        services.add_slots(user, listing, [(starts, ends)])
    except DomainError as error:
        form_errors(form, error, {"slots": "day"})
        return _listing_page(user, listing, slot_form=form, status=error.status_code)
    flash("The slot is added.", "success")
    return redirect(url_for("trading.listing_page", listing_id=listing.id))


@bp.post("/listings/<int:listing_id>/book")
@roles_required(Role.MEMBER)
def book(listing_id: int):
    user = require_actor()
    listing = services.listing_for(user, listing_id)
    form = _booking_form(user, listing, request.form)
    if not form.validate():
        return _listing_page(user, listing, booking_form=form, status=422)
    booking_request = services.Request(
        listing_id=listing.id,
        buyer_id=form.buyer_id.data,
        slot_ids=tuple(form.slot_ids.data or ()),
        hours=form.hours.data,
        starts_on=form.starts_on.data,
        pay_directly=form.pay_directly.data,
        note=form.note.data,
    )
    try:
        booking = services.request_booking(user, booking_request)
    except DomainError as error:
        form_errors(form, error)
        return _listing_page(user, listing, booking_form=form, status=error.status_code)
    flash("Your booking request is sent; the seller accepts or declines it.", "success")
    return redirect(url_for("trading.booking_page", booking_id=booking.id))


def _listing_action(listing_id: int, change, done: str):
    user = require_actor()
    listing = services.listing_for(user, listing_id)
    flash_outcome(lambda: change(user, listing), done)
    return redirect(url_for("trading.listing_page", listing_id=listing_id))


@bp.post("/listings/<int:listing_id>/approve")
@roles_required(Role.SECRETARY)
def approve_listing(listing_id: int):
    return _listing_action(listing_id, services.approve_listing, "The listing is approved and shows to members.")


@bp.post("/listings/<int:listing_id>/renew")
@roles_required(Role.MEMBER)
def renew_listing(listing_id: int):
    return _listing_action(listing_id, services.renew_listing, "The listing is renewed.")


@bp.post("/listings/<int:listing_id>/withdraw")
@roles_required(Role.MEMBER)
def withdraw_listing(listing_id: int):
    return _listing_action(listing_id, services.withdraw_listing, "The listing is withdrawn.")


@bp.get("/bookings")
@roles_required(*TRADERS)
def bookings():
    user = require_actor()
    page = db.paginate(services.visible_bookings(user), page=page_number(), per_page=PER_PAGE, error_out=False)
    return render_template("trading/bookings.html", page=page, tones=BOOKING_TONES, member_ids=user.member_ids)


@bp.get("/bookings/<int:booking_id>")
@roles_required(*TRADERS)
def booking_page(booking_id: int):
    user = require_actor()
    booking = services.booking_for(user, booking_id)
    invoice = db.session.scalars(services.visible_invoices(user).where(TradeInvoice.booking_id == booking.id)).first()
    return render_template(
        "trading/booking.html",
        booking=booking,
        slots=services.booking_slots([booking.id]).get(booking.id, []),
        invoice=invoice,
        is_buyer=booking.buyer_id in user.member_ids,
        is_seller=booking.seller_id in user.member_ids,
        runs=services.runs_consortium(user, booking.consortium_id),
        fee=services.cancellation_fee(booking, booking.buyer_id in user.member_ids, uk_today()),
        history=services.BOOKING_LIFECYCLE.history(booking.id),
        reason_form=ReasonForm(formdata=None),
        resolve_form=ResolveForm(formdata=None),
        tones=BOOKING_TONES,
    )


def _booking_action(booking_id: int, change, done: str, with_reason: bool = False):
    user = require_actor()
    booking = services.booking_for(user, booking_id, lock=True)
    form = ReasonForm()
    if with_reason and not form.validate():
        flash(" ".join(form.reason.errors), "error")
        return redirect(url_for("trading.booking_page", booking_id=booking_id))
    flash_outcome(lambda: change(user, booking, *([form.reason.data] if with_reason else [])), done)
    return redirect(url_for("trading.booking_page", booking_id=booking_id))


@bp.post("/bookings/<int:booking_id>/accept")
@roles_required(Role.MEMBER)
def accept_booking(booking_id: int):
    return _booking_action(booking_id, services.accept, "The booking is accepted and confirmed.")


@bp.post("/bookings/<int:booking_id>/decline")
@roles_required(Role.MEMBER)
def decline_booking(booking_id: int):
    return _booking_action(booking_id, services.decline, "The booking is declined.", with_reason=True)


@bp.post("/bookings/<int:booking_id>/delivered")
@roles_required(Role.MEMBER)
def confirm_delivery(booking_id: int):
    return _booking_action(booking_id, services.confirm_delivery, "Your confirmation of delivery is recorded.")


@bp.post("/bookings/<int:booking_id>/dispute")
@roles_required(Role.MEMBER)
def dispute_booking(booking_id: int):
    return _booking_action(
        booking_id, services.dispute, "The dispute is raised; the secretary will resolve it.", with_reason=True
    )


@bp.post("/bookings/<int:booking_id>/cancel")
@roles_required(Role.MEMBER)
def cancel_booking(booking_id: int):
    return _booking_action(booking_id, services.cancel, "The booking is cancelled.", with_reason=True)


@bp.post("/bookings/<int:booking_id>/invoice")
@roles_required(Role.MEMBER)
def invoice_booking(booking_id: int):
    return _booking_action(booking_id, services.issue_invoice, "The invoice is issued to the buyer.")


@bp.post("/bookings/<int:booking_id>/resolve")
@roles_required(Role.SECRETARY)
def resolve_booking(booking_id: int):
    user = require_actor()
    booking = services.booking_for(user, booking_id, lock=True)
    form = ResolveForm()
    if not form.validate():
        flash("Choose a ruling and say how it was resolved.", "error")
        return redirect(url_for("trading.booking_page", booking_id=booking_id))
    delivered = form.outcome.data == "delivered"
    flash_outcome(lambda: services.resolve(user, booking, delivered, form.reason.data), "The dispute is resolved.")
    return redirect(url_for("trading.booking_page", booking_id=booking_id))


@bp.get("/invoices")
@roles_required(*TRADERS)
def invoices():
    user = require_actor()
    page = db.paginate(services.visible_invoices(user), page=page_number(), per_page=PER_PAGE, error_out=False)
    return render_template("trading/invoices.html", page=page, members=_members(user))


@bp.get("/invoices/<int:trade_invoice_id>")
@roles_required(*TRADERS)
def invoice_page(trade_invoice_id: int):
    user = require_actor()
    invoice = services.invoice_for(user, trade_invoice_id)
    return render_template(
        "trading/invoice.html",
        invoice=invoice,
        is_seller=invoice.seller_id in user.member_ids,
        settled=invoice.status is TradeInvoiceStatus.SETTLED,
    )


@bp.get("/invoices/<int:trade_invoice_id>.pdf")
@roles_required(*TRADERS)
def invoice_pdf(trade_invoice_id: int):
    invoice = services.invoice_for(require_actor(), trade_invoice_id)
    return Response(
        invoice_document(invoice),
        mimetype="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{invoice.number}.pdf"'},
    )


@bp.get("/invoices/<int:trade_invoice_id>.xml")
@roles_required(*TRADERS)
def invoice_ubl(trade_invoice_id: int):
    invoice = services.invoice_for(require_actor(), trade_invoice_id)
    body = issued_invoice_ubl(invoice, invoice.seller.name, invoice.seller.organisation, invoice.buyer.organisation)
    return Response(
        body,
        mimetype="application/xml",
        headers={"Content-Disposition": f'attachment; filename="{invoice.number}.xml"'},
    )


@bp.post("/invoices/<int:trade_invoice_id>/paid")
@roles_required(Role.MEMBER)
def invoice_paid(trade_invoice_id: int):
    user = require_actor()
    invoice = services.invoice_for(user, trade_invoice_id)
    flash_outcome(lambda: services.record_direct_payment(user, invoice), "The invoice is recorded as paid directly.")
    return redirect(url_for("trading.invoice_page", trade_invoice_id=trade_invoice_id))


@bp.route("/terms/<int:consortium_id>", methods=["GET", "POST"])
@roles_required(Role.SECRETARY)
def terms(consortium_id: int):
    user = require_actor()
    consortium = consortium_or_404(user, consortium_id)
    current = services.terms_for(consortium.id)
    form = TermsForm(
        data=None
        if request.method == "POST"
        else {
            "approval_required": current.approval_required,
            "listing_days": current.listing_days,
            "monthly_limit": current.monthly_limit,
            "clearing": current.clearing,
            "net_debit_limit": None
            if current.net_debit_limit_pence is None
            else Decimal(current.net_debit_limit_pence) / 100,
        }
    )
    if form.validate_on_submit():
        limit = form.net_debit_limit.data
        try:
            services.save_terms(
                user,
                consortium.id,
                form.approval_required.data,
                form.listing_days.data,
                form.monthly_limit.data,
                form.clearing.data,
                None if limit is None else int(limit * 100),
            )
        except DomainError as error:
            form_errors(form, error, {"net_debit_limit_pence": "net_debit_limit"})
            return render_template("trading/terms.html", form=form, consortium=consortium), error.status_code
        flash("The trading terms are saved.", "success")
        return redirect(url_for("trading.terms", consortium_id=consortium.id))
    return render_template("trading/terms.html", form=form, consortium=consortium), 422 if form.errors else 200


@bp.route("/limits/<int:consortium_id>", methods=["GET", "POST"])
@roles_required(Role.SECRETARY)
def limits(consortium_id: int):
    """Each member's debit on uncleared invoices against its limit; the secretary sets a member's own."""
    user = require_actor()
    consortium = consortium_or_404(user, consortium_id)
    members = services.consortium_members(user, consortium.id)
    page = db.paginate(members, page=page_number(), per_page=PER_PAGE, error_out=False)
    chosen = submitted_ids("member_id")
    choosable = pick(members, [Organisation.legal_name], "member_search", Member.id.in_(chosen) if chosen else None)
    form = LimitForm()
    form.member_id.choices = [SelectChoice(m.id, m.name) for m in choosable.items]
    status = 200
    if form.validate_on_submit():
        limit = form.limit.data
        try:
            services.set_member_limit(user, form.member_id.data, None if limit is None else int(limit * 100))
        except DomainError as error:
            form_errors(form, error, {"limit_pence": "limit"})
            status = error.status_code
        else:
            flash("The member's limit is saved.", "success")
            return redirect(url_for("trading.limits", consortium_id=consortium.id))
    elif form.errors:
        status = 422
    return render_template(
        "trading/limits.html",
        form=form,
        consortium=consortium,
        page=page,
        standings=services.standings(consortium.id, page.items),
        members=choosable,
        terms=services.terms_for(consortium.id),
    ), status


def _xero(member_id: int, sales: bool) -> Response:
    user = require_actor()
    member = db.session.get(Member, member_id)
    if member is None or not (
        user.is_admin or member_id in user.member_ids or services.runs_consortium(user, member.consortium_id)
    ):
        raise NotFound("No such member.")
    name = f"{member.name}-trade-{'sales' if sales else 'bills'}-for-xero.csv"
    return csv_response(name, xero.header(sales), xero.member_rows(member.id, sales))


@bp.get("/members/<int:member_id>/xero-sales.csv")
@roles_required(*TRADERS)
def xero_sales(member_id: int):
    """The member's trade invoices to other members, in Xero's sales-invoice import layout."""
    return _xero(member_id, sales=True)


@bp.get("/members/<int:member_id>/xero-bills.csv")
@roles_required(*TRADERS)
def xero_bills(member_id: int):
    """The trade invoices other members sent the member, in Xero's bills import layout."""
    return _xero(member_id, sales=False)


def _months(count: int = 12) -> list[SelectChoice]:
    """This month so far (a preview: only an ended month is cleared), then the twelve before it."""
    first = uk_today().replace(day=1)
    months = [SelectChoice(first.isoformat(), first.strftime("%B %Y") + " so far")]
    for _ in range(count):
        first = (first - timedelta(days=1)).replace(day=1)
        months.append(SelectChoice(first.isoformat(), first.strftime("%B %Y")))
    return months


@bp.get("/clearings")
@roles_required(*TRADERS)
def clearings():
    user = require_actor()
    page = db.paginate(services.visible_runs(user), page=page_number(), per_page=PER_PAGE, error_out=False)
    return render_template("trading/clearings.html", page=page, consortium_ids=sorted(user.secretary_consortium_ids))


@bp.route("/clearings/run/<int:consortium_id>", methods=["GET", "POST"])
@roles_required(Role.SECRETARY)
def run_clearing(consortium_id: int):
    """The month's statement as a preview; running it settles the invoices by the clearing's number."""
    user = require_actor()
    consortium = consortium_or_404(user, consortium_id)
    form = ClearingForm()
    form.month.choices = _months()
    offered = [choice.value for choice in form.month.choices]
    shown = form.month.data if form.month.data in offered else offered[1]  # by default last month, the one to clear
    form.month.data = shown
    month = datetime.fromisoformat(shown).date()
    if form.validate_on_submit() and "run" in request.form:
        try:
            run = services.clear_month(user, consortium.id, month)
        except DomainError as error:
            form_errors(form, error)
        else:
            flash(f"Clearing {run.number} settled {run.invoice_count} invoices.", "success")
            return redirect(url_for("trading.clearing_page", clearing_id=run.id))
    positions = services.preview_clearing(consortium.id, month)
    names = {
        m.id: m.name
        for m in db.session.scalars(db.select(Member).where(Member.id.in_([p.member_id for p in positions])))
    }
    return render_template(
        "trading/run_clearing.html",
        form=form,
        consortium=consortium,
        month=month,
        positions=positions,
        names=names,
        terms=services.terms_for(consortium.id),
    ), 422 if form.errors else 200


@bp.get("/clearings/<int:clearing_id>")
@roles_required(*TRADERS)
def clearing_page(clearing_id: int):
    user = require_actor()
    run = services.run_for(user, clearing_id)
    return render_template("trading/clearing.html", run=run, positions=services.run_positions(user, run))
