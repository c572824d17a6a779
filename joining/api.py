"""Invitations, applications to join, and a consortium's membership import and export over JSON."""

import base64
import binascii

from flask import current_app

from joining import importing, services, sheet
from joining.models import ApplicationStatus
from joining.schemas import (
    ApplicationInSchema,
    ApplicationQuerySchema,
    ApplicationReceivedSchema,
    ApplicationSchema,
    DeclineInSchema,
    ImportInSchema,
    ImportResultSchema,
    InvitationInSchema,
    InvitationSchema,
)
from kernel.api import api_blueprint, json_body, operation, page_schema, paginated, query_args
from kernel.csv_export import csv_response
from kernel.errors import ValidationFailed
from kernel.extensions import limiter
from organisations.access import consortium_or_404, require_actor, roles_required
from organisations.models import Role

bp = api_blueprint("joining_api", __name__)
INVITING = (Role.MEMBER, Role.SECRETARY, Role.SUPPLIER)


@bp.get("/invitations")
@roles_required(*INVITING)
@operation(
    "Pending invitations the caller may resend or revoke", tags=["joining"], response=page_schema(InvitationSchema)
)
def list_invitations():
    return paginated(services.pending_invitations(require_actor()), InvitationSchema())


@bp.post("/invitations")
@roles_required(*INVITING)
@operation(
    "Invite a person by email to act for an organisation in a role",
    tags=["joining"],
    body=InvitationInSchema,
    response=InvitationSchema,
    status=201,
    errors=(409,),
)
def create_invitation():
    actor = require_actor()
    data = json_body(InvitationInSchema())
    invitation = services.invite(actor, data["email"], data["name"], Role(data["role"]), data["organisation_id"])
    return InvitationSchema().dump(invitation), 201


@bp.post("/invitations/<int:invitation_id>/resend")
@roles_required(*INVITING)
@operation("Send an invitation again with a new link", tags=["joining"], response=InvitationSchema, errors=(409,))
def resend_invitation(invitation_id: int):
    actor = require_actor()
    return InvitationSchema().dump(services.resend(actor, services.invitation_for(actor, invitation_id)))


@bp.post("/invitations/<int:invitation_id>/revoke")
@roles_required(*INVITING)
@operation("Revoke an invitation: its link stops working", tags=["joining"], response=InvitationSchema, errors=(409,))
def revoke_invitation(invitation_id: int):
    actor = require_actor()
    return InvitationSchema().dump(services.revoke(actor, services.invitation_for(actor, invitation_id)))


@bp.post("/applications")
@limiter.limit(lambda: current_app.config["JOIN_LIMIT"], scope="join")
@operation(
    "Apply to join a network (no token needed); the same email or company number twice is refused",
    tags=["joining"],
    body=ApplicationInSchema,
    response=ApplicationReceivedSchema,
    status=201,
    public=True,
    errors=(429,),
)
def submit_application():
    data = json_body(ApplicationInSchema())
    services.submit_application(data)
    return {"received": True}, 201


@bp.get("/applications")
@roles_required(Role.SECRETARY)
@operation(
    "Applications to join the caller's consortia, by status (pending first to decide)",
    tags=["joining"],
    query=ApplicationQuerySchema,
    response=page_schema(ApplicationSchema),
)
def list_applications():
    status = ApplicationStatus(query_args(ApplicationQuerySchema())["status"])
    return paginated(services.applications(require_actor(), status), ApplicationSchema())


@bp.post("/applications/<int:application_id>/approve")
@roles_required(Role.SECRETARY)
@operation(
    "Approve: the member and its first user's invitation are made",
    tags=["joining"],
    response=ApplicationSchema,
    errors=(409,),
)
def approve_application(application_id: int):
    actor = require_actor()
    application = services.application_for(actor, application_id)
    services.approve(actor, application)
    return ApplicationSchema().dump(application)


@bp.post("/applications/<int:application_id>/decline")
@roles_required(Role.SECRETARY)
@operation(
    "Decline with the reason the applicant is emailed",
    tags=["joining"],
    body=DeclineInSchema,
    response=ApplicationSchema,
    errors=(409,),
)
def decline_application(application_id: int):
    actor = require_actor()
    application = services.application_for(actor, application_id)
    data = json_body(DeclineInSchema())
    return ApplicationSchema().dump(services.decline(actor, application, data["reason"]))


@bp.post("/consortia/<int:consortium_id>/import")
@roles_required(Role.SECRETARY)
@operation(
    "Check (dry run: errors by row and column) or import a CSV or XLSX of networks, members and contacts; "
    "an import of a file with any error is a 422 and makes nothing",
    tags=["joining"],
    body=ImportInSchema,
    response=ImportResultSchema,
)
def import_members(consortium_id: int):
    actor = require_actor()
    consortium = consortium_or_404(actor, consortium_id)
    data = json_body(ImportInSchema())
    try:
        content = base64.b64decode(data["content_base64"], validate=True)
    except (binascii.Error, ValueError):
        raise ValidationFailed.field("content_base64", "Not base64.") from None
    checked = importing.preview(actor, consortium, data["filename"], content)
    if not data["dry_run"]:
        importing.run(actor, consortium, data["filename"], content)  # a file with errors: 422, nothing made
    imported = not data["dry_run"]
    return ImportResultSchema().dump(
        {
            "imported": imported,
            "errors": checked.errors,
            "new_networks": checked.new_networks,
            "members": checked.plan.members,
        }
    )


@bp.get("/consortia/<int:consortium_id>/export")
@roles_required(Role.SECRETARY)
@operation(
    "The consortium's networks, members and contacts as CSV, in the import's format",
    tags=["joining"],
    content={"text/csv": {"schema": {"type": "string"}}},
)
def export_members(consortium_id: int):
    consortium = consortium_or_404(require_actor(), consortium_id)
    rows = importing.export_rows(consortium)
    return csv_response(f"{consortium.code.lower()}-membership.csv", list(sheet.COLUMNS), sheet.table(rows))
