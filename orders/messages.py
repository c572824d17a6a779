"""The messages of pool and order events (orders.notices), written by the sender, not by the change.

Members hear of a pool from their own consortium, also when the pool is national. Recipients
are read when the event is expanded, so a member who pledged since the event is told too.
"""

from collections.abc import Iterable
from decimal import Decimal

from sqlalchemy import exists, select

from catalogue import pricing
from kernel.extensions import db
from kernel.formatting import uk_datetime
from kernel.words import per_unit
from orders.closing import order_bills
from orders.models import Allocation, Pledge, Pool, PoolPriceChange, PoolStatus, PurchaseOrder, pool_consortium
from orders.prices import pool_list_price, pool_tiers
from organisations.models import Member, Network, OutboxEvent
from organisations.notifications import Letter, external_url, member_users, notify, notify_each, supplier_users


def _members_by_consortium(
    pool: Pool, member_ids: Iterable[int] | None = None, not_pledged: bool = False
) -> dict[int, list[int]]:
    """Active members of the pool's consortia (or of `member_ids`), grouped by their consortium."""
    query = (
        select(Network.consortium_id, Member.id)
        .join(Network, Member.network_id == Network.id)
        .join(pool_consortium, pool_consortium.c.consortium_id == Network.consortium_id)
        .where(pool_consortium.c.pool_id == pool.id, Member.active)
    )
    if member_ids is not None:
        query = query.where(Member.id.in_(set(member_ids) or {-1}))
    if not_pledged:
        query = query.where(
            ~exists().where(Pledge.pool_id == pool.id, Pledge.member_id == Member.id, Pledge.quantity > 0)
        )
    grouped: dict[int, list[int]] = {}
    for consortium_id, member_id in db.session.execute(query):
        grouped.setdefault(consortium_id, []).append(member_id)
    return grouped


def _tell_members(
    kind: str, pool: Pool, grouped: dict[int, list[int]], subject: str, template: str, context: dict, dedupe_key: str
) -> int:
    consortia = {c.id: c for c in pool.consortia}
    users_of = member_users(m for members in grouped.values() for m in members)
    pool_url = external_url("orders.pool_page", pool_id=pool.id)
    context = {"pool": pool, "offer": pool.offer, "list_price": pool_list_price(pool), "pool_url": pool_url} | context
    return notify_each(
        kind,
        (
            Letter(
                [user for member_id in member_ids for user in users_of.get(member_id, [])],
                f"{consortia[consortium_id].name}: {subject}",
                template,
                context,
                consortia[consortium_id],
                dedupe_key,
            )
            for consortium_id, member_ids in sorted(grouped.items())
        ),
    )


def _pledged_members(pool: Pool) -> dict[int, list[int]]:
    pledged = db.session.scalars(select(Pledge.member_id).where(Pledge.pool_id == pool.id, Pledge.quantity > 0))
    return _members_by_consortium(pool, pledged)


def _tell_pool_opened(event: OutboxEvent) -> int:
    """Every member of the pool's consortia hears that it takes pledges, and until when."""
    pool = db.session.get_one(Pool, event.subject_id)
    return _tell_members(
        "pool_opened",
        pool,
        _members_by_consortium(pool),
        f"pledge for {pool.offer.name} by {uk_datetime(pool.deadline)}",
        "pool_opened",
        {"tiers": pool_tiers(pool)},
        event.dedupe_key,
    )


def _tell_tier_reached(event: OutboxEvent) -> int:
    """The members pledged by now hear the price the pool reached, as it was when it reached it."""
    pool = db.session.get_one(Pool, event.subject_id)
    reached = pricing.Tier(event.detail["min_quantity"], Decimal(event.detail["unit_price"]))
    total = event.detail["total"]
    return _tell_members(
        "pool_tier_reached",
        pool,
        _pledged_members(pool),
        f"{pool.offer.name} now costs {per_unit(reached.unit_price, pool.offer)}",
        "pool_tier_reached",
        {"tier": reached, "next_tier": pricing.next_tier(pool_tiers(pool), total), "total": total},
        event.dedupe_key,
    )


def _tell_prices_lowered(event: OutboxEvent) -> int:
    """The members who pledged hear that the pool's supplier lowered its prices, and what they pay now."""
    pool = db.session.get_one(Pool, event.subject_id)
    change = db.session.get_one(PoolPriceChange, event.detail["change_id"])
    before, after = (
        [pricing.Tier(row["min_quantity"], Decimal(row["unit_price"])) for row in rows]
        for rows in (change.tiers_before, change.tiers_after)
    )
    list_price, total = pool_list_price(pool), event.detail["total"]
    was, now = pricing.unit_price(before, total, list_price), pricing.unit_price(after, total, list_price)
    return _tell_members(
        "pool_prices_lowered",
        pool,
        _pledged_members(pool),
        f"{pool.offer.name}: lower prices in the pool you pledged to",
        "pool_prices_lowered",
        {"before": before, "after": after, "was": was, "now": now, "total": total},
        event.dedupe_key,
    )


def _tell_deadline_soon(event: OutboxEvent) -> int:
    """Members of the pool's consortia who have still not pledged hear that it closes within two days."""
    pool = db.session.get_one(Pool, event.subject_id)
    if pool.status is not PoolStatus.OPEN:
        return 0
    return _tell_members(
        "pool_deadline_soon",
        pool,
        _members_by_consortium(pool, not_pledged=True),
        f"{pool.offer.name} closes on {uk_datetime(pool.deadline)}",
        "pool_deadline_soon",
        {},
        event.dedupe_key,
    )


def _tell_pool_cancelled(event: OutboxEvent) -> int:
    """The members who pledged hear that the pool will not go ahead, and why."""
    pool = db.session.get_one(Pool, event.subject_id)
    return _tell_members(
        "pool_cancelled",
        pool,
        _pledged_members(pool),
        f"{pool.offer.name} pool cancelled",
        "pool_cancelled",
        {"reason": pool.cancel_reason},
        event.dedupe_key,
    )


def _tell_pool_closed(event: OutboxEvent) -> int:
    """Each allocated member hears what it pledged, what it was allocated and why, and the invoice to expect.

    Read back from the purchase orders the close made; the bill is worked out by the same
    `member_bills` invoicing will use, so the email states the invoice to the penny.
    """
    pool = db.session.get_one(Pool, event.subject_id)
    pool_url = external_url("orders.pool_page", pool_id=pool.id)
    letters = []
    for order in db.session.scalars(
        select(PurchaseOrder).where(PurchaseOrder.pool_id == pool.id).order_by(PurchaseOrder.id)
    ):
        rows = db.session.execute(
            select(Allocation, Member.turnover_band)
            .join(Member, Allocation.member_id == Member.id)
            .where(Allocation.purchase_order_id == order.id)
            .order_by(Allocation.id)
        ).all()
        users_of = member_users(allocation.member_id for allocation, _ in rows)
        bills = order_bills(pool, order, [(allocation.member_id, allocation.units, band) for allocation, band in rows])
        unit = pool.offer.unit
        letters += [
            Letter(
                users_of[allocation.member_id],
                f"{order.consortium.name}: {pool.offer.name} pool closed, {allocation.units:,} {unit} for you",
                "pool_closed",
                {
                    "pool": pool,
                    "offer": pool.offer,
                    "allocation": allocation,
                    "bill": bills[allocation.member_id],
                    "unit_price": order.unit_price,
                    "pool_url": pool_url,
                },
                order.consortium,
                f"pool_closed:{pool.id}:m{allocation.member_id}",
            )
            for allocation, _ in rows
            if allocation.member_id in users_of  # members no one acts for have no one to tell
        ]
    return notify_each("pool_closed", letters)


def _tell_order_sent(event: OutboxEvent) -> int:
    """The supplier's users hear of the order they are to fill."""
    order = db.session.get_one(PurchaseOrder, event.subject_id)
    consortium = order.consortium
    return notify(
        "purchase_order_sent",
        supplier_users(order.supplier_id),
        f"{consortium.name}: purchase order {order.number}",
        "purchase_order_sent",
        {
            "order": order,
            "buyer": consortium.organisation,
            "order_url": external_url("orders.purchase_order", order_id=order.id),
        },
        consortium,
        event.dedupe_key,
    )


EXPANDERS = {
    "pool_opened": _tell_pool_opened,
    "pool_tier_reached": _tell_tier_reached,
    "pool_prices_lowered": _tell_prices_lowered,
    "pool_deadline_soon": _tell_deadline_soon,
    "pool_cancelled": _tell_pool_cancelled,
    "pool_closed": _tell_pool_closed,
    "purchase_order_sent": _tell_order_sent,
}
