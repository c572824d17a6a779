"""Pages for invitations, join applications and a consortium's membership import and export."""

import base64
import binascii

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from sqlalchemy import ColumnElement
from wtforms.fields.choices import SelectChoice

from joining import importing, services, sheet
from joining.forms import (
    ApplicationForm,
    DeclineForm,
    ExistingPasswordForm,
    ImportForm,
    InviteForm,
    NewPasswordForm,
)
from joining.models import ApplicationStatus
from kernel import confirm
from kernel.api import INT_MAX
from kernel.clock import utcnow
from kernel.csv_export import content_disposition, csv_response
from kernel.errors import DomainError, ValidationFailed
from kernel.extensions import db, limiter
from kernel.web import Picked, form_errors, page_number, pick
from organisations.access import consortium_or_404, require_actor, roles_required
from organisations.models import Consortium, Member, Network, Organisation, Role, Supplier
from organisations.views import begin_session

bp = Blueprint("joining", __name__)
MAX_UPLOAD_BYTES = 2_000_000
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


# Invitations


def _invite_choices(form: InviteForm, actor) -> Picked:
    """The organisations to invite people to act for, found by one search (`?organisation_search=`)."""
    choices = services.invitable(actor)
    posted_role, _, posted_scope = (request.form.get("organisation") or "").partition(":")
    kept = int(posted_scope) if posted_scope.isdigit() and int(posted_scope) <= INT_MAX else None

    def keep(role: Role, column) -> ColumnElement[bool] | None:
        return column == kept if kept is not None and posted_role == role.value else None

    search = "organisation_search"
    members = pick(choices.members, [Organisation.legal_name], search, keep(Role.MEMBER, Member.id))
    suppliers = pick(choices.suppliers, [Organisation.legal_name], search, keep(Role.SUPPLIER, Supplier.id))
    consortia = (
        pick(choices.consortia, [Consortium.name], search, keep(Role.SECRETARY, Consortium.id))
        if choices.consortia is not None
        else Picked([], False, members.search, search)
    )
    form.organisation.choices = ([SelectChoice(f"{Role.ADMIN.value}:", "Platform admin")] if choices.admin else []) + [
        *(SelectChoice(f"{Role.MEMBER.value}:{m.id}", f"User of {m.name}") for m in members.items),
        *(SelectChoice(f"{Role.SECRETARY.value}:{c.id}", f"Secretary of {c.name}") for c in consortia.items),
        *(SelectChoice(f"{Role.SUPPLIER.value}:{s.id}", f"User of the supplier {s.name}") for s in suppliers.items),
    ]
    every = (members, consortia, suppliers)
    return Picked([o for p in every for o in p.items], any(p.more for p in every), members.search, search)


def parse_choice(value: str) -> tuple[Role, int | None]:
    role, _, scope = (value or "").partition(":")
    try:
        return Role(role), int(scope) if scope else None
    except ValueError:
        raise ValidationFailed.field("organisation", "Choose who they will act for.") from None


@bp.route("/invitations", methods=["GET", "POST"])
@roles_required(Role.MEMBER, Role.SECRETARY, Role.SUPPLIER)
def invitations():
    actor = require_actor()
    form = InviteForm()
    organisations = _invite_choices(form, actor)
    status = 200
    if form.validate_on_submit():
        try:
            role, scope_id = parse_choice(form.organisation.data)
            invitation = services.invite(actor, form.email.data, form.name.data, role, scope_id)
        except DomainError as error:
            form_errors(form, error)
            status = error.status_code if error.status_code != 400 else 422
        else:
            flash(f"Invitation sent to {invitation.email}.", "success")
            return redirect(url_for("joining.invitations"))
    elif form.errors:
        status = 422
    page = db.paginate(services.pending_invitations(actor), page=page_number(), per_page=50, error_out=False)
    return (
        render_template("joining/invitations.html", form=form, page=page, now=utcnow(), organisations=organisations),
        status,
    )


@bp.post("/invitations/<int:invitation_id>/resend")
@roles_required(Role.MEMBER, Role.SECRETARY, Role.SUPPLIER)
def resend_invitation(invitation_id: int):
    actor = require_actor()
    invitation = services.resend(actor, services.invitation_for(actor, invitation_id))
    flash(f"Invitation sent again to {invitation.email}; the earlier link no longer works.", "success")
    return redirect(url_for("joining.invitations"))


@bp.get("/invitations/<int:invitation_id>/revoke")
@roles_required(Role.MEMBER, Role.SECRETARY, Role.SUPPLIER)
def confirm_revoke_invitation(invitation_id: int):
    invitation = services.invitation_for(require_actor(), invitation_id)
    return confirm.ask(
        confirm.Confirmation(
            title=f"Revoke the invitation to {invitation.name} ({invitation.email})?",
            consequences=[
                f"The link emailed to {invitation.email} stops working at once: they can no longer accept it "
                f"to act as {invitation.role_description}.",
                "They are not emailed that it was revoked.",
                "It cannot be undone: to let them join, invite them again.",
            ],
            action=url_for("joining.revoke_invitation", invitation_id=invitation.id),
            button="Revoke invitation",
            back=url_for("joining.invitations"),
        )
    )


@bp.post("/invitations/<int:invitation_id>/revoke")
@roles_required(Role.MEMBER, Role.SECRETARY, Role.SUPPLIER)
def revoke_invitation(invitation_id: int):
    actor = require_actor()
    found = services.invitation_for(actor, invitation_id)
    if not confirm.confirmed():
        return confirm.ask_first(url_for("joining.confirm_revoke_invitation", invitation_id=found.id))
    invitation = services.revoke(actor, found)
    flash(f"Invitation to {invitation.email} revoked.", "success")
    return redirect(url_for("joining.invitations"))


@bp.route("/invitations/accept/<token>", methods=["GET", "POST"])
def accept_invitation(token: str):
    """The emailed link: a new person sets a password, an existing one confirms theirs; both land signed in."""
    invitation = services.invitation_by_token(token)
    existing = services.existing_user(invitation)
    form = ExistingPasswordForm() if existing is not None else NewPasswordForm()
    if form.validate_on_submit():
        try:
            user = services.accept(invitation, form.password.data)
        except DomainError as error:
            form_errors(form, error)
        else:
            response = begin_session(user)
            flash(f"Welcome. You now act for {invitation.organisation_name}.", "success")
            return response
    status = 422 if form.errors or form.form_errors else 200
    return render_template(
        "joining/accept.html", form=form, invitation=invitation, existing=existing is not None
    ), status


# Applications to join


@bp.route("/join", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["JOIN_LIMIT"], methods=["POST"], scope="join")
def apply():
    form = ApplicationForm()
    posted = request.form.get("network_id", "")
    networks = pick(
        services.open_networks(),
        [Network.name, Consortium.name],
        "network_search",
        Network.id == int(posted) if posted.isdigit() and int(posted) <= INT_MAX else None,
    )
    form.network_id.choices = [SelectChoice(n.id, f"{n.name} ({n.consortium.name})") for n in networks.items]
    if form.validate_on_submit():
        if form.website.data:  # only a robot fills the field people cannot see: thank it, keep nothing
            return render_template("joining/applied.html"), 200
        try:
            services.submit_application(form.data)
        except DomainError as error:
            form_errors(form, error)
        else:
            return render_template("joining/applied.html"), 200
    status = 422 if form.errors or form.form_errors else 200
    return render_template("joining/apply.html", form=form, networks=networks), status


@bp.get("/applications")
@roles_required(Role.SECRETARY)
def applications():
    actor = require_actor()
    status = request.args.get("status", "pending")
    chosen = next((s for s in ApplicationStatus if s.value == status), ApplicationStatus.PENDING)
    page = db.paginate(services.applications(actor, chosen), page=page_number(), per_page=50, error_out=False)
    return render_template("joining/applications.html", page=page, status=chosen, statuses=list(ApplicationStatus))


@bp.get("/applications/<int:application_id>")
@roles_required(Role.SECRETARY)
def application(application_id: int):
    actor = require_actor()
    found = services.application_for(actor, application_id)
    return render_template("joining/application.html", application=found, decline_form=DeclineForm(formdata=None))


@bp.post("/applications/<int:application_id>/approve")
@roles_required(Role.SECRETARY)
def approve_application(application_id: int):
    actor = require_actor()
    approved = services.approve(actor, services.application_for(actor, application_id))
    flash(
        f"{approved.member.name} is a member now; {approved.invitation.email} is invited to sign in.",
        "success",
    )
    return redirect(url_for("joining.applications"))


@bp.post("/applications/<int:application_id>/decline")
@roles_required(Role.SECRETARY)
def decline_application(application_id: int):
    actor = require_actor()
    found = services.application_for(actor, application_id)
    form = DeclineForm()
    if form.validate_on_submit():
        try:
            services.decline(actor, found, form.reason.data)
        except DomainError as error:
            form_errors(form, error, {"reason": "reason"})
        else:
            flash(f"The application of {found.legal_name} is declined; the applicant is emailed why.", "success")
            return redirect(url_for("joining.applications"))
    return render_template("joining/application.html", application=found, decline_form=form), 422


# Import and export


@bp.route("/consortia/<int:consortium_id>/import", methods=["GET", "POST"])
@roles_required(Role.SECRETARY)
def import_members(consortium_id: int):
    """Upload: the preview. The preview's Import button posts the same file back (in a hidden field) to run it."""
    actor = require_actor()
    consortium = consortium_or_404(actor, consortium_id)
    form = ImportForm()
    checked, status = None, 200
    if form.validate_on_submit():
        try:
            filename, data = _uploaded(form)
            checked = importing.preview(actor, consortium, filename, data)
            if checked.valid and request.form.get("confirm") == "1":
                made = importing.run(actor, consortium, filename, data)
                flash(
                    f"Imported {made.members} members and {made.networks} new networks; "
                    f"{made.invitations} people are invited.",
                    "success",
                )
                return redirect(url_for("joining.import_members", consortium_id=consortium.id))
            form.content.data = base64.b64encode(data).decode()
            form.filename.data = filename
            status = 200 if checked.valid else 422
        except DomainError as error:
            form_errors(form, error)
            status = 422
    elif form.errors:
        status = 422
    return render_template(
        "joining/import.html", form=form, consortium=consortium, checked=checked, columns=sheet.COLUMNS
    ), status


def _uploaded(form: ImportForm) -> tuple[str, bytes]:
    upload = form.file.data
    if upload is not None and upload.filename:
        data = upload.read(MAX_UPLOAD_BYTES + 1)
        filename = upload.filename
    elif form.content.data:
        try:
            data = base64.b64decode(form.content.data, validate=True)
        except (binascii.Error, ValueError):
            raise ValidationFailed.field("file", "Upload the file again.") from None
        filename = form.filename.data or ""
    else:
        raise ValidationFailed.field("file", "Choose a .csv or .xlsx file.")
    if len(data) > MAX_UPLOAD_BYTES:
        raise ValidationFailed.field("file", "The file is over 2 MB; split it into smaller files.")
    return filename, data


@bp.get("/consortia/<int:consortium_id>/export.csv")
@roles_required(Role.SECRETARY)
def export_members_csv(consortium_id: int):
    consortium = consortium_or_404(require_actor(), consortium_id)
    filename = f"{consortium.code.lower()}-membership.csv"
    return csv_response(filename, list(sheet.COLUMNS), sheet.table(importing.export_rows(consortium)))


@bp.get("/consortia/<int:consortium_id>/export.xlsx")
@roles_required(Role.SECRETARY)
def export_members_xlsx(consortium_id: int):
    consortium = consortium_or_404(require_actor(), consortium_id)
    response = current_app.response_class(sheet.write_xlsx(importing.export_rows(consortium)), mimetype=XLSX)
    response.headers["Content-Disposition"] = content_disposition(f"{consortium.code.lower()}-membership.xlsx")
    response.headers["Cache-Control"] = "private, no-store"
    return response
