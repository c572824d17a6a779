"""Framework pages: the list, one framework with its consumption and call-offs, making one, the call-offs to act on."""

from datetime import date
from decimal import Decimal, InvalidOperation

from flask import Blueprint, abort, flash, make_response, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from wtforms.fields.choices import SelectChoice

from frameworks import pdf, services
from frameworks.forms import CallOffForm, FrameworkForm, FrameworkLotForm, ReasonForm
from frameworks.models import CallOff, CallOffStatus, Framework, FrameworkStatus, Route
from frameworks.services import MAX_LOTS
from frameworks.terms import LotTerms, add_months, limit_pence
from kernel.clock import uk_date, uk_today
from kernel.csv_export import csv_response
from kernel.errors import DomainError, ValidationFailed
from kernel.extensions import db
from kernel.money import to_pence
from kernel.web import form_errors, page_number
from organisations.access import roles_required, signed_in
from organisations.models import Consortium, Role, Supplier

bp = Blueprint("frameworks", __name__)
PER_PAGE = 50


@bp.app_template_filter("units_of")
def units_of(call_off: CallOff) -> str:
    return services.units_of(call_off)


@bp.get("/frameworks/")
@signed_in
def list_frameworks():
    page = db.paginate(services.visible_frameworks(current_user), page=page_number(), per_page=PER_PAGE)
    return render_template(
        "frameworks/list.html", page=page, can_create=services.may_create(current_user), status_tone=STATUS_TONES
    )


STATUS_TONES = {
    FrameworkStatus.DRAFT: "neutral",
    FrameworkStatus.LIVE: "info",
    FrameworkStatus.EXPIRED: "neutral",
    FrameworkStatus.ENDED: "danger",
    CallOffStatus.PLACED: "warning",
    CallOffStatus.CONFIRMED: "info",
    CallOffStatus.DELIVERED: "success",
    CallOffStatus.INVOICED: "success",
    CallOffStatus.CANCELLED: "danger",
}


def _creation_choices(form: FrameworkForm) -> None:
    consortia = select(Consortium).where(Consortium.active).order_by(Consortium.name)
    if not current_user.is_admin:
        consortia = consortia.where(Consortium.id.in_(current_user.secretary_consortium_ids or {-1}))
    form.consortium_id.choices = [SelectChoice(c.id, c.name) for c in db.session.scalars(consortia.limit(50))]
    if current_user.is_admin:
        form.consortium_id.choices.insert(0, SelectChoice(0, "National: every consortium"))
    suppliers = list(db.session.scalars(select(Supplier).where(Supplier.active).order_by(Supplier.id).limit(200)))
    form.supplier_ids.choices = [SelectChoice(s.id, s.name) for s in suppliers]
    for entry in form.lots:
        entry.form.supplier_id.choices = [SelectChoice(0, "Any of the framework's suppliers")] + [
            SelectChoice(s.id, s.name) for s in suppliers
        ]


def _tiers(text: str) -> list[tuple[int, Decimal]]:
    tiers = []
    for line in text.splitlines():
        if not line.strip():
            continue
        parts = line.replace("£", " ").split()
        try:
            quantity, unit_price = int(parts[0]), Decimal(parts[1])
        except (IndexError, ValueError, InvalidOperation):
            raise ValidationFailed.field(
                "tiers", f"Write each tier as a quantity and a price, like 20 58.50: not “{line.strip()}”."
            ) from None
        tiers.append((quantity, unit_price))
    return tiers


def _kept_lots(form: FrameworkForm) -> list[FrameworkLotForm]:
    return [entry.form for entry in form.lots if not entry.form.is_blank]


def _terms_of(form: FrameworkForm) -> dict:
    """The service's keyword arguments from the page's form (one consortium or national; blank lots left out)."""
    assert form.ceiling.data is not None and form.allowance_percent.data is not None  # InputRequired
    assert form.fee_percent.data is not None
    lots = []
    for n, lot in enumerate(_kept_lots(form)):
        try:
            tiers = _tiers(lot.tiers.data or "")
        except ValidationFailed as error:
            raise ValidationFailed(error.message, {f"lots.{n}.tiers": error.fields["tiers"]}) from None
        names = (lot.lot_name.data or "", lot.unit_singular.data or "", lot.unit_plural.data or "")
        lots.append(LotTerms(*names, tiers, lot.supplier_id.data or None))
    return dict(
        name=form.name.data,
        reference=form.reference.data or None,
        consortium_ids=[form.consortium_id.data] if form.consortium_id.data else [],
        supplier_ids=form.supplier_ids.data or [],
        lots=lots,
        starts_on=form.starts_on.data,
        ends_on=form.ends_on.data,
        extensions_allowed=form.extensions_allowed.data,
        extension_months=form.extension_months.data,
        ceiling_pence=to_pence(form.ceiling.data),
        allowance_percent=form.allowance_percent.data,
        fee_percent=form.fee_percent.data,
        route=Route(form.route.data),
    )


LOT_FIELDS = {"name": "lot_name"}
FORM_FIELDS = {"ceiling_pence": "ceiling"}


def _show_errors(form: FrameworkForm, error: DomainError) -> None:
    """The service's messages beside the fields: a lot's (lots.1.tiers) beside that lot's row."""
    kept = _kept_lots(form)
    rest = {}
    for key, messages in error.fields.items():
        parts = key.split(".")
        if len(parts) == 3 and parts[0] == "lots" and parts[1].isdigit() and int(parts[1]) < len(kept):
            lot = kept[int(parts[1])]
            target = getattr(lot, LOT_FIELDS.get(parts[2], parts[2]), lot.lot_name)
            target.errors = list(target.errors) + messages
        elif key == "lots":
            form.form_errors.extend(messages)
        else:
            rest[key] = messages
    form_errors(form, ValidationFailed(error.message, rest) if error.fields else error, FORM_FIELDS)


@bp.route("/frameworks/new", methods=["GET", "POST"])
@roles_required(Role.SECRETARY)
def create_framework():
    form = FrameworkForm()
    _creation_choices(form)
    if form.validate_on_submit():
        try:
            framework = services.create_framework(current_user, **_terms_of(form))
        except DomainError as error:
            _show_errors(form, error)
        else:
            flash(f"Framework {framework.reference} created as a draft.", "success")
            return redirect(url_for("frameworks.framework_page", framework_id=framework.id))
    return render_template("frameworks/new.html", form=form), 422 if form.errors or form.form_errors else 200


def _filled(framework: Framework) -> FrameworkForm:
    lots = [
        {
            "lot_name": lot.name,
            "unit_singular": lot.unit_singular,
            "unit_plural": lot.unit_plural,
            "tiers": "\n".join(f"{q} {p}" for q, p in lot.rate_card),
            "supplier_id": lot.supplier_id or 0,
        }
        for lot in framework.lots
    ]
    form = FrameworkForm(
        formdata=None,
        name=framework.name,
        reference=framework.reference,
        consortium_id=framework.consortia[0].id if framework.consortia else 0,
        supplier_ids=[s.id for s in framework.suppliers],
        lots=lots,
        starts_on=framework.starts_on,
        ends_on=framework.ends_on,
        extensions_allowed=framework.extensions_allowed,
        extension_months=framework.extension_months,
        ceiling=Decimal(framework.ceiling_pence).scaleb(-2),
        allowance_percent=framework.allowance_percent,
        fee_percent=framework.fee_percent,
        route=framework.route.value,
    )
    while len(form.lots) < min(len(lots) + 1, MAX_LOTS):
        form.lots.append_entry()
    return form


@bp.route("/frameworks/<int:framework_id>/edit", methods=["GET", "POST"])
@roles_required(Role.SECRETARY)
def edit_framework(framework_id: int):
    """A draft's terms, all of them, lots and suppliers included."""
    framework = services.framework_for(current_user, framework_id)
    if not services.can_run(current_user, framework):
        abort(403)
    if framework.status is not FrameworkStatus.DRAFT:
        flash("Only a draft framework's terms can change.", "error")
        return redirect(url_for("frameworks.framework_page", framework_id=framework_id))
    form = FrameworkForm() if request.method == "POST" else _filled(framework)
    _creation_choices(form)
    if form.validate_on_submit():
        try:
            services.edit_framework(current_user, framework_id, **_terms_of(form))
        except DomainError as error:
            _show_errors(form, error)
        else:
            flash("The framework's terms are saved.", "success")
            return redirect(url_for("frameworks.framework_page", framework_id=framework_id))
    return render_template("frameworks/new.html", form=form, framework=framework), (
        422 if form.errors or form.form_errors else 200
    )


def _call_off_form(framework: Framework, form: CallOffForm | None = None) -> CallOffForm | None:
    members = services.members_for(current_user, framework)
    if framework.status is not FrameworkStatus.LIVE or framework.route is not Route.DIRECT_AWARD or not members:
        return None
    form = form or CallOffForm(formdata=None)
    form.lot_id.choices = [SelectChoice(lot.id, lot.name) for lot in framework.lots]
    form.member_id.choices = [SelectChoice(m.id, m.name) for m in members]
    form.supplier_id.choices = [SelectChoice(s.id, s.name) for s in framework.suppliers]
    return form


def _render(framework: Framework, call_off_form: CallOffForm | None = None, status: int = 200):
    scope = services.consumption_scope(current_user, framework)
    members = services.member_consumption_page(framework, scope, page_number("members_page"), PER_PAGE)
    call_offs = db.paginate(
        services.visible_call_offs(current_user).where(CallOff.framework_id == framework.id),
        page=page_number(),
        per_page=PER_PAGE,
    )
    return (
        render_template(
            "frameworks/framework.html",
            framework=framework,
            lots=services.consumption_by_lot(framework, scope),
            members=members,
            call_offs=call_offs,
            limit=limit_pence(framework.ceiling_pence, framework.allowance_percent),
            remaining=services.remaining_pence(framework),
            runs=services.can_run(current_user, framework),
            form=_call_off_form(framework, call_off_form),
            mini_competition=framework.status is FrameworkStatus.LIVE
            and framework.route is Route.MINI_COMPETITION
            and bool(services.members_for(current_user, framework)),
            end_form=ReasonForm(formdata=None),
            extensions=services.extensions(framework),
            history=services.history(framework),
            status_tone=STATUS_TONES,
        ),
        status,
    )


@bp.get("/frameworks/<int:framework_id>")
@signed_in
def framework_page(framework_id: int):
    return _render(services.framework_for(current_user, framework_id))


@bp.get("/frameworks/<int:framework_id>/consumption.csv")
@signed_in
def consumption_csv(framework_id: int):
    framework = services.framework_for(current_user, framework_id)
    scope = services.consumption_scope(current_user, framework)
    rows = [
        ["lot", r.label, r.units, r.ordered_pence, r.delivered_pence, r.invoiced_pence]
        for r in services.consumption_by_lot(framework, scope)
    ]
    rows += [["member", *row[1:]] for row in db.session.execute(services.consumption_by_member(framework, scope))]
    return csv_response(
        f"{framework.reference}-consumption.csv",
        ["by", "name", "units", "ordered_pence", "delivered_pence", "invoiced_pence"],
        rows,
    )


@bp.post("/frameworks/<int:framework_id>/call-offs")
@roles_required(Role.MEMBER, Role.SECRETARY)
def place_call_off(framework_id: int):
    framework = services.framework_for(current_user, framework_id)
    form = _call_off_form(framework, CallOffForm())
    if form is None:
        flash("This framework takes no call-offs from you now.", "error")
        return redirect(url_for("frameworks.framework_page", framework_id=framework_id))
    if form.validate():
        try:
            call_off = services.place_call_off(
                current_user,
                framework_id=framework_id,
                lot_id=form.lot_id.data,
                member_id=form.member_id.data,
                supplier_id=form.supplier_id.data,
                quantity=form.quantity.data,
            )
        except DomainError as error:
            form_errors(form, error)
        else:
            flash(f"Call-off {call_off.number} placed: {units_of(call_off)}.", "success")
            return redirect(url_for("frameworks.framework_page", framework_id=framework_id))
    return _render(services.framework_for(current_user, framework_id), form, 422)


def _framework_action(framework_id: int, act, done: str):
    services.framework_for(current_user, framework_id)
    try:
        act()
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
    else:
        flash(done, "success")
    return redirect(url_for("frameworks.framework_page", framework_id=framework_id))


@bp.post("/frameworks/<int:framework_id>/live")
@roles_required(Role.SECRETARY)
def make_live(framework_id: int):
    return _framework_action(
        framework_id, lambda: services.make_live(current_user, framework_id), "The framework is live."
    )


@bp.post("/frameworks/<int:framework_id>/extend")
@roles_required(Role.SECRETARY)
def extend(framework_id: int):
    return _framework_action(
        framework_id, lambda: services.extend(current_user, framework_id), "The framework is extended."
    )


@bp.post("/frameworks/<int:framework_id>/end")
@roles_required(Role.SECRETARY)
def end_framework(framework_id: int):
    form = ReasonForm()
    return _framework_action(
        framework_id,
        lambda: services.end_early(current_user, framework_id, form.reason.data),
        "The framework is ended.",
    )


@bp.get("/frameworks/call-offs")
@signed_in
def call_offs():
    """Every call-off the user sees, newest first: a supplier's to confirm and deliver, a secretary's to invoice."""
    page = db.paginate(services.visible_call_offs(current_user), page=page_number(), per_page=PER_PAGE)
    suppliers = db.session.scalars(select(Supplier).where(Supplier.id.in_(current_user.supplier_ids or {-1})))
    return render_template(
        "frameworks/call_offs.html", page=page, status_tone=STATUS_TONES, suppliers=list(suppliers), today=uk_today()
    )


def _call_off_action(call_off_id: int, act, done: str):
    services.call_off_for(current_user, call_off_id)
    try:
        act()
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
    else:
        flash(done, "success")
    return redirect(url_for("frameworks.call_offs"))


@bp.post("/frameworks/call-offs/<int:call_off_id>/confirm")
@roles_required(Role.SUPPLIER)
def confirm_call_off(call_off_id: int):
    return _call_off_action(call_off_id, lambda: services.confirm(current_user, call_off_id), "Call-off confirmed.")


@bp.post("/frameworks/call-offs/<int:call_off_id>/deliver")
@roles_required(Role.SUPPLIER)
def deliver_call_off(call_off_id: int):
    return _call_off_action(
        call_off_id, lambda: services.deliver(current_user, call_off_id), "Call-off recorded as delivered."
    )


@bp.post("/frameworks/call-offs/<int:call_off_id>/invoice")
@roles_required(Role.SECRETARY)
def invoice_call_off(call_off_id: int):
    return _call_off_action(
        call_off_id, lambda: services.invoice(current_user, call_off_id), "Invoice issued for the call-off."
    )


def _month(year: int, month: int) -> date:
    if not 2000 <= year <= 2100 or not 1 <= month <= 12:
        abort(404)
    return date(year, month, 1)


def _statement(supplier_id: int, year: int, month: int):
    """The statement's supplier and month, for the supplier's people, secretaries (their consortium's call-offs)
    and admins; 404 for another supplier's."""
    supplier = db.session.get(Supplier, supplier_id)
    if supplier is None or not (
        current_user.is_admin or current_user.secretary_consortium_ids or supplier_id in current_user.supplier_ids
    ):
        abort(404)
    return supplier, _month(year, month)


@bp.get("/frameworks/statements/<int:supplier_id>/<int:year>/<int:month>")
@roles_required(Role.SUPPLIER, Role.SECRETARY)
def statement(supplier_id: int, year: int, month: int):
    supplier, first = _statement(supplier_id, year, month)
    page = db.paginate(
        services.statement_call_offs(current_user, supplier_id, first), page=page_number(), per_page=PER_PAGE
    )
    return render_template(
        "frameworks/statement.html",
        supplier=supplier,
        month=first,
        page=page,
        fees=services.fees_due(current_user, supplier_id, first),
        produced=services.produced_statement(supplier_id, first),
        previous=add_months(first, -1),
        following=add_months(first, 1),
    )


@bp.get("/frameworks/statements/<int:supplier_id>/<int:year>/<int:month>.csv")
@roles_required(Role.SUPPLIER, Role.SECRETARY)
def statement_csv(supplier_id: int, year: int, month: int):
    _supplier, first = _statement(supplier_id, year, month)
    call_offs = db.session.scalars(services.statement_call_offs(current_user, supplier_id, first))
    return csv_response(
        f"framework-statement-{first:%Y-%m}.csv",
        ["delivered_on", "call_off", "member", "lot", "quantity", "unit_price", "net_pence", "fee_pence"],
        (
            [
                uk_date(c.delivered_at),
                c.number,
                c.member.name,
                c.lot_name,
                c.quantity,
                c.unit_price,
                c.net_pence,
                c.fee_pence,
            ]
            for c in call_offs
            if c.delivered_at is not None
        ),
    )


@bp.get("/frameworks/statements/<int:supplier_id>/<int:year>/<int:month>.pdf")
@roles_required(Role.SUPPLIER, Role.SECRETARY)
def statement_pdf(supplier_id: int, year: int, month: int):
    supplier, first = _statement(supplier_id, year, month)
    call_offs = list(db.session.scalars(services.statement_call_offs(current_user, supplier_id, first)))
    body = pdf.statement_pdf(supplier.name, first, call_offs, services.fees_due(current_user, supplier_id, first))
    response = make_response(body)
    response.headers["Content-Type"] = "application/pdf"
    response.headers["Content-Disposition"] = f'inline; filename="framework-statement-{first:%Y-%m}.pdf"'
    return response
