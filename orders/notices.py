"""What members and suppliers are told about pools and orders, written with the change that causes it.

Each function is called by the service that makes the change, inside its transaction, and
names the event in its dedupe key, so telling of an event again writes nothing new. Members
hear of a pool from their own consortium, also when the pool is national.
"""

from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy import exists, select

from catalogue import pricing
from kernel.extensions import db
from kernel.formatting import price, uk_datetime
from orders.models import Pledge, Pool, PoolStatus, PurchaseOrder, pool_consortium
from orders.prices import pool_list_price, pool_tiers
from organisations.models import Member, Network
from organisations.notifications import external_url, member_users, notify, supplier_users

DEADLINE_NOTICE = timedelta(hours=48)


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
    written = 0
    for consortium_id, member_ids in sorted(grouped.items()):
        consortium = consortia[consortium_id]
        users = [user for member_id in member_ids for user in users_of.get(member_id, [])]
        written += notify(
            kind,
            users,
            f"{consortium.name}: {subject}",
            template,
            {"pool": pool, "offer": pool.offer, "list_price": pool_list_price(pool), "pool_url": pool_url} | context,
            consortium,
            dedupe_key,
        )
    return written


def _pledged_member_ids(pool: Pool) -> list[int]:
    return list(db.session.scalars(select(Pledge.member_id).where(Pledge.pool_id == pool.id, Pledge.quantity > 0)))


def pool_opened(pool: Pool) -> int:
    """Every member of the pool's consortia hears that it takes pledges, and until when."""
    return _tell_members(
        "pool_opened",
        pool,
        _members_by_consortium(pool),
        f"pledge for {pool.offer.name} by {uk_datetime(pool.deadline)}",
        "pool_opened",
        {"tiers": pool_tiers(pool)},
        f"pool_opened:{pool.id}",
    )


def tier_reached(pool: Pool, old_quantity: int, new_quantity: int) -> None:
    """Tells the pledging members when a pledge lifts the pool into a better tier.

    Called on the pledge path under the pool's lock once its tiers show a tier was crossed, so the
    usual pledge costs a comparison and nothing more; a tier is told once even if the pool drops
    below it and climbs back.
    """
    if new_quantity <= old_quantity:
        return
    tiers = pool_tiers(pool)
    reached = pricing.tier_reached(tiers, new_quantity)
    if reached is None or reached == pricing.tier_reached(tiers, old_quantity):
        return
    grouped = _members_by_consortium(pool, _pledged_member_ids(pool))
    _tell_members(
        "pool_tier_reached",
        pool,
        grouped,
        f"{pool.offer.name} now costs {price(reached.unit_price)} a {pool.offer.unit}",
        "pool_tier_reached",
        {"tier": reached, "next_tier": pricing.next_tier(tiers, new_quantity), "total": new_quantity},
        f"pool_tier:{pool.id}:{reached.min_quantity}",
    )


def prices_lowered(pool: Pool, before: list[pricing.Tier], after: list[pricing.Tier], change_id: int) -> int:
    """The members who pledged hear that the pool's supplier lowered its prices, and what they pay now."""
    list_price, total = pool_list_price(pool), pool.pledged_quantity
    was, now = pricing.unit_price(before, total, list_price), pricing.unit_price(after, total, list_price)
    return _tell_members(
        "pool_prices_lowered",
        pool,
        _members_by_consortium(pool, _pledged_member_ids(pool)),
        f"{pool.offer.name}: lower prices in the pool you pledged to",
        "pool_prices_lowered",
        {"before": before, "after": after, "was": was, "now": now, "total": total},
        f"pool_prices:{pool.id}:{change_id}",
    )


def deadline_soon(pool: Pool) -> int:
    """Members of the pool's consortia who have not pledged hear that it closes within two days."""
    return _tell_members(
        "pool_deadline_soon",
        pool,
        _members_by_consortium(pool, not_pledged=True),
        f"{pool.offer.name} closes on {uk_datetime(pool.deadline)}",
        "pool_deadline_soon",
        {},
        f"pool_deadline:{pool.id}",
    )


def pools_closing_soon(now: datetime) -> list[Pool]:
    return list(
        db.session.scalars(
            select(Pool)
            .where(Pool.status == PoolStatus.OPEN, Pool.deadline > now, Pool.deadline <= now + DEADLINE_NOTICE)
            .order_by(Pool.deadline, Pool.id)
        )
    )


def pool_cancelled(pool: Pool) -> int:
    """The members who pledged hear that the pool will not go ahead, and why."""
    grouped = _members_by_consortium(pool, _pledged_member_ids(pool))
    return _tell_members(
        "pool_cancelled",
        pool,
        grouped,
        f"{pool.offer.name} pool cancelled",
        "pool_cancelled",
        {"reason": pool.cancel_reason},
        f"pool_cancelled:{pool.id}",
    )


def pool_closed(pool: Pool, plan) -> int:
    """Each pledging member hears what it pledged, what it was allocated and why, at which price.

    `plan` is the orders.closing.ClosePlan the pool was closed with.
    """
    written = 0
    lines = {
        line.row.member_id: (consortium_plan.consortium, line)
        for consortium_plan in plan.consortia
        for line in consortium_plan.lines
    }
    users_of = member_users(lines)
    pool_url = external_url("orders.pool_page", pool_id=pool.id)
    for member_id in sorted(users_of):  # members no one acts for have no one to tell
        consortium, line = lines[member_id]
        written += notify(
            "pool_closed",
            users_of[member_id],
            f"{consortium.name}: {pool.offer.name} pool closed, {line.units:,} {pool.offer.unit} for you",
            "pool_closed",
            {"pool": pool, "offer": pool.offer, "line": line, "plan": plan, "pool_url": pool_url},
            consortium,
            f"pool_closed:{pool.id}:m{member_id}",
        )
    return written


def order_sent(order: PurchaseOrder) -> int:
    """The supplier's users hear of the order they are to fill."""
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
        f"po_sent:{order.id}",
    )
