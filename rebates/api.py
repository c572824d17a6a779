"""Rebate agreements over JSON: list, create, one agreement with its claim, members' shares, received, share."""

from decimal import Decimal, InvalidOperation

from kernel.api import api_blueprint, json_body, operation, page_of, page_schema, query_args
from kernel.errors import Forbidden, ValidationFailed
from organisations.access import require_actor, roles_required
from organisations.models import Role
from rebates import services
from rebates.calculation import Basis, Method, Tier
from rebates.models import RebateAgreement, RebateStatus, ShareRoute
from rebates.schemas import (
    MyRebateShareSchema,
    RebateAgreementCreateSchema,
    RebateAgreementSchema,
    RebateCancelSchema,
    RebateClaimLineSchema,
    RebateQuerySchema,
    RebateReceivedSchema,
    RebateRetentionSchema,
    RebateShareSchema,
)

bp = api_blueprint("rebates_api", __name__)
TAGS = ["rebates"]
MAX_DECIMAL = Decimal(10**9)


def _decimal(text: str, name: str) -> Decimal:
    """A decimal string of the request, or a 422 naming its field."""
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise ValidationFailed.field(name, 'Write a number, as in "2.5".') from None
    if not value.is_finite() or abs(value) > MAX_DECIMAL:
        raise ValidationFailed.field(name, 'Write a number, as in "2.5".')
    return value


def _dump(agreement: RebateAgreement, lines: list[services.ClaimLine] | None = None) -> dict:
    claim = services.claim_lines(agreement) if lines is None else lines
    return RebateAgreementSchema().dump(agreement) | {"claim": RebateClaimLineSchema(many=True).dump(claim)}


@bp.get("/rebates")
@roles_required()
@operation(
    "Rebate agreements the caller runs or is party to",
    tags=TAGS,
    response=page_schema(RebateAgreementSchema),
    query=RebateQuerySchema,
)
def list_agreements():
    user = require_actor()
    args = query_args(RebateQuerySchema())
    status = RebateStatus(args["status"]) if "status" in args else None
    agreements, facts = page_of(services.with_terms(services.visible_agreements(user, status)))
    claims = services.claim_lines_of([a.id for a in agreements])
    return {"items": [_dump(a, claims[a.id]) for a in agreements]} | facts


@bp.post("/rebates")
@roles_required(Role.SECRETARY)
@operation(
    "Make a rebate agreement (national: admins only)",
    tags=TAGS,
    body=RebateAgreementCreateSchema,
    response=RebateAgreementSchema,
    status=201,
    errors=(403,),
)
def create_agreement():
    user = require_actor()
    data = json_body(RebateAgreementCreateSchema())
    terms = services.AgreementTerms(
        **data
        | {
            "basis": Basis(data["basis"]),
            "method": Method(data["method"]),
            "share_route": ShareRoute(data["share_route"]),
            "tiers": [Tier(t["threshold"], _decimal(t["rate"], "tiers")) for t in data["tiers"]],
            "retention_percent": _decimal(data["retention_percent"], "retention_percent"),
        }
    )
    return _dump(services.create_agreement(user, terms)), 201


@bp.get("/rebates/<int:rebate_agreement_id>")
@roles_required()
@operation("One rebate agreement, its tiers and its claim by consortium", tags=TAGS, response=RebateAgreementSchema)
def get_agreement(rebate_agreement_id: int):
    return _dump(services.agreement_for(require_actor(), rebate_agreement_id))


@bp.get("/rebates/<int:rebate_agreement_id>/shares")
@roles_required(Role.SECRETARY)
@operation(
    "Each eligible member's spend, units and share", tags=TAGS, response=page_schema(RebateShareSchema), errors=(403,)
)
def list_shares(rebate_agreement_id: int):
    user = require_actor()
    agreement = services.agreement_for(user, rebate_agreement_id)
    if not services.can_run(user, agreement):
        raise Forbidden("Only the agreement's secretary sees each member's share.")
    shares, facts = page_of(services.shares_of(agreement))
    return {"items": RebateShareSchema(many=True).dump(shares)} | facts


@bp.post("/rebates/<int:rebate_agreement_id>/received")
@roles_required(Role.SECRETARY)
@operation(
    "Record what the supplier paid",
    tags=TAGS,
    body=RebateReceivedSchema,
    response=RebateAgreementSchema,
    errors=(403, 409),
)
def record_received(rebate_agreement_id: int):
    user = require_actor()
    agreement = services.agreement_for(user, rebate_agreement_id)
    data = json_body(RebateReceivedSchema())
    return _dump(
        services.record_received(user, agreement, data["amount_pence"], data["received_on"], data["reference"])
    )


@bp.put("/rebates/<int:rebate_agreement_id>/retention")
@roles_required(Role.SECRETARY)
@operation(
    "Record the retention the members set (until shared)",
    tags=TAGS,
    body=RebateRetentionSchema,
    response=RebateAgreementSchema,
    errors=(403, 409),
)
def set_retention(rebate_agreement_id: int):
    user = require_actor()
    agreement = services.agreement_for(user, rebate_agreement_id)
    data = json_body(RebateRetentionSchema())
    return _dump(
        services.set_retention(
            user, agreement, _decimal(data["retention_percent"], "retention_percent"), data["retention_note"]
        )
    )


@bp.post("/rebates/<int:rebate_agreement_id>/share")
@roles_required(Role.SECRETARY)
@operation(
    "Share what was received: the retention kept, the rest to members by spend, to the penny",
    tags=TAGS,
    response=RebateAgreementSchema,
    errors=(403, 409),
)
def share(rebate_agreement_id: int):
    user = require_actor()
    return _dump(services.share(user, services.agreement_for(user, rebate_agreement_id)))


@bp.post("/rebates/<int:rebate_agreement_id>/cancel")
@roles_required(Role.SECRETARY)
@operation(
    "Cancel an active agreement, saying why; it is then never claimed",
    tags=TAGS,
    body=RebateCancelSchema,
    response=RebateAgreementSchema,
    errors=(403, 409),
)
def cancel(rebate_agreement_id: int):
    user = require_actor()
    agreement = services.agreement_for(user, rebate_agreement_id)
    return _dump(services.cancel(user, agreement, json_body(RebateCancelSchema())["reason"]))


@bp.get("/rebates/shares")
@roles_required(Role.MEMBER)
@operation(
    "The rebate shares of the caller's members", tags=TAGS, response=page_schema(MyRebateShareSchema), errors=(403,)
)
def my_shares():
    shares, facts = page_of(services.member_shares(require_actor()))
    return {"items": MyRebateShareSchema(many=True).dump(shares)} | facts
