"""Pools and pledges over JSON."""

from dataclasses import dataclass

from kernel import unit_of_work
from kernel.api import api_blueprint, json_body, operation, page_of, page_schema, paginated, query_args, wants_csv
from kernel.csv_export import csv_response
from kernel.errors import ValidationFailed
from kernel.extensions import db
from orders import closing, purchase_orders, services
from orders.invoice_plan import MemberBill
from orders.models import Pledge, Pool, PoolStatus, PurchaseOrder, PurchaseOrderStatus
from orders.order_documents import order_csv_rows, orders_csv_rows
from orders.schemas import (
    AllocationSchema,
    ClosePlanSchema,
    CloseResultSchema,
    DeliveriesSchema,
    MyPledgeSchema,
    OrderLineSchema,
    OrderQuerySchema,
    PledgeHistorySchema,
    PledgeInSchema,
    PledgeOutSchema,
    PledgeSchema,
    PoolCreateSchema,
    PoolQuerySchema,
    PoolSchema,
    PoolTermsSchema,
    PurchaseOrderSchema,
    PurchaseOrderSummarySchema,
)
from orders.views import CREATION, PAGES
from organisations.access import require_actor, roles_required
from organisations.models import Role, User
from pools.web import PoolEndpoints

bp = api_blueprint("orders_api", __name__)


def pool_document(pool: Pool, user: User) -> dict:
    """The pool as the API shows it, with the caller's own pledges and their estimated cost."""
    summary = services.summarise(pool)
    members = services.pledging_members(user, pool)
    pledges = services.member_pledges(pool, members)
    costs = closing.members_costs(pool, pledges)
    mine = [PledgeWithEstimate(pledge, costs.get(member_id)) for member_id, pledge in pledges.items()]
    return {
        "id": pool.id,
        "status": pool.status.value,
        "offer": pool.offer,
        "is_national": pool.is_national,
        "consortia": pool.consortia,
        "deadline": pool.deadline,
        "minimum_quantity": pool.minimum_quantity,
        "capacity": pool.capacity,
        "delivery_charge_pence": pool.delivery_charge_pence,
        "note": pool.note,
        "solidarity_rate_percent": pool.solidarity_rate_percent,
        "total_quantity": summary.total_quantity,
        "flexible_quantity": pool.pledged_flexible,
        "member_count": summary.member_count,
        "unit_price": summary.unit_price,
        "list_price": summary.list_price,
        "tier": summary.tier,
        "minimum_reached": summary.minimum_reached,
        "next_tier": None
        if summary.next_tier is None
        else {
            "min_quantity": summary.next_tier.min_quantity,
            "unit_price": summary.next_tier.unit_price,
            "units_to_go": summary.units_to_next_tier,
        },
        "saving_pence": summary.saving_pence,
        "saving_percent": summary.saving_percent,
        "cancel_reason": pool.cancel_reason,
        "my_pledges": mine,
    }


@dataclass
class PledgeWithEstimate:
    """A pledge as its member sees it: with its bill (if the pool closed now, while it is open)."""

    pledge: "Pledge | services.PledgeState"
    estimate: MemberBill | None

    def __getattr__(self, name):
        return getattr(self.pledge, name)


@bp.get("/pools")
@roles_required()
@operation("Pools the caller can see", tags=["pools"], response=page_schema(PoolSchema), query=PoolQuerySchema)
def list_pools():
    user = require_actor()
    args = query_args(PoolQuerySchema())
    query = services.filter_pools(
        services.visible_pools(user),
        PoolStatus(args["status"]) if "status" in args else None,
        args.get("category"),
        args["sort"],
    )
    pools, facts = page_of(query)
    return {"items": [PoolSchema().dump(pool_document(pool, user)) for pool in pools]} | facts


@bp.get("/pools/<int:pool_id>")
@roles_required()
@operation("One pool: demand, tier reached, next tier, the caller's pledge", tags=["pools"], response=PoolSchema)
def get_pool(pool_id: int):
    user = require_actor()
    return PoolSchema().dump(pool_document(services.pool_for(user, pool_id), user))


PoolEndpoints(
    CREATION,
    "/pools",
    tags=["pools"],
    create_schema=PoolCreateSchema,
    terms_from_body=lambda data: services.PoolTerms(**data),
    response=PoolSchema,
    dump=lambda pool, user: PoolSchema().dump(pool_document(pool, user)),
    created="Create a draft pool (several consortia: a national pool, admins only)",
    opened="Open a draft pool to pledges",
    cancelled="Cancel a draft or open pool, with the reason members will see",
).register(bp, "/pools/<int:pool_id>")


@bp.put("/pools/<int:pool_id>")
@operation(
    "Set a draft pool's terms (every term, as when it was created); 409 once it has opened",
    tags=["pools"],
    body=PoolTermsSchema,
    response=PoolSchema,
)
@roles_required(Role.SECRETARY)
def update_pool(pool_id: int):
    user = require_actor()
    services.require_visible(user, pool_id)
    pool = services.edit_draft(user, pool_id, services.PoolTerms(**json_body(PoolTermsSchema())))
    return PoolSchema().dump(pool_document(pool, user))


def _body_unless_not_visible(user: User, pool_id: int, schema) -> dict:
    """A pool outside the caller's consortia is 404 whatever the body (checked only when the body is bad:
    on the good path the pledge service checks it anyway)."""
    return PAGES.body(user, pool_id, schema)


# Built once: the pledge path is the busiest endpoint, and a schema's construction copies its fields.
_PLEDGE_IN, _MY_PLEDGE = PledgeInSchema(), MyPledgeSchema()


@bp.put("/pools/<int:pool_id>/pledge")
@roles_required(Role.MEMBER)
@operation(
    "Place or change my pledge while the pool is open",
    tags=["pledges"],
    body=PledgeInSchema,
    response=MyPledgeSchema,
    errors=(403, 409),
    also=(201,),
)
def put_pledge(pool_id: int):
    user = require_actor()
    data = _body_unless_not_visible(user, pool_id, _PLEDGE_IN)
    change = services.pledge(user, pool_id, data["quantity"], data["flexible_extra"], data["member_id"])
    unit_of_work.commit()  # the pool's lock goes with it: the next pledge need not wait for this answer
    return _MY_PLEDGE.dump(PledgeWithEstimate(change.pledge, change.estimate)), 201 if change.old_quantity == 0 else 200


@bp.delete("/pools/<int:pool_id>/pledge")
@roles_required(Role.MEMBER)
@operation(
    "Withdraw my pledge while the pool is open",
    tags=["pledges"],
    query=PledgeOutSchema,
    response=PledgeSchema,
    errors=(403, 409),
)
def delete_pledge(pool_id: int):
    user = require_actor()
    args = PAGES.query(user, pool_id, PledgeOutSchema())
    change = services.withdraw_pledge(user, pool_id, args["member_id"])
    unit_of_work.commit()
    return PledgeSchema().dump(change.pledge)


@bp.get("/pledges")
@roles_required(Role.MEMBER)
@operation(
    "My members' pledges with their history", tags=["pledges"], response=page_schema(PledgeHistorySchema), errors=(403,)
)
def list_pledges():
    return paginated(services.my_pledges(require_actor()), PledgeHistorySchema())


@bp.get("/pools/<int:pool_id>/close-preview")
@roles_required(Role.SECRETARY)
@operation(
    "What closing the pool now would do: tier, packs, every member's allocation and cost, the orders",
    tags=["closing"],
    response=ClosePlanSchema,
    errors=(403, 409),
)
def close_preview(pool_id: int):
    user = require_actor()
    plan = closing.preview_close(user, services.pool_for(user, pool_id))
    closing.member_lines(plan)
    return ClosePlanSchema().dump(plan)


@bp.post("/pools/<int:pool_id>/close")
@roles_required(Role.SECRETARY)
@operation(
    "Close the pool and make one purchase order per consortium (or cancel it below the minimum)",
    tags=["closing"],
    response=CloseResultSchema,
    errors=(403, 409),
)
def close_pool(pool_id: int):
    user = require_actor()
    pool = services.pool_for(user, pool_id)
    services.require_manager(user, pool)
    return CloseResultSchema().dump(closing.close_pool(user, pool.id))


def order_document(order: PurchaseOrder) -> dict:
    """The order with its lines and each member's allocation, priced so the allocations sum to the goods line."""
    totals = purchase_orders.allocation_totals(order)
    lines = [
        {
            "description": f"{order.offer_name} (per {order.unit}, packs of {order.pack_size})",
            "units": order.units,
            "unit_price": order.unit_price,
            "total_pence": order.goods_pence,
        }
    ]
    if order.delivery_charge_pence:
        lines.append(
            {
                "description": "Delivery charge",
                "units": 1,
                "unit_price": None,
                "total_pence": order.delivery_charge_pence,
            }
        )
    allocations = [
        {
            "member_id": a.member_id,
            "member_name": a.member_name,
            "pledged_units": a.pledged_units,
            "flexible_extra": a.flexible_extra,
            "units": a.units,
            "unit_price": order.unit_price,
            "total_pence": totals[a.member_id],
            "delivered_units": a.delivered_units,
            "reason": a.reason,
            "delivery_address": a.delivery_address,
            "contact_email": a.contact_email,
        }
        for a in order.allocations
    ]
    return PurchaseOrderSummarySchema().dump(order) | {
        "lines": OrderLineSchema(many=True).dump(lines),
        "allocations": AllocationSchema(many=True).dump(allocations),
    }


CSV_CONTENT = {"text/csv": {"schema": {"type": "string"}}}


@bp.get("/purchase-orders")
@roles_required(Role.SECRETARY, Role.SUPPLIER)
@operation(
    "Purchase orders the caller can see (Accept: text/csv for a spreadsheet)",
    tags=["purchase orders"],
    query=OrderQuerySchema,
    errors=(403,),
    content={"application/json": {"schema": page_schema(PurchaseOrderSummarySchema)}} | CSV_CONTENT,
)
def list_purchase_orders():
    args = query_args(OrderQuerySchema())
    query = purchase_orders.visible_orders(require_actor())
    if "status" in args:
        query = query.where(PurchaseOrder.status == PurchaseOrderStatus(args["status"]))
    if wants_csv():
        return csv_response("purchase-orders.csv", *orders_csv_rows(db.session.scalars(query)))
    return paginated(query, PurchaseOrderSummarySchema())


@bp.get("/purchase-orders/<int:order_id>")
@roles_required(Role.SECRETARY, Role.SUPPLIER)
@operation(
    "One purchase order: lines, allocations, delivery breakdown (Accept: text/csv for a spreadsheet)",
    tags=["purchase orders"],
    errors=(403,),
    content={"application/json": {"schema": PurchaseOrderSchema}} | CSV_CONTENT,
)
def get_purchase_order(order_id: int):
    order = purchase_orders.order_for(require_actor(), order_id)
    if wants_csv():
        return csv_response(f"{order.number}.csv", *order_csv_rows(order))
    return order_document(order)


@bp.post("/purchase-orders/<int:order_id>/send")
@roles_required(Role.SECRETARY)
@operation(
    "Send a draft order to the supplier", tags=["purchase orders"], response=PurchaseOrderSchema, errors=(403, 409)
)
def send_purchase_order(order_id: int):
    user = require_actor()
    return order_document(purchase_orders.send(user, purchase_orders.order_for(user, order_id)))


@bp.post("/purchase-orders/<int:order_id>/confirm")
@roles_required(Role.SUPPLIER)
@operation("Confirm a sent order (supplier)", tags=["purchase orders"], response=PurchaseOrderSchema, errors=(403, 409))
def confirm_purchase_order(order_id: int):
    user = require_actor()
    return order_document(purchase_orders.confirm(user, purchase_orders.order_for(user, order_id)))


@bp.post("/purchase-orders/<int:order_id>/deliveries")
@roles_required(Role.SECRETARY, Role.SUPPLIER)
@operation(
    "Record the delivery: units delivered per member; members not listed received all theirs",
    tags=["purchase orders"],
    body=DeliveriesSchema,
    response=PurchaseOrderSchema,
    errors=(403, 409),
)
def record_delivery(order_id: int):
    user = require_actor()
    order = purchase_orders.order_for(user, order_id)
    data = json_body(DeliveriesSchema())
    delivered = {}
    for entry in data["deliveries"]:
        if entry["member_id"] in delivered:
            raise ValidationFailed.field("deliveries", f"Member {entry['member_id']} is listed twice.")
        delivered[entry["member_id"]] = entry["units"]
    return order_document(purchase_orders.record_delivery(user, order, delivered))
