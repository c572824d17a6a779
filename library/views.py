"""Policy library pages: search, a template and its versions, drafting and publishing, adopting, acknowledging,
review tasks and the secretary's adoption grid."""

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from wtforms.fields.choices import SelectChoice

from kernel.clock import uk_today
from kernel.csv_export import content_disposition, csv_response
from kernel.errors import DomainError, NotFound
from kernel.extensions import db
from kernel.web import form_errors, page_number
from library import services, text
from library.documents import MAX_BYTES
from library.forms import AcknowledgeForm, AdoptForm, TemplateForm, VersionForm
from library.models import Adoption, AdoptionKind, PolicyCategory, PolicyTemplate, PolicyVersion, VersionStatus
from library.storage import storage
from organisations.access import can_act_for_member, consortium_or_404, require_actor, roles_required
from organisations.models import Consortium, Member, Role

bp = Blueprint("library", __name__, url_prefix="/library")
READERS = (Role.MEMBER, Role.SECRETARY)


def _category(value: str | None) -> PolicyCategory | None:
    return next((c for c in PolicyCategory if c.value == value), None)


@bp.get("/")
@roles_required(*READERS)
def index():
    user = require_actor()
    q = request.args.get("q", "")[: services.SEARCH_MAX]
    category = _category(request.args.get("category"))
    page = db.paginate(services.templates_query(user, q, category), page=page_number(), per_page=50, error_out=False)
    current = services.current_versions([t.id for t in page.items])
    return render_template(
        "library/index.html",
        page=page,
        q=q,
        category=category,
        categories=list(PolicyCategory),
        current=current,
        overdue=services.overdue(member_ids=sorted(user.member_ids)) if user.member_ids else None,
        consortia=_secretary_consortia(),
        may_create=user.is_admin or bool(user.secretary_consortium_ids),
        today=uk_today(),
    )


def _secretary_consortia() -> list[Consortium]:
    """The consortia whose templates the user runs: an admin's are all of them."""
    user = require_actor()
    query = db.select(Consortium).order_by(Consortium.name)
    if not user.is_admin:
        if not user.secretary_consortium_ids:
            return []
        query = query.where(Consortium.id.in_(user.secretary_consortium_ids))
    return list(db.session.scalars(query))


def _owner_choices(form: TemplateForm) -> None:
    user = require_actor()
    consortia = _secretary_consortia()
    national = [SelectChoice(0, "National: every consortium's members")] if user.is_admin else []
    form.consortium_id.choices = national + [SelectChoice(c.id, c.name) for c in consortia]


@bp.route("/new", methods=["GET", "POST"])
@roles_required(Role.SECRETARY)
def new_template():
    user = require_actor()
    form = TemplateForm()
    _owner_choices(form)
    if form.validate_on_submit():
        try:
            template = services.create_template(
                user,
                form.consortium_id.data or None,
                form.title.data,
                PolicyCategory(form.category.data),
                form.summary.data,
            )
        except DomainError as error:
            form_errors(form, error)
            return render_template("library/new_template.html", form=form), error.status_code
        flash("The template is saved. Write its first version.", "success")
        return redirect(url_for("library.new_version", template_id=template.id))
    return render_template("library/new_template.html", form=form), 422 if form.errors else 200


@bp.get("/templates/<int:template_id>")
@roles_required(*READERS)
def template_page(template_id: int):
    user = require_actor()
    template = services.template_for(user, template_id)
    current = services.current_version(template)
    members = services.acting_members(user, template)
    positions = services.latest_adoptions([template.id], [m.id for m in members])
    acknowledged = services.acknowledged_version_ids(user, [m.id for m in members])
    acknowledge_form = AcknowledgeForm(formdata=None)
    acknowledge_form.member_id.choices = [
        SelectChoice(m.id, m.name)
        for m in members
        if (a := positions.get((m.id, template.id))) is not None
        and a.kind.adopts
        and (m.id, a.version_id) not in acknowledged
    ]
    return render_template(
        "library/template.html",
        template=template,
        current=current,
        versions=services.visible_versions(user, template),
        can_run=services.can_run(user, template),
        members=members,
        positions={m.id: positions.get((m.id, template.id)) for m in members},
        acknowledged=acknowledged,
        acknowledge_form=acknowledge_form,
        rendered=text.render(current.body_markdown) if current and current.body_markdown else None,
        today=uk_today(),
    )


def _upload(field) -> tuple[bytes | None, str | None]:
    """The uploaded file's bytes (no more than one past the limit, so the size check can refuse it) and name."""
    stored = field.data
    if stored is None or not getattr(stored, "filename", ""):
        return None, None
    return stored.read(MAX_BYTES + 1), stored.filename


def _draft(form: VersionForm) -> services.Draft:
    data, name = _upload(form.document)
    return services.Draft(
        change_note=form.change_note.data or "",
        effective_date=form.effective_date.data,
        review_by=form.review_by.data,
        body_markdown=form.body_markdown.data,
        document=data,
        document_name=name,
    )


@bp.route("/templates/<int:template_id>/versions/new", methods=["GET", "POST"])
@roles_required(Role.SECRETARY)
def new_version(template_id: int):
    user = require_actor()
    template = services.template_for(user, template_id)
    if not services.can_run(user, template):
        raise NotFound("There is no such policy template, or it is not yours to see.")
    current = services.current_version(template)
    form = VersionForm()
    if request.method == "GET" and current is not None:
        form.body_markdown.data = current.body_markdown
        form.review_by.data = current.review_by
    if form.validate_on_submit():
        try:
            version = services.add_version(user, template, _draft(form))
        except DomainError as error:
            form_errors(form, error)
            return _version_form(template, form, None, error.status_code)
        flash(f"Version {version.number} is saved as a draft. Send it for review when it is ready.", "success")
        return redirect(url_for("library.version_page", version_id=version.id))
    return _version_form(template, form, None, 422 if form.errors else 200)


def _version_form(template: PolicyTemplate, form: VersionForm, version: PolicyVersion | None, status: int):
    return render_template("library/version_form.html", template=template, form=form, version=version), status


@bp.route("/versions/<int:version_id>/edit", methods=["GET", "POST"])
@roles_required(Role.SECRETARY)
def edit_version(version_id: int):
    user = require_actor()
    version = services.version_for(user, version_id)
    if not services.can_run(user, version.template):
        raise NotFound("There is no such policy version, or it is not yours to see.")
    if version.status is not VersionStatus.DRAFT:
        flash(f"Only a draft can be edited; version {version.number} is {version.status.value}.", "error")
        return redirect(url_for("library.version_page", version_id=version.id))
    form = VersionForm(obj=version if request.method == "GET" else None)
    if form.validate_on_submit():
        try:
            services.edit_version(user, version, _draft(form))
        except DomainError as error:
            form_errors(form, error)
            version = services.version_for(user, version_id)
            return _version_form(version.template, form, version, error.status_code)
        flash(f"Draft version {version.number} is saved.", "success")
        return redirect(url_for("library.version_page", version_id=version.id))
    return _version_form(version.template, form, version, 422 if form.errors else 200)


def _adopt_form(user, version: PolicyVersion, form: AdoptForm | None = None) -> AdoptForm:
    form = form or AdoptForm(formdata=None)
    form.member_id.choices = [SelectChoice(m.id, m.name) for m in services.acting_members(user, version.template)]
    return form


def _render_version(version: PolicyVersion, adopt_form: AdoptForm | None = None, status: int = 200):
    user = require_actor()
    previous = services.previous_published(version)
    members = services.acting_members(user, version.template)
    decided = services.decided_member_ids(version.id, [m.id for m in members])
    return render_template(
        "library/version.html",
        version=version,
        template=version.template,
        previous=previous,
        changes=text.changes(previous.body_markdown, version.body_markdown)
        if previous is not None and previous.body_markdown is not None and version.body_markdown is not None
        else None,
        rendered=text.render(version.body_markdown) if version.body_markdown else None,
        can_run=services.can_run(user, version.template),
        adopt_form=_adopt_form(user, version, adopt_form),
        undecided=[m for m in members if m.id not in decided],
        history=services.VERSION_LIFECYCLE.history(version.id),
    ), status


@bp.get("/versions/<int:version_id>")
@roles_required(*READERS)
def version_page(version_id: int):
    return _render_version(services.version_for(require_actor(), version_id))


def _move(version_id: int, change, done: str):
    user = require_actor()
    version = services.version_for(user, version_id)
    try:
        change(user, version)
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
        return redirect(url_for("library.version_page", version_id=version_id))
    flash(done.format(version=version), "success")
    return redirect(url_for("library.version_page", version_id=version_id))


@bp.post("/versions/<int:version_id>/submit")
@roles_required(Role.SECRETARY)
def submit_version(version_id: int):
    return _move(version_id, services.submit_for_review, "Version {version.number} is in review.")


@bp.post("/versions/<int:version_id>/return")
@roles_required(Role.SECRETARY)
def return_version(version_id: int):
    return _move(version_id, services.return_to_draft, "Version {version.number} is a draft again.")


def _publish(user, version: PolicyVersion) -> None:
    tasks = services.publish(user, version)
    if tasks:
        flash(
            f"{len(tasks)} member{'s' if len(tasks) != 1 else ''} that adopted the template "
            f"{'have' if len(tasks) != 1 else 'has'} a task to review it by {tasks[0].due_on:%-d %b %Y}.",
            "info",
        )


@bp.post("/versions/<int:version_id>/publish")
@roles_required(Role.SECRETARY)
def publish_version(version_id: int):
    return _move(version_id, _publish, "Version {version.number} is published.")


def _document_response(data: bytes, media_type: str | None, name: str | None) -> Response:
    response = Response(data, mimetype=media_type or "application/octet-stream")
    response.headers["Content-Disposition"] = content_disposition(name or "policy")
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/versions/<int:version_id>/document")
@roles_required(*READERS)
def version_document(version_id: int):
    version = services.version_for(require_actor(), version_id)
    if version.document_key is None:
        raise NotFound("This version is written in Markdown; it has no document.")
    return _document_response(storage().load(version.document_key), version.document_type, version.document_name)


@bp.get("/adoptions/<int:adoption_id>/document")
@roles_required(*READERS)
def adoption_document(adoption_id: int):
    user = require_actor()
    adoption = db.session.get(Adoption, adoption_id)
    member = db.session.get(Member, adoption.member_id) if adoption is not None else None
    if (
        adoption is None
        or member is None
        or adoption.document_key is None
        or not (can_act_for_member(user, member) or member.consortium_id in user.secretary_consortium_ids)
    ):
        raise NotFound("There is no such document, or it is not yours to see.")
    return _document_response(storage().load(adoption.document_key), adoption.document_type, adoption.document_name)


@bp.post("/versions/<int:version_id>/adopt")
@roles_required(Role.MEMBER)
def adopt(version_id: int):
    user = require_actor()
    version = services.version_for(user, version_id)
    form = _adopt_form(user, version, AdoptForm())
    if form.validate():
        data, name = _upload(form.document)
        try:
            adoption = services.adopt(
                user,
                version,
                AdoptionKind(form.kind.data),
                form.board_approved_on.data,
                form.next_review_on.data,
                form.member_id.data,
                data,
                name,
            )
        except DomainError as error:
            form_errors(form, error)
            return _render_version(services.version_for(user, version_id), form, error.status_code)
        flash(f"{adoption.member.name}: {version.template.title} {version.label}, {adoption.kind.label}.", "success")
        return redirect(url_for("library.template_page", template_id=version.template_id))
    return _render_version(version, form, 422)


@bp.post("/templates/<int:template_id>/acknowledge")
@roles_required(Role.MEMBER)
def acknowledge(template_id: int):
    user = require_actor()
    template = services.template_for(user, template_id)
    form = AcknowledgeForm()
    form.member_id.choices = [SelectChoice(m.id, m.name) for m in services.acting_members(user, template)]
    if not form.validate():
        flash("Choose the member whose policy you have read.", "error")
        return redirect(url_for("library.template_page", template_id=template.id))
    try:
        services.acknowledge(user, template, form.member_id.data)
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
        return redirect(url_for("library.template_page", template_id=template.id))
    flash(f"Thank you: you have read {template.title} as your organisation has it in force.", "success")
    return redirect(url_for("library.template_page", template_id=template.id))


@bp.get("/tasks")
@roles_required(Role.MEMBER)
def tasks():
    user = require_actor()
    page = db.paginate(services.tasks_query(user, open_only=False), page=page_number(), per_page=50, error_out=False)
    return render_template("library/tasks.html", page=page, today=uk_today())


@bp.get("/consortia/<int:consortium_id>")
@roles_required(Role.SECRETARY)
def grid(consortium_id: int):
    user = require_actor()
    consortium = consortium_or_404(user, consortium_id)
    members = db.paginate(
        services.grid_members(consortium), page=page_number("members_page"), per_page=50, error_out=False
    )
    found = services.grid(user, consortium, members.items)
    open_tasks = db.paginate(
        services.tasks_query(user, consortium_id=consortium.id), page=page_number(), per_page=50, error_out=False
    )
    return render_template(
        "library/grid.html",
        grid=found,
        members=members,
        tasks=open_tasks,
        overdue=services.overdue(consortium_id=consortium.id),
        today=found.today,
        VersionStatus=VersionStatus,
    )


@bp.get("/consortia/<int:consortium_id>.csv")
@roles_required(Role.SECRETARY)
def grid_csv(consortium_id: int):
    user = require_actor()
    found = services.grid(user, consortium_or_404(user, consortium_id))
    return csv_response(
        f"policy-adoption-{found.consortium.code.lower()}-{found.today.isoformat()}.csv",
        services.grid_header(found),
        services.grid_rows(found),
    )
