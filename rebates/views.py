"""Rebate pages: the agreements, one agreement with its claim and shares, the claim documents, members' shares."""

from decimal import Decimal

from flask import Blueprint, Response, flash, redirect, render_template, url_for
from sqlalchemy import select
from wtforms.fields.choices import SelectChoice

from catalogue.models import Category
from kernel.clock import uk_today
from kernel.csv_export import content_disposition
from kernel.errors import Conflict, DomainError
from kernel.extensions import db
from kernel.money import to_pence
from kernel.web import form_errors, page_number
from organisations.access import require_actor, roles_required, signed_in
from organisations.models import Consortium, Network, Organisation, Role, Supplier, User
from rebates import documents, services
from rebates.calculation import Basis, Method
from rebates.forms import AgreementForm, CancelForm, ReceivedForm, RetentionForm
from rebates.models import REBATE_LIFECYCLE, RebateStatus, ShareRoute

bp = Blueprint("rebates", __name__)
PER_PAGE = 50
TONES = {"active": "info", "claimed": "warning", "received": "info", "shared": "success", "cancelled": "danger"}


@bp.app_template_filter("rebate_tone")
def rebate_tone(status: RebateStatus) -> str:
    return TONES[status.value]


@bp.get("/rebates/")
@signed_in
def list_agreements():
    user = require_actor()
    page = db.paginate(services.visible_agreements(user), page=page_number(), per_page=PER_PAGE, error_out=False)
    return render_template(
        "rebates/list.html", page=page, can_create=services.may_create(user), is_member=bool(user.member_ids)
    )


def _choices(form: AgreementForm, user: User) -> None:
    consortia = db.session.scalars(
        select(Consortium)
        .where(Consortium.active)
        .where(
            Consortium.id.is_not(None) if user.is_admin else Consortium.id.in_(user.secretary_consortium_ids or {-1})
        )
        .order_by(Consortium.name)
    ).all()
    form.consortium_id.choices = ([SelectChoice("", "National (every consortium)")] if user.is_admin else []) + [
        SelectChoice(str(c.id), c.name) for c in consortia
    ]
    networks = db.session.scalars(
        select(Network).where(Network.consortium_id.in_([c.id for c in consortia] or [-1])).order_by(Network.name)
    ).all()
    form.network_id.choices = [SelectChoice("", "Every network in scope")] + [
        SelectChoice(str(n.id), f"{n.name} ({n.consortium.name})") for n in networks
    ]
    form.supplier_id.choices = [
        SelectChoice(s.id, s.name)
        for s in db.session.scalars(
            select(Supplier)
            .join(Organisation, Organisation.id == Supplier.organisation_id)
            .where(Supplier.active)
            .order_by(Organisation.legal_name)
        )
    ]
    form.category_id.choices = [SelectChoice("", "Every category")] + [
        SelectChoice(str(c.id), c.name)
        for c in db.session.scalars(select(Category).order_by(Category.position, Category.name))
    ]


def _optional_id(value: str | None) -> int | None:
    return int(value) if value else None


@bp.route("/rebates/new", methods=["GET", "POST"])
@roles_required(Role.SECRETARY)
def create_agreement():
    user = require_actor()
    form = AgreementForm()
    _choices(form, user)
    if form.validate_on_submit():
        try:
            terms = services.AgreementTerms(
                name=form.name.data or "",
                supplier_id=form.supplier_id.data,
                basis=Basis(form.basis.data),
                method=Method(form.method.data),
                period_start=form.period_start.data,
                period_end=form.period_end.data,
                tiers=form.parsed_tiers(),
                share_route=ShareRoute(form.share_route.data),
                consortium_id=_optional_id(form.consortium_id.data),
                network_id=_optional_id(form.network_id.data),
                category_id=_optional_id(form.category_id.data),
                retention_percent=form.retention_percent.data or Decimal(0),
                retention_note=form.retention_note.data,
            )
            agreement = services.create_agreement(user, terms)
        except DomainError as error:
            form_errors(form, error)
        else:
            flash(f"Rebate agreement “{agreement.name}” made; it is claimed when its period ends.", "success")
            return redirect(url_for("rebates.agreement_page", rebate_agreement_id=agreement.id))
    return render_template("rebates/new.html", form=form), 422 if form.errors or form.form_errors else 200


def _render_agreement(agreement, received_form=None, retention_form=None, cancel_form=None, status: int = 200):
    user = require_actor()
    runs = services.can_run(user, agreement)
    shares = (
        db.paginate(services.shares_of(agreement), page=page_number(), per_page=PER_PAGE, error_out=False)
        if runs
        else None
    )
    return render_template(
        "rebates/agreement.html",
        agreement=agreement,
        runs=runs,
        shares=shares,
        notes=services.credit_note_numbers(shares.items) if shares else {},
        lines=services.claim_lines(agreement),
        summary=documents.claim_summary(agreement),
        rate_label=lambda rate: documents.rate_label(agreement, rate),
        threshold_label=lambda threshold: documents.threshold_label(agreement, threshold),
        history=REBATE_LIFECYCLE.history(agreement.id),
        received_form=received_form or ReceivedForm(formdata=None, received_on=uk_today()),
        cancel_form=cancel_form or CancelForm(formdata=None),
        retention_form=retention_form
        or RetentionForm(
            formdata=None, retention_percent=agreement.retention_percent, retention_note=agreement.retention_note
        ),
    ), status


@bp.get("/rebates/<int:rebate_agreement_id>")
@signed_in
def agreement_page(rebate_agreement_id: int):
    return _render_agreement(services.agreement_for(require_actor(), rebate_agreement_id))


@bp.get("/rebates/<int:rebate_agreement_id>/claim")
@signed_in
def claim_page(rebate_agreement_id: int):
    agreement = _claimed(rebate_agreement_id)
    return render_template(
        "rebates/claim.html",
        agreement=agreement,
        summary=documents.claim_summary(agreement),
        lines=services.claim_lines(agreement),
    )


def _claimed(agreement_id: int):
    agreement = services.agreement_for(require_actor(), agreement_id)
    if agreement.rebate_pence is None:
        raise Conflict("The rebate is claimed when its period ends; there is no claim yet.")
    return agreement


def _download(body: bytes, mimetype: str, filename: str) -> Response:
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = content_disposition(filename)
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/rebates/<int:rebate_agreement_id>/claim.pdf")
@signed_in
def claim_pdf(rebate_agreement_id: int):
    agreement = _claimed(rebate_agreement_id)
    body = documents.claim_pdf(agreement, services.claim_lines(agreement))
    return _download(body, "application/pdf", f"rebate-claim-{agreement.id}.pdf")


@bp.get("/rebates/<int:rebate_agreement_id>/claim.csv")
@signed_in
def claim_csv(rebate_agreement_id: int):
    agreement = _claimed(rebate_agreement_id)
    body = documents.claim_csv(agreement, services.claim_lines(agreement)).encode("utf-8")
    return _download(body, "text/csv", f"rebate-claim-{agreement.id}.csv")


@bp.post("/rebates/<int:rebate_agreement_id>/received")
@roles_required(Role.SECRETARY)
def record_received(rebate_agreement_id: int):
    user = require_actor()
    agreement = services.agreement_for(user, rebate_agreement_id)
    form = ReceivedForm()
    if form.validate_on_submit():
        try:
            services.record_received(
                user,
                agreement,
                to_pence(form.amount.data or Decimal(0)),
                form.received_on.data,
                form.reference.data or "",
            )
        except DomainError as error:
            form_errors(form, error, {"amount_pence": "amount"})
        else:
            flash("Recorded as received. Share it when the retention is right.", "success")
            return redirect(url_for("rebates.agreement_page", rebate_agreement_id=agreement.id))
    return _render_agreement(agreement, received_form=form, status=422)


@bp.post("/rebates/<int:rebate_agreement_id>/retention")
@roles_required(Role.SECRETARY)
def set_retention(rebate_agreement_id: int):
    user = require_actor()
    agreement = services.agreement_for(user, rebate_agreement_id)
    form = RetentionForm()
    if form.validate_on_submit():
        try:
            services.set_retention(user, agreement, form.retention_percent.data or Decimal(0), form.retention_note.data)
        except DomainError as error:
            form_errors(form, error)
        else:
            flash("Retention recorded.", "success")
            return redirect(url_for("rebates.agreement_page", rebate_agreement_id=agreement.id))
    return _render_agreement(agreement, retention_form=form, status=422)


@bp.post("/rebates/<int:rebate_agreement_id>/share")
@roles_required(Role.SECRETARY)
def share(rebate_agreement_id: int):
    user = require_actor()
    agreement = services.agreement_for(user, rebate_agreement_id)
    try:
        services.share(user, agreement)
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
    else:
        flash("Shared out to the members.", "success")
    return redirect(url_for("rebates.agreement_page", rebate_agreement_id=agreement.id))


@bp.post("/rebates/<int:rebate_agreement_id>/cancel")
@roles_required(Role.SECRETARY)
def cancel(rebate_agreement_id: int):
    user = require_actor()
    agreement = services.agreement_for(user, rebate_agreement_id)
    form = CancelForm()
    if form.validate_on_submit():
        try:
            services.cancel(user, agreement, form.reason.data or "")
        except DomainError as error:
            form_errors(form, error)
        else:
            flash("Rebate agreement cancelled; it will not be claimed.", "success")
            return redirect(url_for("rebates.agreement_page", rebate_agreement_id=agreement.id))
    return _render_agreement(agreement, cancel_form=form, status=422)


@bp.get("/rebates/shares")
@roles_required(Role.MEMBER)
def my_shares():
    user = require_actor()
    page = db.paginate(services.member_shares(user), page=page_number(), per_page=PER_PAGE, error_out=False)
    return render_template("rebates/shares.html", page=page, notes=services.credit_note_numbers(page.items))
