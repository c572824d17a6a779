"""Purchase orders after closing: who sees them, and sending, confirming, delivering, cancelling.

Secretaries see their consortium's orders, suppliers theirs from `sent` on, admins all.
Members see their own allocation on the pool's page, never the whole order (it names
other members and their addresses).
"""

from collections.abc import Mapping

from sqlalchemy import Select, and_, or_, select
from sqlalchemy.orm import selectinload

from kernel.allocation import largest_remainder
from kernel.clock import utcnow
from kernel.errors import Conflict, Forbidden, NotFound, ValidationFailed
from kernel.extensions import db
from kernel.lifecycle import Who
from orders import notices
from orders.closing import sync_pool_status
from orders.models import POOL_LIFECYCLE, Pool, PoolStatus, PurchaseOrder, PurchaseOrderStatus
from organisations.models import User

MAX_CANCEL_REASON = 500


def visible_orders(user: User) -> Select:
    query = select(PurchaseOrder)
    if not user.is_admin:
        query = query.where(
            or_(
                PurchaseOrder.consortium_id.in_(user.secretary_consortium_ids or {-1}),
                and_(
                    PurchaseOrder.supplier_id.in_(user.supplier_ids or {-1}),
                    PurchaseOrder.status != PurchaseOrderStatus.DRAFT,
                ),
            )
        )
    return query.order_by(PurchaseOrder.created_at.desc(), PurchaseOrder.id.desc())


def order_for(user: User, order_id: int) -> PurchaseOrder:
    """The order if the user may see it; 404 otherwise, so other organisations' orders do not leak."""
    order = db.session.scalar(
        visible_orders(user).where(PurchaseOrder.id == order_id).options(selectinload(PurchaseOrder.allocations))
    )
    if order is None:
        raise NotFound("No such purchase order.")
    return order


def is_buyer(user: User, order: PurchaseOrder) -> bool:
    return user.is_admin or order.consortium_id in user.secretary_consortium_ids


def is_seller(user: User, order: PurchaseOrder) -> bool:
    return user.is_admin or order.supplier_id in user.supplier_ids


def _move(actor: User, order: PurchaseOrder, allowed: set[PurchaseOrderStatus], to: PurchaseOrderStatus) -> None:
    if order.status not in allowed:
        raise Conflict(f"A {order.status.value} order cannot be marked {to.value}.")
    order.status = to
    pool_orders = db.session.scalars(select(PurchaseOrder).where(PurchaseOrder.pool_id == order.pool_id)).all()
    sync_pool_status(db.session.get_one(Pool, order.pool_id), pool_orders, actor)
    db.session.flush()


def send(actor: User, order: PurchaseOrder) -> PurchaseOrder:
    if not is_buyer(actor, order):
        raise Forbidden("Only the consortium's secretary sends its orders.")
    _move(actor, order, {PurchaseOrderStatus.DRAFT}, PurchaseOrderStatus.SENT)
    order.sent_at = utcnow()
    notices.order_sent(order)
    return order


def confirm(actor: User, order: PurchaseOrder) -> PurchaseOrder:
    if not is_seller(actor, order):
        raise Forbidden("Only the supplier confirms an order.")
    _move(actor, order, {PurchaseOrderStatus.SENT}, PurchaseOrderStatus.CONFIRMED)
    order.confirmed_at = utcnow()
    return order


def record_delivery(actor: User, order: PurchaseOrder, delivered: Mapping[int, int] | None = None) -> PurchaseOrder:
    """Units delivered per member (member id -> units); members not named received all their units."""
    if not (is_buyer(actor, order) or is_seller(actor, order)):
        raise Forbidden("Only the consortium's secretary or the supplier records a delivery.")
    if order.status not in (PurchaseOrderStatus.SENT, PurchaseOrderStatus.CONFIRMED):
        raise Conflict(f"A {order.status.value} order cannot take a delivery.")
    delivered = dict(delivered or {})
    by_member = {a.member_id: a for a in order.allocations}
    errors: dict[str, list[str]] = {}
    for member_id, units in delivered.items():
        allocation = by_member.get(member_id)
        if allocation is None:
            errors[f"deliveries.{member_id}"] = ["That member has nothing on this order."]
        elif isinstance(units, bool) or not isinstance(units, int) or not 0 <= units <= allocation.units:
            errors[f"deliveries.{member_id}"] = [f"Enter a whole number from 0 to {allocation.units}."]
    if errors:
        raise ValidationFailed("Some delivered quantities are not valid.", errors)
    for allocation in order.allocations:
        allocation.delivered_units = delivered.get(allocation.member_id, allocation.units)
    _move(actor, order, {PurchaseOrderStatus.SENT, PurchaseOrderStatus.CONFIRMED}, PurchaseOrderStatus.DELIVERED)
    order.delivered_at = utcnow()
    return order


def cancel(actor: User, order: PurchaseOrder, reason: str) -> PurchaseOrder:
    if not is_buyer(actor, order):
        raise Forbidden("Only the consortium's secretary cancels its orders.")
    reason = (reason or "").strip()
    if not reason or len(reason) > MAX_CANCEL_REASON:
        raise ValidationFailed.field("reason", "Say why, in under 500 characters; the supplier sees it.")
    _move(
        actor,
        order,
        {PurchaseOrderStatus.DRAFT, PurchaseOrderStatus.SENT, PurchaseOrderStatus.CONFIRMED},
        PurchaseOrderStatus.CANCELLED,
    )
    order.cancelled_at, order.cancel_reason = utcnow(), reason
    _cancel_pool_if_nothing_is_left(actor, order, reason)
    return order


def _cancel_pool_if_nothing_is_left(actor: User, order: PurchaseOrder, reason: str) -> None:
    """A closed pool whose every order is cancelled orders nothing: it is cancelled too, and its members
    read why on its page."""
    pool = db.session.get_one(Pool, order.pool_id)
    statuses = set(db.session.scalars(select(PurchaseOrder.status).where(PurchaseOrder.pool_id == pool.id)))
    if pool.status in (PoolStatus.CLOSED, PoolStatus.ORDERED) and statuses == {PurchaseOrderStatus.CANCELLED}:
        why = f"The purchase order was cancelled: {reason}"[:500]
        POOL_LIFECYCLE.move(pool, PoolStatus.CANCELLED, actor, why, order.cancelled_at, Who.SYSTEM)


def delivered_units(order: PurchaseOrder) -> int | None:
    if order.status is not PurchaseOrderStatus.DELIVERED:
        return None
    return sum(a.delivered_units or 0 for a in order.allocations)


def is_short(order: PurchaseOrder) -> bool:
    delivered = delivered_units(order)
    return delivered is not None and delivered < order.units


def allocation_totals(order: PurchaseOrder) -> dict[int, int]:
    """Each member's share of the order's goods total, by units, summing exactly to it."""
    allocations = order.allocations
    if not any(a.units for a in allocations):
        return {a.member_id: 0 for a in allocations}
    shares = largest_remainder(
        order.goods_pence, [a.units for a in allocations], [(-a.units, a.member_id) for a in allocations]
    )
    return {a.member_id: share for a, share in zip(allocations, shares, strict=True)}
