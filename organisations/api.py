"""The caller, as the API sees them, and a member's billing details."""

from flask import g

from kernel.api import api_blueprint, json_body, operation
from organisations import services
from organisations.access import member_or_404, require_actor, signed_in
from organisations.schemas import CallerTokenSchema, MemberProfileSchema, MemberProfileUpdateSchema, MeSchema

bp = api_blueprint("people_api", __name__)


@bp.get("/me")
@operation(
    "The caller, their roles and organisations, and the token they called with", tags=["people"], response=MeSchema
)
def me():
    return MeSchema().dump(require_actor()) | {"token": CallerTokenSchema().dump(g.api_token)}


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
