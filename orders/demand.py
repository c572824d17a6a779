"""Aggregated demand: what a supplier sees across its offers, and a secretary across a consortium.

Every figure comes from a fixed number of statements whatever the number of pools or
pledges: open pools read their running totals (never their pledges), orders are grouped
in SQL, and only national pools' pledges are summed, to split their units per consortium.
Member names and addresses never enter the supplier's figures.
"""

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import cached_property, lru_cache

from sqlalchemy import Select, exists, func, select
from sqlalchemy.orm import joinedload, lazyload, selectinload

from catalogue import pricing
from catalogue.models import Offer
from kernel.clock import UK, utcnow
from kernel.errors import ValidationFailed
from kernel.extensions import db
from kernel.money import line_pence
from orders.models import (
    Pledge,
    Pool,
    PoolStatus,
    PoolTier,
    PurchaseOrder,
    PurchaseOrderStatus,
    pool_consortium,
)
from orders.prices import pool_list_price, pool_tiers
from organisations.models import Consortium, Member, Network, Organisation, Supplier

CLOSED_STATUSES = (PoolStatus.CLOSED, PoolStatus.ORDERED, PoolStatus.DELIVERED, PoolStatus.INVOICED, PoolStatus.SETTLED)
TIPPING_FRACTION = Decimal("0.1")
"""A pool within this fraction of its next tier or of its minimum is about to tip."""


@lru_cache(maxsize=4096)
def month_of(moment: datetime) -> str:
    """The UK calendar month, as 2026-05; remembered, as a dashboard asks it of every pool's deadline."""
    return moment.astimezone(UK).strftime("%Y-%m")


def within_reach(units: int, target: int) -> bool:
    """Short of `target` by at most 10% of it."""
    return units < target and (target - units) <= TIPPING_FRACTION * target


def progress_percent(units: int, target: int) -> int:
    return min(100, units * 100 // target) if target > 0 else 100


def projected_total(pledged: int, opened_at: datetime | None, deadline: datetime, now: datetime) -> int | None:
    """The pool's total at its deadline if pledges keep coming at the pace so far (linear).

    None when the pace cannot be told yet (not opened, or opened just now).
    """
    if opened_at is None:
        return None
    elapsed = (now - opened_at).total_seconds()
    if elapsed <= 0:
        return None
    remaining = max((deadline - now).total_seconds(), 0)
    return pledged + int(Decimal(pledged) * Decimal(remaining) / Decimal(elapsed))


# The supplier's demand


@dataclass(frozen=True)
class NextTierProgress:
    min_quantity: int
    unit_price: Decimal
    units_to_go: int
    progress_percent: int


@dataclass
class ForecastPool:
    """One open pool's demand as its supplier sees it: totals only, never who pledged.

    Its figures are worked out once, when it is made: a dashboard sums a thousand pools, and
    shows each figure several times.
    """

    id: int
    offer: Offer
    consortia: list[str]
    is_national: bool
    deadline: datetime
    opened_at: datetime | None
    minimum_quantity: int
    capacity: int | None
    units: int
    flexible_units: int
    members: int
    unit_price: Decimal
    tier: pricing.Tier | None
    next_tier: pricing.Tier | None
    value_pence: int = field(init=False)
    units_to_next_tier: int | None = field(init=False)
    next_tier_percent: int | None = field(init=False)
    next_tier_progress: NextTierProgress | None = field(init=False)
    minimum_reached: bool = field(init=False)
    minimum_percent: int = field(init=False)
    about_to_tip: bool = field(init=False)

    def __post_init__(self) -> None:
        self.value_pence = line_pence(self.units, self.unit_price)
        self.minimum_reached = self.units >= self.minimum_quantity
        self.minimum_percent = progress_percent(self.units, self.minimum_quantity)
        near_minimum = within_reach(self.units, self.minimum_quantity)
        if self.next_tier is None:
            self.units_to_next_tier = self.next_tier_percent = self.next_tier_progress = None
            self.about_to_tip = near_minimum
            return
        target = self.next_tier.min_quantity
        self.units_to_next_tier = target - self.units
        self.next_tier_percent = progress_percent(self.units, target)
        self.next_tier_progress = NextTierProgress(
            target, self.next_tier.unit_price, self.units_to_next_tier, self.next_tier_percent
        )
        self.about_to_tip = near_minimum or within_reach(self.units, target)


@dataclass
class OrderedPool:
    """One closed pool's purchase orders to the supplier, summed (cancelled orders only counted)."""

    id: int
    offer: Offer
    status: PoolStatus
    consortia: list[str]
    units: int = 0
    packs: int = 0
    goods_pence: int = 0
    order_statuses: Counter = field(default_factory=Counter)
    first_ordered_at: datetime | None = None

    @property
    def order_count(self) -> int:
        return sum(self.order_statuses.values())


class PoolSums:
    """Sums over `forecast` (open pools) and `orders` (closed pools), whatever holds them."""

    forecast: list[ForecastPool]
    orders: list[OrderedPool]

    @property
    def forecast_units(self) -> int:
        return sum(p.units for p in self.forecast)

    @property
    def forecast_value_pence(self) -> int:
        return sum(p.value_pence for p in self.forecast)

    @property
    def order_count(self) -> int:
        return sum(o.order_count for o in self.orders)

    @property
    def ordered_units(self) -> int:
        return sum(o.units for o in self.orders)

    @property
    def ordered_goods_pence(self) -> int:
        return sum(o.goods_pence for o in self.orders)


@dataclass
class OfferDemand(PoolSums):
    """One offer's pools, summed: the dashboard's line per offer, whatever page of pools is shown."""

    offer: Offer
    forecast: list[ForecastPool]
    orders: list[OrderedPool]

    @property
    def open_pools(self) -> int:
        return len(self.forecast)

    @property
    def pools_about_to_tip(self) -> int:
        return sum(1 for p in self.forecast if p.about_to_tip)

    @property
    def closed_pools(self) -> int:
        return len(self.orders)


@dataclass
class Totals:
    """Forecast and orders summed under one heading: a consortium, or a month."""

    key: str
    label: str
    open_pools: int = 0
    forecast_units: int = 0
    forecast_value_pence: int = 0
    orders: int = 0
    ordered_units: int = 0
    ordered_goods_pence: int = 0


@dataclass
class SupplierDemand(PoolSums):
    """Every offer summed, and the pools and totals of the chosen offer (or of all of them).

    `forecast` runs soonest deadline first, `orders` latest first: the order they are paged in.
    """

    supplier: Supplier
    offers: list[OfferDemand]
    offer: Offer | None
    forecast: list[ForecastPool]
    orders: list[OrderedPool]
    by_consortium: list[Totals]
    by_month: list[Totals]

    @cached_property
    def about_to_tip(self) -> list[ForecastPool]:
        return [p for p in self.forecast if p.about_to_tip]


def _supplier_pools(supplier_id: int, statuses):
    return (
        select(Pool.id)
        .join(Offer, Offer.id == Pool.offer_id)
        .where(Offer.supplier_id == supplier_id, Pool.status.in_(statuses))
    )


def supplier_demand(supplier: Supplier, offer_id: int | None = None) -> SupplierDemand:
    """The supplier's open pools as a forecast, closed pools as orders, and both summed.

    With `offer_id`, the pools and the totals are that offer's; every offer is still summed.
    Seven statements, whatever the number of pools, pledges or orders.
    """
    offers = {
        o.id: o
        for o in db.session.scalars(
            select(Offer)
            .where(Offer.supplier_id == supplier.id)
            .options(lazyload(Offer.supplier), lazyload(Offer.category), selectinload(Offer.tiers))
            .order_by(Offer.name, Offer.id)
        )
    }
    if offer_id is not None and offer_id not in offers:
        raise ValidationFailed.field("offer_id", "Not one of this supplier's offers.")
    names = _pool_consortium_names(supplier.id)
    forecast = _forecast(supplier.id, offers, names)
    orders, order_rows = _orders(supplier.id, offers, names)
    national = _national_units(_supplier_pools(supplier.id, [PoolStatus.OPEN]).where(Pool.is_national))

    forecast_by_offer: dict[int, list[ForecastPool]] = defaultdict(list)
    for forecast_pool in forecast:
        forecast_by_offer[forecast_pool.offer.id].append(forecast_pool)
    orders_by_offer: dict[int, list[OrderedPool]] = defaultdict(list)
    for ordered_pool in orders:
        orders_by_offer[ordered_pool.offer.id].append(ordered_pool)
    every_offer = [OfferDemand(o, forecast_by_offer[o.id], orders_by_offer[o.id]) for o in offers.values()]
    if offer_id is not None:
        forecast, orders = forecast_by_offer[offer_id], orders_by_offer[offer_id]
        order_rows = [row for row in order_rows if row.offer_id == offer_id]

    consortium_names = {cid: name for per_pool in names.values() for cid, name in per_pool}
    by_consortium: dict[int, Totals] = {}
    by_month: dict[str, Totals] = {}

    def consortium(cid: int) -> Totals:
        if cid not in by_consortium:
            by_consortium[cid] = Totals(str(cid), consortium_names.get(cid, ""))
        return by_consortium[cid]

    def month(key: str) -> Totals:
        if key not in by_month:
            by_month[key] = Totals(key, datetime.strptime(key, "%Y-%m").strftime("%B %Y"))
        return by_month[key]

    for pool in forecast:
        shares = national.get(pool.id, {}) if pool.is_national else {cid: pool.units for cid, _ in names[pool.id]}
        for cid, units in shares.items():
            totals = consortium(cid)
            totals.open_pools += 1
            totals.forecast_units += units
            totals.forecast_value_pence += line_pence(units, pool.unit_price)
        totals = month(month_of(pool.deadline))
        totals.open_pools += 1
        totals.forecast_units += pool.units
        totals.forecast_value_pence += pool.value_pence
    for row in order_rows:
        for totals in (consortium(row.consortium_id), month(month_of(row.created_at))):
            totals.orders += row.orders
            if row.status is not PurchaseOrderStatus.CANCELLED:
                totals.ordered_units += row.units
                totals.ordered_goods_pence += row.goods_pence
    return SupplierDemand(
        supplier,
        every_offer,
        None if offer_id is None else offers[offer_id],
        forecast,
        orders,
        sorted(by_consortium.values(), key=lambda t: t.label),
        [by_month[key] for key in sorted(by_month)],
    )


def supplier_offers(supplier_id: int) -> Select:
    """The supplier's offers, withdrawn ones too, for choosing one (searched by `Offer.name`)."""
    return select(Offer).where(Offer.supplier_id == supplier_id).order_by(Offer.name, Offer.id)


def _held_tiers(pool_ids) -> dict[int, list[pricing.Tier]]:
    """The tiers each of the pools holds (orders.prices), lowest quantity first, by pool id, in one query."""
    tiers: dict[int, list[pricing.Tier]] = defaultdict(list)
    for row in db.session.execute(
        select(PoolTier.pool_id, PoolTier.min_quantity, PoolTier.unit_price)
        .where(PoolTier.pool_id.in_(pool_ids))
        .order_by(PoolTier.pool_id, PoolTier.min_quantity)
    ):
        tiers[row.pool_id].append(pricing.Tier(row.min_quantity, row.unit_price))
    return tiers


def _pool_consortium_names(supplier_id: int) -> dict[int, list[tuple[int, str]]]:
    rows = db.session.execute(
        select(pool_consortium.c.pool_id, Consortium.id, Consortium.name)
        .join(Consortium, Consortium.id == pool_consortium.c.consortium_id)
        .where(pool_consortium.c.pool_id.in_(_supplier_pools(supplier_id, (PoolStatus.OPEN, *CLOSED_STATUSES))))
        .order_by(Consortium.name)
    )
    names: dict[int, list[tuple[int, str]]] = defaultdict(list)
    for pool_id, consortium_id, name in rows:
        names[pool_id].append((consortium_id, name))
    return names


def _forecast(supplier_id: int, offers: dict[int, Offer], names) -> list[ForecastPool]:
    rows = db.session.execute(
        select(
            Pool.id,
            Pool.offer_id,
            Pool.is_national,
            Pool.deadline,
            Pool.opened_at,
            Pool.minimum_quantity,
            Pool.capacity,
            Pool.pledged_quantity,
            Pool.pledged_flexible,
            Pool.member_count,
            Pool.held_list_price,
        )
        .join(Offer, Offer.id == Pool.offer_id)
        .where(Offer.supplier_id == supplier_id, Pool.status == PoolStatus.OPEN)
        .order_by(Pool.deadline, Pool.id)
    )
    tiers = _held_tiers(_supplier_pools(supplier_id, [PoolStatus.OPEN]))
    pools = []
    for row in rows:
        offer, units = offers[row.offer_id], row.pledged_quantity
        price = pricing.standing(tiers[row.id], units, row.held_list_price)
        pools.append(
            ForecastPool(
                id=row.id,
                offer=offer,
                consortia=[name for _, name in names[row.id]],
                is_national=row.is_national,
                deadline=row.deadline,
                opened_at=row.opened_at,
                minimum_quantity=row.minimum_quantity,
                capacity=row.capacity,
                units=units,
                flexible_units=row.pledged_flexible,
                members=row.member_count,
                unit_price=price.unit_price,
                tier=price.tier,
                next_tier=price.next_tier,
            )
        )
    return pools


@dataclass
class _OrderRow:
    pool_id: int
    offer_id: int
    pool_status: PoolStatus
    consortium_id: int
    status: PurchaseOrderStatus
    orders: int
    units: int
    packs: int
    goods_pence: int
    created_at: datetime


def _orders(supplier_id: int, offers: dict[int, Offer], names) -> tuple[list[OrderedPool], list[_OrderRow]]:
    """Orders the supplier has been sent (drafts stay the consortium's), grouped per pool, consortium, status."""
    # SQLAlchemy types a select of ten columns as ten and any number more, so the row is cut to its ten.
    rows = [
        _OrderRow(*row[:10])
        for row in db.session.execute(
            select(
                PurchaseOrder.pool_id,
                PurchaseOrder.offer_id,
                Pool.status,
                PurchaseOrder.consortium_id,
                PurchaseOrder.status,
                func.count(),
                func.sum(PurchaseOrder.units),
                func.sum(PurchaseOrder.packs),
                func.sum(PurchaseOrder.goods_pence),
                func.min(PurchaseOrder.created_at),
            )
            .join(Pool, Pool.id == PurchaseOrder.pool_id)
            .where(
                PurchaseOrder.supplier_id == supplier_id,
                PurchaseOrder.status != PurchaseOrderStatus.DRAFT,
                Pool.status.in_(CLOSED_STATUSES),
            )
            .group_by(
                PurchaseOrder.pool_id,
                PurchaseOrder.offer_id,
                Pool.status,
                PurchaseOrder.consortium_id,
                PurchaseOrder.status,
            )
        )
    ]
    pools: dict[int, OrderedPool] = {}
    for row in rows:
        pool = pools.setdefault(
            row.pool_id,
            OrderedPool(row.pool_id, offers[row.offer_id], row.pool_status, [name for _, name in names[row.pool_id]]),
        )
        pool.order_statuses[row.status.value] += row.orders
        if row.status is not PurchaseOrderStatus.CANCELLED:
            pool.units += row.units
            pool.packs += row.packs
            pool.goods_pence += row.goods_pence
        if pool.first_ordered_at is None or row.created_at < pool.first_ordered_at:
            pool.first_ordered_at = row.created_at
    ordered = sorted(pools.values(), key=lambda p: (p.first_ordered_at, p.id), reverse=True)
    return ordered, rows


def _national_units(pool_ids) -> dict[int, dict[int, int]]:
    """Pledged units per consortium of each national pool in `pool_ids` (a subquery)."""
    rows = db.session.execute(
        select(Pledge.pool_id, Network.consortium_id, func.sum(Pledge.quantity))
        .join(Member, Member.id == Pledge.member_id)
        .join(Network, Network.id == Member.network_id)
        .where(Pledge.pool_id.in_(pool_ids), Pledge.quantity > 0)
        .group_by(Pledge.pool_id, Network.consortium_id)
    )
    units: dict[int, dict[int, int]] = defaultdict(dict)
    for pool_id, consortium_id, total in rows:
        units[pool_id][consortium_id] = total
    return units


@dataclass
class Week:
    """The open pools of one offer whose deadline falls in a UK week (Monday to Sunday), or after the last."""

    label: str
    pools: int = 0
    units: int = 0


FORECAST_WEEKS = 8


def forecast_by_week(forecast: list[ForecastPool], today: date, weeks: int = FORECAST_WEEKS) -> list[Week]:
    """Units pledged in one offer's open pools by the week their deadline falls in, this week and the next
    `weeks - 1`, then "later": a forecast of when orders will come. Never mixes offers: the caller passes one's."""
    monday = today - timedelta(days=today.weekday())
    buckets = [Week(f"w/c {(monday + timedelta(weeks=n)).strftime('%-d %b')}") for n in range(weeks)]
    later = Week("Later")
    for pool in forecast:
        n = (pool.deadline.astimezone(UK).date() - monday).days // 7
        bucket = buckets[max(n, 0)] if n < weeks else later
        bucket.pools += 1
        bucket.units += pool.units
    return buckets + ([later] if later.pools else [])


# The secretary's consortium


@dataclass
class ConsortiumPool:
    """A pool of the consortium: the consortium's own units (its share of a national pool) and value."""

    pool: Pool
    units: int
    unit_price: Decimal
    projected: int | None

    @property
    def value_pence(self) -> int:
        return line_pence(self.units, self.unit_price)

    @property
    def will_miss_minimum(self) -> bool:
        """Open, short of the minimum, and the pace so far does not reach it by the deadline."""
        return (
            self.pool.status is PoolStatus.OPEN
            and self.pool.pledged_quantity < self.pool.minimum_quantity
            and self.projected is not None
            and self.projected < self.pool.minimum_quantity
        )


@dataclass
class StatusTotals:
    status: PoolStatus
    pools: int = 0
    units: int = 0
    value_pence: int = 0


@dataclass
class ConsortiumDashboard:
    consortium: Consortium
    pools: list[ConsortiumPool]
    by_status: list[StatusTotals]
    orders_to_progress: list[PurchaseOrder]
    never_pledged: list[Member]

    @property
    def open_pools(self) -> list[ConsortiumPool]:
        return [p for p in self.pools if p.pool.status is PoolStatus.OPEN]

    @property
    def at_risk(self) -> list[ConsortiumPool]:
        return [p for p in self.pools if p.will_miss_minimum]


def consortium_dashboard(consortium: Consortium, now: datetime | None = None) -> ConsortiumDashboard:
    """Pools by status, pools that will miss their minimum, orders to progress, members who never pledged."""
    now = now or utcnow()
    in_consortium = select(pool_consortium.c.pool_id).where(pool_consortium.c.consortium_id == consortium.id)
    pools = list(
        db.session.scalars(
            select(Pool)
            .where(Pool.id.in_(in_consortium))
            .options(
                selectinload(Pool.consortia),
                selectinload(Pool.held_tiers),
                joinedload(Pool.offer).options(lazyload(Offer.category)),
            )
            .order_by(Pool.deadline, Pool.id)
        ).unique()
    )
    national = _national_units(select(Pool.id).where(Pool.id.in_(in_consortium), Pool.is_national))
    rows = []
    for pool in pools:
        units = national.get(pool.id, {}).get(consortium.id, 0) if pool.is_national else pool.pledged_quantity
        price = pool.closing_unit_price
        if price is None:
            price = pricing.unit_price(pool_tiers(pool), pool.pledged_quantity, pool_list_price(pool))
        projected = (
            projected_total(pool.pledged_quantity, pool.opened_at, pool.deadline, now)
            if pool.status is PoolStatus.OPEN
            else None
        )
        rows.append(ConsortiumPool(pool, units, price, projected))
    by_status = {status: StatusTotals(status) for status in PoolStatus}
    for row in rows:
        totals = by_status[row.pool.status]
        totals.pools += 1
        totals.units += row.units
        totals.value_pence += row.value_pence
    orders = list(
        db.session.scalars(
            select(PurchaseOrder)
            .where(
                PurchaseOrder.consortium_id == consortium.id,
                PurchaseOrder.status.in_([PurchaseOrderStatus.SENT, PurchaseOrderStatus.CONFIRMED]),
            )
            .options(joinedload(PurchaseOrder.supplier))
            .order_by(PurchaseOrder.created_at, PurchaseOrder.id)
        )
    )
    never = list(
        db.session.scalars(
            select(Member)
            .join(Network, Network.id == Member.network_id)
            .join(Organisation, Organisation.id == Member.organisation_id)
            .where(
                Network.consortium_id == consortium.id, Member.active, ~exists().where(Pledge.member_id == Member.id)
            )
            .order_by(Organisation.legal_name, Member.id)
        )
    )
    return ConsortiumDashboard(consortium, rows, [t for t in by_status.values() if t.pools], orders, never)


# The demand as CSV: one row per pool, the same from the page and the API

DEMAND_CSV_HEADER = [
    "Section",
    "Offer",
    "Unit",
    "Pool",
    "Consortia",
    "Pool status",
    "Deadline",
    "Units",
    "Flexible units",
    "Members",
    "Unit price (£)",
    "Tier from",
    "Next tier from",
    "Units to next tier",
    "Minimum",
    "Minimum reached",
    "About to tip",
    "Packs",
    "Value (£)",
    "Orders sent",
    "Orders confirmed",
    "Orders delivered",
    "Orders cancelled",
]


def pounds_text(pence: int) -> Decimal:
    """Pence as an exact pounds figure for a spreadsheet cell: 123456 -> 1234.56."""
    return Decimal(pence).scaleb(-2)


def demand_csv_rows(demand: SupplierDemand) -> list[list]:
    """Every pool of the demand, not a page: a spreadsheet takes them all."""
    rows = []
    for p in demand.forecast:
        rows.append(
            [
                "forecast",
                p.offer.name,
                p.offer.unit,
                p.id,
                "; ".join(p.consortia),
                PoolStatus.OPEN.value,
                p.deadline,
                p.units,
                p.flexible_units,
                p.members,
                p.unit_price.quantize(Decimal("0.0001")),
                p.tier.min_quantity if p.tier else None,
                p.next_tier.min_quantity if p.next_tier else None,
                p.units_to_next_tier,
                p.minimum_quantity,
                p.minimum_reached,
                p.about_to_tip,
                None,
                pounds_text(p.value_pence),
                None,
                None,
                None,
                None,
            ]
        )
    for o in demand.orders:
        rows.append(
            [
                "order",
                o.offer.name,
                o.offer.unit,
                o.id,
                "; ".join(o.consortia),
                o.status.value,
                None,
                o.units,
                None,
                None,
                None,
                None,
                None,
                None,
                None,
                None,
                None,
                o.packs,
                pounds_text(o.goods_pence),
                *(
                    o.order_statuses.get(s.value, 0)
                    for s in (
                        PurchaseOrderStatus.SENT,
                        PurchaseOrderStatus.CONFIRMED,
                        PurchaseOrderStatus.DELIVERED,
                        PurchaseOrderStatus.CANCELLED,
                    )
                ),
            ]
        )
    return rows


def demand_csv_filename(demand: SupplierDemand, today: date) -> str:
    offer = f"-offer-{demand.offer.id}" if demand.offer else ""
    return f"demand-supplier-{demand.supplier.id}{offer}-{today.isoformat()}.csv"
