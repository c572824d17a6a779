"""Impact pages: a member's, network's, consortium's or the platform's, with its PDF, CSV and chart; the
consortium's list of measures and the figures awaiting verification; a member's own records."""

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from wtforms.fields.choices import SelectChoice

from kernel.charts import bar_chart_height, svg_response
from kernel.clock import uk_today
from kernel.csv_export import content_disposition, csv_response
from kernel.errors import DomainError
from kernel.extensions import db
from kernel.web import form_errors, page_number
from library import charts, impact
from library.forms import MeasureForm, RecordForm
from library.impact_pdf import impact_pdf
from organisations.access import consortium_or_404, require_actor, roles_required
from organisations.models import Role
from reports.exports import filename
from reports.savings import parent_scopes, scope_for

bp = Blueprint("impact", __name__, url_prefix="/impact")
SCOPE_ROLES = (Role.MEMBER, Role.SECRETARY)
SUFFIXES = {"page": "", "csv": "_csv", "pdf": "_pdf", "chart": "_chart"}


@bp.app_template_global()
def impact_url(kind: str, scope_id=None, view: str = "page") -> str:
    arguments = {} if kind == "platform" else {f"{kind}_id": scope_id}
    return url_for(f"impact.{kind}{SUFFIXES[view]}", **arguments)


def _views(kind: str):
    def report(url_arguments: dict) -> impact.ImpactReport:
        return impact.impact_report(scope_for(require_actor(), kind, url_arguments.get(f"{kind}_id")))

    def page(**url_arguments):
        found = report(url_arguments)
        return render_template(
            "library/impact.html",
            report=found,
            lines=impact.lines(found),
            not_yet=impact.NOT_YET,
            parents=parent_scopes(require_actor(), found.scope),
            children=impact.children(found.scope, page_number("children_page")),
            page_args=url_arguments,
            chart_height=bar_chart_height(len(found.measures)),
        )

    def csv(**url_arguments):
        found = report(url_arguments)
        return csv_response(
            filename(found.scope.name, f"impact-{uk_today().isoformat()}"), impact.CSV_HEADER, impact.csv_rows(found)
        )

    def pdf(**url_arguments):
        found = report(url_arguments)
        name = filename(found.scope.name, f"impact-{uk_today().isoformat()}").removesuffix(".csv") + ".pdf"
        response = Response(impact_pdf(found, uk_today()), mimetype="application/pdf")
        response.headers["Content-Disposition"] = content_disposition(name)
        return response

    def chart(**url_arguments):
        return svg_response(charts.measures_svg(report(url_arguments).measures))

    return {"page": page, "csv": csv, "pdf": pdf, "chart": chart}


def _register(kind: str, *roles: Role) -> None:
    path = "/platform" if kind == "platform" else f"/{kind}/<int:{kind}_id>"
    paths = {"page": "", "csv": ".csv", "pdf": ".pdf", "chart": "/measures.svg"}
    for name, view in _views(kind).items():
        bp.add_url_rule(path + paths[name], kind + SUFFIXES[name], roles_required(*roles)(view), methods=["GET"])


_register("platform", Role.ADMIN)
for _kind in ("consortium", "network", "member"):
    _register(_kind, *SCOPE_ROLES)


def _render_measures(consortium, form: MeasureForm | None = None, status: int = 200):
    page = db.paginate(impact.unverified_query(consortium), page=page_number(), per_page=50, error_out=False)
    return render_template(
        "library/measures.html",
        consortium=consortium,
        measures=impact.measures(consortium.id),
        form=form or MeasureForm(formdata=None),
        awaiting=page,
    ), status


@bp.route("/consortia/<int:consortium_id>/measures", methods=["GET", "POST"])
@roles_required(Role.SECRETARY)
def measures(consortium_id: int):
    user = require_actor()
    consortium = consortium_or_404(user, consortium_id)
    if request.method == "GET":
        return _render_measures(consortium)
    form = MeasureForm()
    if form.validate():
        try:
            measure = impact.add_measure(user, consortium, form.name.data, form.unit.data, form.description.data)
        except DomainError as error:
            form_errors(form, error)
            return _render_measures(consortium, form, error.status_code)
        flash(f"Members of {consortium.name} can now record “{measure.name}”.", "success")
        return redirect(url_for("impact.measures", consortium_id=consortium.id))
    return _render_measures(consortium, form, 422)


@bp.post("/measures/<int:measure_id>/active")
@roles_required(Role.SECRETARY)
def toggle_measure(measure_id: int):
    user = require_actor()
    measure = impact.measure_for(user, measure_id)
    impact.set_active(user, measure, not measure.active)
    flash(f"“{measure.name}” is {'counted again' if measure.active else 'no longer recorded'}.", "success")
    return redirect(url_for("impact.measures", consortium_id=measure.consortium_id))


@bp.route("/measures/<int:measure_id>/edit", methods=["GET", "POST"])
@roles_required(Role.SECRETARY)
def edit_measure(measure_id: int):
    user = require_actor()
    measure = impact.measure_for(user, measure_id)
    form = MeasureForm(obj=measure if request.method == "GET" else None)
    if form.validate_on_submit():
        try:
            impact.update_measure(user, measure, form.name.data, form.unit.data, form.description.data)
        except DomainError as error:
            form_errors(form, error)
            return render_template("library/measure_form.html", form=form, measure=measure), error.status_code
        flash(f"“{measure.name}” is saved; its figures keep their place.", "success")
        return redirect(url_for("impact.measures", consortium_id=measure.consortium_id))
    return render_template("library/measure_form.html", form=form, measure=measure), 422 if form.errors else 200


@bp.post("/records/<int:record_id>/verify")
@roles_required(Role.SECRETARY)
def verify(record_id: int):
    user = require_actor()
    found = impact.record_for(user, record_id)
    try:
        impact.verify(user, found)
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
    else:
        flash(f"{found.member.name}: {found.value:,} {found.measure.unit} verified.", "success")
    return redirect(url_for("impact.measures", consortium_id=found.member.consortium_id))


def _render_records(member, form: RecordForm | None = None, status: int = 200):
    form = form or RecordForm(formdata=None)
    form.measure_id.choices = [
        SelectChoice(m.id, f"{m.name} ({m.unit})") for m in impact.measures(member.consortium_id, active_only=True)
    ]
    page = db.paginate(impact.records_query(member), page=page_number(), per_page=50, error_out=False)
    return render_template("library/records.html", member=member, form=form, records=page), status


@bp.route("/members/<int:member_id>/records", methods=["GET", "POST"])
@roles_required(Role.MEMBER, Role.SECRETARY)
def records(member_id: int):
    user = require_actor()
    member = impact.member_for(user, member_id)
    if request.method == "GET":
        return _render_records(member)
    form = RecordForm()
    form.measure_id.choices = [
        SelectChoice(m.id, m.name) for m in impact.measures(member.consortium_id, active_only=True)
    ]
    if form.validate():
        try:
            impact.record(
                user,
                member,
                form.measure_id.data,
                form.value.data,
                form.period_start.data,
                form.period_end.data,
                form.evidence.data,
            )
        except DomainError as error:
            form_errors(form, error)
            return _render_records(member, form, error.status_code)
        flash("Recorded: it counts as verified once your consortium's secretary has seen the evidence.", "success")
        return redirect(url_for("impact.records", member_id=member.id))
    return _render_records(member, form, 422)
