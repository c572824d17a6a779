"""Shared-service pools over JSON: create, open, cancel, join, leave, participants, billed periods."""

from typing import Any

from kernel.api import api_blueprint, operation, page_of, page_schema, paginated, query_args
from kernel.clock import uk_today
from organisations.access import require_actor, roles_required
from organisations.models import Role, User
from pools.web import PoolEndpoints
from shared_services import services
from shared_services.models import AllocationKey, PeriodLength, ServicePool, ServicePoolStatus
from shared_services.schemas import (
    BilledPeriodSchema,
    JoinInSchema,
    LeaveInSchema,
    LeaveQuerySchema,
    ParticipationHistorySchema,
    ParticipationSchema,
    ServicePoolCreateSchema,
    ServicePoolQuerySchema,
    ServicePoolSchema,
)
from shared_services.views import CREATION, PAGES

bp = api_blueprint("shared_services_api", __name__)
TAGS = ["shared services"]


def pool_document(pool: ServicePool, user: User) -> dict:
    """The pool as the API shows it, with the caller's members' participation and shares."""
    today = uk_today()
    projected = services.projection(pool)
    now = services.current_period(pool, today)
    mine = []
    for shares in services.member_shares(pool, services.joining_members(user, pool), today, projected):
        p = shares.participation
        taking_part = p is not None and not p.withdrawn
        kept = p if taking_part else None
        mine.append(
            {
                "member_id": shares.member.id,
                "member_name": shares.member.name,
                "taking_part": taking_part,
                "units": kept.units if kept else None,
                "joined_from": kept.joined_from if kept else None,
                "left_after": kept.left_after if kept else None,
                "earliest_leave_after": shares.earliest_leave,
                "this_period": _share(pool, shares.this_period, shares.this_pence),
                "next_period": _share(pool, shares.next_period, shares.next_pence),
            }
        )
    return {
        "id": pool.id,
        "status": pool.status.value,
        "offer": pool.offer,
        "is_national": pool.is_national,
        "consortia": pool.consortia,
        "cost_per_period_pence": pool.cost_per_period_pence,
        "period": pool.period.value,
        "term_periods": pool.term_periods,
        "start_date": pool.start_date,
        "minimum_participants": pool.minimum_participants,
        "allocation_key": pool.allocation_key.value,
        "notice_periods": pool.notice_periods,
        "note": pool.note,
        "cancel_reason": pool.cancel_reason,
        "current_period": now,
        "participant_count": projected.count(max(now, 1)),
        "mine": mine,
    }


def _share(pool: ServicePool, period, pence) -> dict:
    return {"period": period, "label": services.period_label(pool, period) if period else None, "share_pence": pence}


def _dump(pool: ServicePool, user: User) -> dict:
    return ServicePoolSchema().dump(pool_document(pool, user))


@bp.get("/shared-services")
@roles_required()
@operation(
    "Shared-service pools the caller can see",
    tags=TAGS,
    response=page_schema(ServicePoolSchema),
    query=ServicePoolQuerySchema,
)
def list_pools():
    user = require_actor()
    args = query_args(ServicePoolQuerySchema())
    query = services.visible_pools(user, ServicePoolStatus(args["status"]) if "status" in args else None)
    pools, facts = page_of(query)
    return {"items": [_dump(pool, user) for pool in pools]} | facts


@bp.get("/shared-services/<int:service_pool_id>")
@roles_required()
@operation(
    "One shared-service pool: terms, participants count, the caller's share this period and next",
    tags=TAGS,
    response=ServicePoolSchema,
)
def get_pool(service_pool_id: int):
    user = require_actor()
    return _dump(services.pool_for(user, service_pool_id), user)


def _terms(data: dict[str, Any]) -> services.PoolTerms:
    return services.PoolTerms(
        **data | {"period": PeriodLength(data["period"]), "allocation_key": AllocationKey(data["allocation_key"])}
    )


PoolEndpoints(
    CREATION,
    "/shared-services",
    tags=TAGS,
    create_schema=ServicePoolCreateSchema,
    terms_from_body=_terms,
    response=ServicePoolSchema,
    dump=_dump,
    created="Create a draft shared-service pool (several consortia: national, admins only)",
    opened="Open a draft pool: members may join until its start",
    cancelled="Cancel a draft or open pool with the reason the members who joined are told",
).register(bp, "/shared-services/<int:service_pool_id>")


@bp.put("/shared-services/<int:service_pool_id>/participation")
@roles_required(Role.MEMBER)
@operation(
    "Join (201), or before the start change my units (200); after the start, join from the next period",
    tags=TAGS,
    body=JoinInSchema,
    response=ParticipationHistorySchema,
    errors=(403, 409),
)
def join(service_pool_id: int):
    user = require_actor()
    data = PAGES.body(user, service_pool_id, JoinInSchema())
    joined = services.join(user, service_pool_id, data["units"], data["member_id"])
    return ParticipationHistorySchema().dump(joined.participation), 201 if joined.action == "join" else 200


@bp.delete("/shared-services/<int:service_pool_id>/participation")
@roles_required(Role.MEMBER)
@operation(
    "Leave at the earliest period end the notice allows (before the start: withdraw)",
    tags=TAGS,
    query=LeaveQuerySchema,
    response=ParticipationHistorySchema,
    errors=(403, 409),
)
def delete_participation(service_pool_id: int):
    user = require_actor()
    args = PAGES.query(user, service_pool_id, LeaveQuerySchema())
    return ParticipationHistorySchema().dump(services.leave(user, service_pool_id, args.get("member_id")))


@bp.post("/shared-services/<int:service_pool_id>/participation/leave")
@roles_required(Role.MEMBER)
@operation(
    "Leave after a chosen period, no sooner than the notice allows",
    tags=TAGS,
    body=LeaveInSchema,
    response=ParticipationHistorySchema,
    errors=(403, 409),
)
def leave(service_pool_id: int):
    user = require_actor()
    data = PAGES.body(user, service_pool_id, LeaveInSchema())
    participation = services.leave(user, service_pool_id, data["member_id"], data["after_period"])
    return ParticipationHistorySchema().dump(participation)


@bp.get("/shared-services/<int:service_pool_id>/participants")
@roles_required()
@operation(
    "The pool's participants the caller may see (its own members; a secretary, its consortium's), "
    "withdrawn ones included",
    tags=TAGS,
    response=page_schema(ParticipationSchema),
)
def list_participants(service_pool_id: int):
    pool = services.pool_for(require_actor(), service_pool_id)
    return paginated(services.participants_with_history(pool, require_actor()), ParticipationSchema())


@bp.get("/shared-services/<int:service_pool_id>/periods")
@roles_required()
@operation(
    "The pool's billed periods: the cost, and the shares and invoices the caller may see",
    tags=TAGS,
    response=page_schema(BilledPeriodSchema),
)
def list_periods(service_pool_id: int):
    user = require_actor()
    pool = services.pool_for(user, service_pool_id)
    billed, facts = page_of(services.billed_periods(pool))
    items = []
    for b in billed:
        charges = [
            {
                "member_id": c.member_id,
                "member_name": c.member.name,
                "units": c.units,
                "weight": c.weight,
                "share_pence": c.share_pence,
                "list_unit_price": c.list_unit_price,
                "invoice_id": c.invoice_id,
                "invoice_number": c.invoice.number,
            }
            for c in b.charges
            if services.sees_member(user, c.member)
        ]
        items.append(
            {
                "period": b.period,
                "label": services.period_label(pool, b.period),
                "starts_on": b.starts_on,
                "ends_on": b.ends_on,
                "cost_pence": b.cost_pence,
                "participant_count": b.participant_count,
                "billed_at": b.billed_at,
                "charges": charges,
            }
        )
    return {"items": BilledPeriodSchema(many=True).dump(items)} | facts
