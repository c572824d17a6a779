"""The caller, as the API sees them, and a member's billing details."""

from flask import g

from kernel.api import api_blueprint, json_body, operation, page_schema, paginated, query_args
from kernel.extensions import db
from kernel.navigation import dashboard_todos
from organisations import audit, privacy, services
from organisations.access import admin_required, member_or_404, require_actor, signed_in
from organisations.models import User
from organisations.schemas import (
    AuditEntrySchema,
    AuditQuerySchema,
    CallerTokenSchema,
    DashboardSchema,
    ErasedSchema,
    MemberProfileSchema,
    MemberProfileUpdateSchema,
    MeSchema,
)

bp = api_blueprint("people_api", __name__)


@bp.get("/me")
@operation(
    "The caller, their roles and organisations, and the token they called with", tags=["people"], response=MeSchema
)
def me():
    return MeSchema().dump(require_actor()) | {"token": CallerTokenSchema().dump(g.api_token)}


@bp.get("/dashboard")
@operation(
    "What the caller's roles ask of them today: each section's count, the money it is about, its first few rows",
    tags=["people"],
    response=DashboardSchema,
)
@signed_in
def dashboard():
    return DashboardSchema().dump({"sections": dashboard_todos(require_actor())})


@bp.get("/members/<int:member_id>/profile")
@operation("A member's billing details and Peppol ID", tags=["people"], response=MemberProfileSchema)
@signed_in
def member_profile(member_id: int):
    return MemberProfileSchema().dump(member_or_404(require_actor(), member_id))


@bp.patch("/members/<int:member_id>/profile")
@operation(
    "Change a member's billing details; a Peppol ID's scheme must be on Peppol's list and its identifier of the "
    "scheme's shape (9932 a UK VAT number, 0088 a GLN with its check digit)",
    tags=["people"],
    body=MemberProfileUpdateSchema,
    response=MemberProfileSchema,
)
@signed_in
def update_member_profile(member_id: int):
    actor = require_actor()
    member = member_or_404(actor, member_id)
    data = json_body(MemberProfileUpdateSchema())
    return MemberProfileSchema().dump(services.update_member_profile(actor, member, data))


@bp.get("/me/data")
@operation(
    "Every piece of personal data held about the caller",
    tags=["people"],
    content={"application/json": {"schema": {"type": "object"}}},
)
@signed_in
def my_data():
    return privacy.personal_data(require_actor())


@bp.get("/audit")
@operation(
    "The audit log of sensitive actions, newest first, searched by action, text, consortium and UK dates",
    tags=["people"],
    query=AuditQuerySchema,
    response=page_schema(AuditEntrySchema),
)
@admin_required
def audit_log():
    args = query_args(AuditQuerySchema())
    criteria = audit.Search(args["action"], args["q"], args["consortium_id"], args["from_date"], args["to_date"])
    return paginated(audit.search(criteria), AuditEntrySchema())


@bp.post("/users/<int:user_id>/erase")
@operation(
    "Erase a person: name and email replaced, sessions and tokens ended, roles revoked; invoices keep "
    "their organisations' details",
    tags=["people"],
    response=ErasedSchema,
    errors=(409,),
)
@admin_required
def erase_person(user_id: int):
    return ErasedSchema().dump(privacy.erase(require_actor(), db.get_or_404(User, user_id)))
