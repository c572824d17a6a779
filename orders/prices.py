"""What a bulk-buy pool's units cost: the list price and tiers the pool holds.

A pool takes its offer's list price and tiers as it opens and keeps them, so members pledge
against prices that can only fall (design.md); a draft has none yet and follows its offer.
Every price read for one pool goes through `pool_tiers` and `pool_list_price`; the queries
that price many pools at once (orders.pledging, orders.demand) read the held columns the same way.
"""

from decimal import Decimal
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import aliased

from catalogue import pricing
from orders.models import Pool, PoolTier


def holds_prices(pool: Pool) -> bool:
    """Whether the pool has taken its prices: every pool that ever opened has (`hold_prices`, as it opens)."""
    return pool.held_list_price is not None


def pool_tiers(pool: Pool) -> list[pricing.Tier]:
    """The tiers the pool holds, lowest quantity first; a draft's are its offer's current ones."""
    source = pool.held_tiers if holds_prices(pool) else pool.offer.tiers
    return sorted((pricing.Tier(t.min_quantity, t.unit_price) for t in source), key=lambda t: t.min_quantity)


def pool_list_price(pool: Pool) -> Decimal:
    """The list price the pool holds; a draft's is its offer's current one."""
    return pool.held_list_price if pool.held_list_price is not None else pool.offer.list_price


def hold_prices(pool: Pool) -> None:
    """Copies the offer's list price and tiers onto the pool as it opens; later offer edits leave them be."""
    pool.held_list_price = pool.offer.list_price
    pool.held_tiers = [PoolTier(min_quantity=t.min_quantity, unit_price=t.unit_price) for t in pool.offer.tiers]


def keeps_old_prices(pool: Pool) -> bool:
    """Whether the pool's prices differ from what its offer asks today (the offer was edited since it opened)."""
    offer = pool.offer
    current = sorted((pricing.Tier(t.min_quantity, t.unit_price) for t in offer.tiers), key=lambda t: t.min_quantity)
    return holds_prices(pool) and (pool_list_price(pool) != offer.list_price or pool_tiers(pool) != current)


def tier_rows(tiers: list[pricing.Tier]) -> list[dict[str, Any]]:
    """Tiers as JSON keeps them: the quantity a number, the price a decimal string."""
    return [{"min_quantity": t.min_quantity, "unit_price": f"{t.unit_price:.4f}"} for t in tiers]


def tiers_from_rows(rows: list[dict[str, Any]]) -> list[pricing.Tier]:
    """Tiers back from what `tier_rows` kept."""
    return [pricing.Tier(row["min_quantity"], Decimal(row["unit_price"])) for row in rows]


def with_standing(pools: Select) -> Select:
    """`pools` (a select of open pools' columns, with `Pool.id` among them as `id`) with where each stands on
    the tiers it holds, as columns tier_min, tier_price, unit_price, next_min and next_price: what
    `catalogue.pricing.standing` answers, in SQL, so a dashboard prices thousands of pools in one statement
    without loading their tiers. tests/orders/test_demand.py holds the two to the same answer for any ladder.

    The tier reached is the highest at or below the pledged total; below every tier the price is the held list
    price; the next tier is the first above the total whose price is lower than the current one.
    """
    reached = aliased(PoolTier)
    highest_reached = (
        select(reached)
        .where(reached.pool_id == Pool.id, reached.min_quantity <= Pool.pledged_quantity)
        .order_by(reached.min_quantity.desc())
        .limit(1)
        .correlate(Pool)
    )
    tier_price = highest_reached.with_only_columns(reached.unit_price).scalar_subquery()
    priced = pools.add_columns(
        Pool.pledged_quantity.label("standing_units"),
        highest_reached.with_only_columns(reached.min_quantity).scalar_subquery().label("tier_min"),
        tier_price.label("tier_price"),
        func.coalesce(tier_price, Pool.held_list_price, type_=PoolTier.unit_price.type).label("unit_price"),
    ).subquery("priced")
    ahead = aliased(PoolTier)
    first_cheaper = (
        select(ahead)
        .where(
            ahead.pool_id == priced.c.id,
            ahead.min_quantity > priced.c.standing_units,
            ahead.unit_price < priced.c.unit_price,
        )
        .order_by(ahead.min_quantity)
        .limit(1)
        .correlate(priced)
    )
    return select(
        priced,
        first_cheaper.with_only_columns(ahead.min_quantity).scalar_subquery().label("next_min"),
        first_cheaper.with_only_columns(ahead.unit_price).scalar_subquery().label("next_price"),
    )
