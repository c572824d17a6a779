"""The happenings of pools and orders that members and suppliers are told of, as outbox events.

Each is written by the service that makes the change, inside its transaction: one row, however
many people it reaches; orders.messages turns it into messages later, in the sender. The
event's dedupe key names the happening, so telling of it again writes nothing new.
"""

from datetime import datetime, timedelta

from sqlalchemy import select

from catalogue import pricing
from kernel.extensions import db
from orders.models import Pool, PoolPriceChange, PoolStatus, PurchaseOrder
from organisations import outbox

DEADLINE_NOTICE = timedelta(hours=48)


def pool_opened(pool: Pool) -> None:
    outbox.record("pool_opened", pool.id, f"pool_opened:{pool.id}")


def tier_reached(pool_id: int, tiers: list[pricing.Tier], old_quantity: int, new_quantity: int) -> None:
    """An event when a pledge lifts the pool into a better tier; called on the pledge path under the pool's lock.

    Decided from the tiers the caller read under the lock, so the usual pledge costs a comparison
    and the rare crossing one insert; a tier is told once even if the pool drops below it and
    climbs back.
    """
    if new_quantity <= old_quantity:
        return
    reached = pricing.tier_reached(tiers, new_quantity)
    if reached is None or reached == pricing.tier_reached(tiers, old_quantity):
        return
    outbox.record(
        "pool_tier_reached",
        pool_id,
        f"pool_tier:{pool_id}:{reached.min_quantity}",
        min_quantity=reached.min_quantity,
        unit_price=str(reached.unit_price),
        total=new_quantity,
    )


def prices_lowered(pool: Pool, change: PoolPriceChange) -> None:
    outbox.record(
        "pool_prices_lowered",
        pool.id,
        f"pool_prices:{pool.id}:{change.id}",
        change_id=change.id,
        total=pool.pledged_quantity,
    )


def deadline_soon(pool: Pool) -> bool:
    """False when this pool's members were told before."""
    return outbox.record("pool_deadline_soon", pool.id, f"pool_deadline:{pool.id}")


def pools_closing_soon(now: datetime) -> list[Pool]:
    return list(
        db.session.scalars(
            select(Pool)
            .where(Pool.status == PoolStatus.OPEN, Pool.deadline > now, Pool.deadline <= now + DEADLINE_NOTICE)
            .order_by(Pool.deadline, Pool.id)
        )
    )


def pool_cancelled(pool: Pool) -> None:
    outbox.record("pool_cancelled", pool.id, f"pool_cancelled:{pool.id}")


def pool_closed(pool: Pool) -> None:
    outbox.record("pool_closed", pool.id, f"pool_closed:{pool.id}")


def order_sent(order: PurchaseOrder) -> None:
    outbox.record("purchase_order_sent", order.id, f"po_sent:{order.id}")
