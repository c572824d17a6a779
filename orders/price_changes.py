"""A supplier lowering an open pool's prices: never raising them, its pledged members told, the change kept.

Tier edits on an offer reach only pools opened afterwards (orders.prices); a supplier who wants
members already pledging to benefit lowers that pool's tiers here.
"""

from collections.abc import Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from catalogue import pricing
from catalogue.models import Offer
from catalogue.services import read_tiers
from kernel.errors import Conflict, NotFound, ValidationFailed
from kernel.extensions import db
from kernel.formatting import price
from orders import notices
from orders.models import POOLS, Pool, PoolPriceChange, PoolStatus, PoolTier
from orders.prices import keeps_old_prices, pool_list_price, pool_tiers, tier_rows
from organisations.access import can_act_for_supplier
from organisations.models import User


def pool_for_supplier(actor: User, pool_id: int) -> Pool:
    """A pool of one of the actor's supplier's offers (any, for an admin); anyone else's answers 404."""
    pool = db.session.get(Pool, pool_id)
    if pool is None or not can_act_for_supplier(actor, pool.offer.supplier_id):
        raise NotFound("There is no such pool of your offers.")
    return pool


def pools_keeping_old_prices(offer: Offer) -> list[Pool]:
    """The offer's open pools whose prices differ from the offer's today, soonest deadline first."""
    pools = db.session.scalars(
        select(Pool)
        .where(Pool.offer_id == offer.id, Pool.status == PoolStatus.OPEN)
        .options(selectinload(Pool.held_tiers), selectinload(Pool.consortia))
        .order_by(Pool.deadline, Pool.id)
    )
    return [pool for pool in pools if keeps_old_prices(pool)]


def rise_message(rise: pricing.Rise) -> str:
    if rise.tier is not None:
        return (
            f"Tier {rise.tier} (from {rise.quantity:,}): {price(rise.new)} is above the pool's "
            f"{price(rise.held)} at that quantity; an open pool's prices may only fall."
        )
    return (
        f"From {rise.quantity:,} the unit price would rise from {price(rise.held)} to {price(rise.new)}: "
        f"keep a tier at {rise.quantity:,} at {price(rise.held)} or less."
    )


def lower_prices(actor: User, pool_id: int, rows: Iterable[Any]) -> Pool:
    """Replaces an open pool's tiers with `rows`, which may not raise the unit price at any quantity.

    The list price stays as the pool opened with it, so its savings still read against it; a
    supplier lowers the price below the first tier by adding a tier from 1. Checked and written
    under the pool's lock, so no pledge or close sees half of it; the pool's pledged members
    are told in the same transaction.
    """
    pool = pool_for_supplier(actor, pool_id)
    new, problems = read_tiers(rows)
    if problems:
        raise ValidationFailed("Some tiers are not valid.", {"tiers": problems})
    pool = POOLS.lock(pool.id)
    if pool.status is not PoolStatus.OPEN:
        raise Conflict(f"Only an open pool's prices can be lowered; this one is {pool.status.value}.")
    held, list_price = pool_tiers(pool), pool_list_price(pool)
    problems = pricing.validate_tiers(list_price, new)
    problems += [rise_message(rise) for rise in pricing.rises(held, new, list_price)]
    if not problems and new == held:
        problems = ["These are the pool's tiers already: lower at least one price."]
    if problems:
        raise ValidationFailed("The pool's prices may only fall.", {"tiers": problems})

    pool.held_tiers.clear()
    db.session.flush()  # old rows go first, so a kept quantity never meets itself in the unique key
    pool.held_tiers.extend(PoolTier(min_quantity=t.min_quantity, unit_price=t.unit_price) for t in new)
    change = PoolPriceChange(
        pool_id=pool.id, changed_by=actor, tiers_before=tier_rows(held), tiers_after=tier_rows(new)
    )
    db.session.add(change)
    db.session.flush()
    notices.prices_lowered(pool, change)
    return pool


def price_changes(pool: Pool) -> list[PoolPriceChange]:
    """The pool's price changes, latest first."""
    return list(
        db.session.scalars(
            select(PoolPriceChange)
            .where(PoolPriceChange.pool_id == pool.id)
            .order_by(PoolPriceChange.changed_at.desc(), PoolPriceChange.id.desc())
        )
    )
