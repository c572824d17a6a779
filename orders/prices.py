"""What a bulk-buy pool's units cost: the list price and tiers the pool holds.

A pool takes its offer's list price and tiers as it opens and keeps them, so members pledge
against prices that can only fall (design.md); a draft has none yet and follows its offer.
Every price read for one pool goes through `pool_tiers` and `pool_list_price`; the queries
that price many pools at once (orders.pledging, orders.demand) read the held columns the same way.
"""

from decimal import Decimal
from typing import Any

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
