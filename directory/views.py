"""Directory pages: the buy-social directory and profiles, enquiries, the skills register and its gaps,
verification, and the spend with social enterprises (page, CSV and chart per scope)."""

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from wtforms.fields.choices import SelectChoice

from catalogue.models import Category
from directory import charts, exports, services
from directory.forms import CategoryForm, CloseForm, EnquiryForm, ReplyForm, SkillForm, VerificationForm
from directory.levels import SkillLevel
from directory.models import EnquiryStatus, Outcome
from kernel.charts import svg_response
from kernel.clock import uk_today
from kernel.csv_export import content_disposition, csv_response
from kernel.errors import DomainError
from kernel.extensions import db
from kernel.web import form_errors, page_number, query_id
from library.storage import storage
from organisations.access import admin_required, consortium_or_404, require_actor, roles_required, signed_in
from organisations.models import Consortium, Network, Role
from reports import savings
from trading.models import ListingKind

bp = Blueprint("directory", __name__, url_prefix="/directory")
PER_PAGE = 25
ROWS_PER_PAGE = 50


def _search() -> services.Search:
    return services.Search(
        q=request.args.get("q", "")[: services.SEARCH_MAX],
        category_id=query_id("category_id"),
        place=request.args.get("place", "")[: services.SEARCH_MAX],
        verified_only=request.args.get("verified") == "1",
        within=request.args.get("within", ""),
        listing_kind=next((k for k in ListingKind if k.value == request.args.get("listing_kind")), None),
    )


@bp.get("/")
@signed_in
def index():
    user = require_actor()
    search = _search()
    page = db.paginate(services.directory_query(user, search), page=page_number(), per_page=PER_PAGE, error_out=False)
    ids = [m.id for m in page.items]
    withins = services.withins(user)
    return render_template(
        "directory/index.html",
        page=page,
        search=search,
        within=search.within if search.within in withins else withins[0],
        withins=withins,
        offers=services.offers_of(ids),
        listings=services.listings_of(ids),
        listing_kinds=list(ListingKind),
        verifications=services.latest_verifications(ids),
        categories=list(db.session.scalars(db.select(Category).order_by(Category.position, Category.name))),
        today=uk_today(),
    )


def _profile(member_id: int, form: EnquiryForm, status: int = 200):
    user = require_actor()
    member = services.listed_member(member_id)
    verification = services.latest_verifications([member.id]).get(member.id)
    return render_template(
        "directory/profile.html",
        member=member,
        supplier=services.supplier_of(member),
        offers=services.offers_of([member.id]).get(member.id, []),
        listings=services.listings_of([member.id]).get(member.id, []),
        books_here=member.consortium_id in services.member_consortium_ids(user) | user.secretary_consortium_ids,
        spare=[c for c in services.member_coverage(member.id) if c.spare_hours],
        verification=verification,
        today=uk_today(),
        form=form,
        own=member.id in user.member_ids,
        may_verify=services.can_verify(user, member),
        may_read_skills=services.can_read_skills(user, member),
    ), status


@bp.get("/members/<int:member_id>")
@signed_in
def profile(member_id: int):
    return _profile(member_id, EnquiryForm(formdata=None))


@bp.post("/members/<int:member_id>/enquiries")
@signed_in
def send_enquiry(member_id: int):
    user = require_actor()
    member = services.listed_member(member_id)
    form = EnquiryForm()
    if not form.validate():
        return _profile(member_id, form, 422)
    try:
        enquiry = services.send_enquiry(user, member, form.subject.data, form.body.data)
    except DomainError as error:
        form_errors(form, error)
        return _profile(member_id, form, error.status_code)
    flash(f"Your enquiry is sent to {member.name}. You will hear by email when they reply.", "success")
    return redirect(url_for("directory.enquiry_page", enquiry_id=enquiry.id))


@bp.get("/enquiries")
@signed_in
def enquiries():
    user = require_actor()
    box = "sent" if request.args.get("box") == "sent" else "received"
    page = db.paginate(services.enquiries_query(user, box), page=page_number(), per_page=PER_PAGE, error_out=False)
    return render_template("directory/enquiries.html", page=page, box=box)


def _enquiry(enquiry_id: int, reply_form=None, close_form=None, status: int = 200):
    user = require_actor()
    enquiry = services.enquiry_for(user, enquiry_id)
    return render_template(
        "directory/enquiry.html",
        enquiry=enquiry,
        may_reply=enquiry.status is EnquiryStatus.OPEN and enquiry.member_id in user.member_ids,
        may_close=enquiry.status is not EnquiryStatus.CLOSED,
        reply_form=reply_form or ReplyForm(formdata=None),
        close_form=close_form or _close_form(enquiry.status, formdata=None),
        history=services.ENQUIRY_LIFECYCLE.history(enquiry.id),
    ), status


def _close_form(status: EnquiryStatus, **kwargs) -> CloseForm:
    form = CloseForm(**kwargs)
    if status is EnquiryStatus.OPEN:
        form.outcome.choices = [SelectChoice(Outcome.NO_REPLY.value, Outcome.NO_REPLY.label)]
    return form


@bp.get("/enquiries/<int:enquiry_id>")
@signed_in
def enquiry_page(enquiry_id: int):
    return _enquiry(enquiry_id)


@bp.post("/enquiries/<int:enquiry_id>/reply")
@signed_in
def reply(enquiry_id: int):
    user = require_actor()
    enquiry = services.enquiry_for(user, enquiry_id)
    services.require_member_people(user, enquiry.member)
    form = ReplyForm()
    if not form.validate():
        return _enquiry(enquiry_id, reply_form=form, status=422)
    try:
        services.reply(user, enquiry, form.reply.data)
    except DomainError as error:
        form_errors(form, error)
        return _enquiry(enquiry_id, reply_form=form, status=error.status_code)
    flash("Your reply is sent.", "success")
    return redirect(url_for("directory.enquiry_page", enquiry_id=enquiry_id))


@bp.post("/enquiries/<int:enquiry_id>/close")
@signed_in
def close_enquiry(enquiry_id: int):
    user = require_actor()
    enquiry = services.enquiry_for(user, enquiry_id)
    form = _close_form(enquiry.status)
    if not form.validate():
        return _enquiry(enquiry_id, close_form=form, status=422)
    try:
        services.close(user, enquiry, Outcome(form.outcome.data))
    except DomainError as error:
        form_errors(form, error)
        return _enquiry(enquiry_id, close_form=form, status=error.status_code)
    flash("The enquiry is closed.", "success")
    return redirect(url_for("directory.enquiry_page", enquiry_id=enquiry_id))


# The skills register


def _skill_form(**kwargs) -> SkillForm:
    form = SkillForm(**kwargs)
    form.category_id.choices = [SelectChoice(c.id, c.name) for c in services.categories()]
    return form


@bp.route("/members/<int:member_id>/skills", methods=["GET", "POST"])
@roles_required(Role.MEMBER, Role.SECRETARY)
def skills(member_id: int):
    user = require_actor()
    member = services.member_for_skills(user, member_id)
    form = _skill_form()
    status = 200
    if request.method == "POST":
        if form.validate():
            try:
                skill = services.add_skill(
                    user,
                    member,
                    form.person_name.data,
                    form.category_id.data,
                    SkillLevel(form.level.data),
                    form.spare_hours_per_month.data,
                    form.note.data,
                )
            except DomainError as error:
                form_errors(form, error)
                status = error.status_code
            else:
                flash(f"{skill.person_name}'s {skill.category.name} skill is recorded.", "success")
                return redirect(url_for("directory.skills", member_id=member.id))
        else:
            status = 422
    page = db.paginate(services.skills_query(member.id), page=page_number(), per_page=ROWS_PER_PAGE, error_out=False)
    return render_template(
        "directory/skills.html",
        member=member,
        page=page,
        form=form,
        may_edit=member.id in user.member_ids or user.is_admin,
    ), status


@bp.post("/skills/<int:skill_id>/remove")
@roles_required(Role.MEMBER, Role.SECRETARY)
def remove_skill(skill_id: int):
    user = require_actor()
    skill = services.skill_for(user, skill_id)
    member_id, name = skill.member_id, skill.person_name
    try:
        services.remove_skill(user, skill)
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
        return redirect(url_for("directory.skills", member_id=member_id)), error.status_code
    flash(f"{name}'s skill is removed.", "success")
    return redirect(url_for("directory.skills", member_id=member_id))


def _overview(consortium: Consortium | None, title: str, csv_url: str, network: Network | None = None):
    consortium_id, network_id = (consortium.id if consortium else None), (network.id if network else None)
    rows = db.paginate(
        services.skills_rows_query(consortium_id, network_id),
        page=page_number(),
        per_page=ROWS_PER_PAGE,
        error_out=False,
    )
    return render_template(
        "directory/skills_overview.html",
        title=title,
        coverage=services.skills_coverage(consortium_id, network_id),
        rows=rows,
        csv_url=csv_url,
        consortium=consortium,
        network=network,
    )


def _skills_csv(consortium_id: int | None, name: str, network_id: int | None = None) -> Response:
    rows = db.session.scalars(services.skills_rows_query(consortium_id, network_id))
    return csv_response(
        f"skills-{name}-{uk_today().isoformat()}.csv",
        exports.SKILLS_HEADER,
        exports.skills_rows(rows),
    )


@bp.get("/consortia/<int:consortium_id>/skills")
@roles_required(Role.SECRETARY)
def consortium_skills(consortium_id: int):
    consortium = consortium_or_404(require_actor(), consortium_id)
    network = services.network_in(consortium.id, query_id("network_id"))
    return _overview(
        consortium,
        f"Skills and gaps: {network.name if network else consortium.name}",
        url_for(
            "directory.consortium_skills_csv", consortium_id=consortium.id, network_id=network.id if network else None
        ),
        network,
    )


@bp.get("/consortia/<int:consortium_id>/skills.csv")
@roles_required(Role.SECRETARY)
def consortium_skills_csv(consortium_id: int):
    consortium = consortium_or_404(require_actor(), consortium_id)
    network = services.network_in(consortium.id, query_id("network_id"))
    if network is None:
        return _skills_csv(consortium.id, consortium.code.lower())
    return _skills_csv(consortium.id, f"{consortium.code.lower()}-network-{network.id}", network.id)


@bp.get("/skills")
@admin_required
def platform_skills():
    return _overview(None, "Skills and gaps across the platform", url_for("directory.platform_skills_csv"))


@bp.get("/skills.csv")
@admin_required
def platform_skills_csv():
    return _skills_csv(None, "platform")


@bp.route("/skill-categories", methods=["GET", "POST"])
@admin_required
def skill_categories():
    user = require_actor()
    form = CategoryForm()
    status = 200
    if request.method == "POST":
        if form.validate():
            try:
                category = services.add_category(user, form.name.data, SkillLevel(form.wanted_level.data))
            except DomainError as error:
                form_errors(form, error)
                status = error.status_code
            else:
                flash(f"{category.name} is added to the skill categories.", "success")
                return redirect(url_for("directory.skill_categories"))
        else:
            status = 422
    return render_template(
        "directory/categories.html", categories=services.categories(active_only=False), form=form
    ), status


# Verification


def _verification(member_id: int, form: VerificationForm, status: int = 200):
    member = services.member_to_verify(require_actor(), member_id)
    history = db.paginate(services.verifications_query(member), page=page_number(), per_page=PER_PAGE, error_out=False)
    latest = services.latest_verifications([member.id]).get(member.id)
    return render_template(
        "directory/verification.html", member=member, history=history, latest=latest, form=form, today=uk_today()
    ), status


@bp.get("/members/<int:member_id>/verification")
@roles_required(Role.SECRETARY)
def verification(member_id: int):
    return _verification(member_id, VerificationForm(formdata=None))


@bp.post("/members/<int:member_id>/verification")
@roles_required(Role.SECRETARY)
def verify(member_id: int):
    user = require_actor()
    member = services.member_to_verify(user, member_id)
    form = VerificationForm()
    if not form.validate():
        return _verification(member_id, form, 422)
    upload = form.document.data
    named = upload is not None and bool(getattr(upload, "filename", None))
    data = upload.read(services.EVIDENCE_BYTES + 1) if named else None
    check = services.Check(
        asset_lock=form.asset_lock.data,
        mission=form.mission.data,
        reinvestment=form.reinvestment.data,
        evidence_note=form.evidence_note.data,
        expires_on=form.expires_on.data,
        document=data,
        document_name=upload.filename if data is not None else None,
    )
    try:
        done = services.verify(user, member, check)
    except DomainError as error:
        form_errors(form, error)
        return _verification(member_id, form, error.status_code)
    if done.criteria_met:
        flash(f"{member.name} is verified until {done.expires_on:%-d %b %Y}.", "success")
    else:
        flash(f"The check is recorded: {member.name} does not meet every criterion, so shows no mark.", "info")
    return redirect(url_for("directory.verification", member_id=member.id))


@bp.get("/verifications/<int:verification_id>/document")
@roles_required(Role.SECRETARY)
def verification_document(verification_id: int):
    found = services.verification_for(require_actor(), verification_id)
    if found.document_key is None:
        return redirect(url_for("directory.verification", member_id=found.member_id))
    response = Response(storage().load(found.document_key), mimetype=found.document_type)
    response.headers["Content-Disposition"] = content_disposition(found.document_name or "evidence")
    response.headers["Cache-Control"] = "private, no-store"
    return response


# Spend with social enterprises


@bp.get("/spend")
@roles_required(Role.MEMBER, Role.SECRETARY)
def spend_index():
    scopes = [s for s in savings.visible_scopes(require_actor()) if s.kind in SPEND_KINDS]
    return render_template("directory/spend_index.html", scopes=scopes)


SPEND_KINDS = ("platform", "consortium", "network", "member")
SUFFIXES = {"page": "", "csv": "_csv", "chart": "_chart"}


@bp.app_template_global()
def spend_url(kind: str, scope_id=None, view: str = "page") -> str:
    arguments = {} if kind == "platform" else {f"{kind}_id": scope_id}
    return url_for(f"directory.spend_{kind}{SUFFIXES[view]}", **arguments)


def _spend_views(kind: str):
    def scope_of(url_arguments: dict) -> savings.Scope:
        return savings.scope_for(require_actor(), kind, url_arguments.get(f"{kind}_id"))

    def page(**url_arguments):
        found = services.spend_report(
            scope_of(url_arguments), page_number("rows_page"), page_number("suppliers_page"), ROWS_PER_PAGE
        )
        return render_template(
            "directory/spend.html",
            report=found,
            rows=found.rows,
            suppliers=found.suppliers,
            chart_height=charts.chart_height(found.rows.total),
            page_args=url_arguments,
        )

    def csv(**url_arguments):
        scope = scope_of(url_arguments)
        return csv_response(
            f"social-enterprise-spend-{exports.slug(scope.name)}-{uk_today().isoformat()}.csv",
            exports.SPEND_HEADER,
            exports.spend_rows(scope, services.spend_in_full(scope)),
        )

    def chart(**url_arguments):
        largest = services.most_social_spend(scope_of(url_arguments), charts.CHART_ROWS)
        return svg_response(charts.social_spend_svg(largest))

    return {"page": page, "csv": csv, "chart": chart}


def _register(kind: str, *roles: Role) -> None:
    path = "/spend/platform" if kind == "platform" else f"/spend/{kind}/<int:{kind}_id>"
    paths = {"page": "", "csv": ".csv", "chart": "/chart.svg"}
    for name, view in _spend_views(kind).items():
        bp.add_url_rule(path + paths[name], f"spend_{kind}{SUFFIXES[name]}", roles_required(*roles)(view))


_register("platform", Role.ADMIN)
for _kind in ("consortium", "network", "member"):
    _register(_kind, Role.MEMBER, Role.SECRETARY)
