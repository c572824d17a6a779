"""Aggregated demand: what a supplier sees across its offers, and a secretary across a consortium.

Every figure comes from a fixed number of statements whatever the number of pools or
pledges: open pools read their running totals (never their pledges) and are priced and
summed in SQL, orders are grouped in SQL, and national pools' units are split per
consortium by the band totals each pledge keeps. Member names and addresses never enter
the supplier's figures.
"""

from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    CompoundSelect,
    Integer,
    Select,
    Subquery,
    and_,
    bindparam,
    case,
    exists,
    func,
    or_,
    select,
    true,
    union_all,
)
from sqlalchemy.orm import joinedload, lazyload, selectinload

from catalogue import pricing
from catalogue.models import Offer
from kernel.clock import EPOCH, UK, uk_today, utcnow, whole_ms
from kernel.errors import ValidationFailed
from kernel.extensions import UTCDateTime, db
from kernel.money import line_pence
from kernel.paging import ListPage
from kernel.sql_figures import line_pence_sql, utc_hour, whole_ms_sql
from orders.models import (
    Pledge,
    Pool,
    PoolBandTotal,
    PoolStatus,
    PurchaseOrder,
    PurchaseOrderStatus,
    pool_consortium,
)
from orders.prices import with_standing
from organisations.models import Consortium, Member, Network, Organisation, Supplier

CLOSED_STATUSES = (PoolStatus.CLOSED, PoolStatus.ORDERED, PoolStatus.DELIVERED, PoolStatus.INVOICED, PoolStatus.SETTLED)
TIPPING_FRACTION = Decimal("0.1")
"""A pool within this fraction of its next tier or of its minimum is about to tip."""


def month_of(moment: datetime) -> str:
    """The UK calendar month, as 2026-05."""
    return moment.astimezone(UK).strftime("%Y-%m")


def within_reach(units: int, target: int) -> bool:
    """Short of `target` by at most 10% of it."""
    return units < target and (target - units) <= TIPPING_FRACTION * target


def progress_percent(units: int, target: int) -> int:
    return min(100, units * 100 // target) if target > 0 else 100


def projected_total(pledged: int, opened_at: datetime | None, deadline: datetime, now: datetime) -> int | None:
    """The pool's total at its deadline if pledges keep coming at the pace so far (linear), in whole
    milliseconds and whole numbers, so the dashboard's SQL (`_SHORT_AT_THIS_PACE`) judges pools by the same sum.

    None when the pace cannot be told yet (not opened, or opened just now).
    """
    if opened_at is None:
        return None
    elapsed = whole_ms(now) - whole_ms(opened_at)
    if elapsed <= 0:
        return None
    remaining = max(whole_ms(deadline) - whole_ms(now), 0)
    return pledged + pledged * remaining // elapsed


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

    Made only for the pools a page shows (or a spreadsheet takes): the dashboard's sums come from SQL
    (`_open_pools`), which tests/orders/test_demand.py holds to these figures.
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


@dataclass
class ForecastSums:
    """Open pools summed: how many, how many about to tip, their units and their value at the tiers reached."""

    open_pools: int = 0
    pools_about_to_tip: int = 0
    forecast_units: int = 0
    forecast_value_pence: int = 0

    def add(self, other: "ForecastSums") -> None:
        self.open_pools += other.open_pools
        self.pools_about_to_tip += other.pools_about_to_tip
        self.forecast_units += other.forecast_units
        self.forecast_value_pence += other.forecast_value_pence


class OrderSums:
    """Sums over `orders`, the closed pools' orders, whatever holds them."""

    orders: list[OrderedPool]

    @property
    def closed_pools(self) -> int:
        return len(self.orders)

    @property
    def order_count(self) -> int:
        return sum(o.order_count for o in self.orders)

    @property
    def ordered_units(self) -> int:
        return sum(o.units for o in self.orders)

    @property
    def ordered_goods_pence(self) -> int:
        return sum(o.goods_pence for o in self.orders)


@dataclass(kw_only=True)
class OfferDemand(ForecastSums, OrderSums):
    """One offer's pools, summed: the dashboard's line per offer, whatever page of pools is shown."""

    offer: Offer
    orders: list[OrderedPool] = field(default_factory=list)


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
class Week:
    """The open pools of one offer whose deadline falls in a UK week (Monday to Sunday), or after the last."""

    label: str
    pools: int = 0
    units: int = 0


FORECAST_WEEKS = 8


@dataclass(kw_only=True)
class SupplierDemand(ForecastSums, OrderSums):
    """Every offer summed; the chosen offer's (or every offer's) sums, page of open pools, orders and totals.

    `forecast` is one page of open pools, soonest deadline first (only those about to tip, if asked);
    `orders` runs latest first; `weeks` is the chosen offer's forecast by week (none without an offer).
    """

    supplier: Supplier
    offers: list[OfferDemand]
    offer: Offer | None
    forecast: ListPage[ForecastPool]
    orders: list[OrderedPool]
    by_consortium: list[Totals]
    by_month: list[Totals]
    weeks: list[Week]


def supplier_offers(supplier_id: int) -> Select:
    """The supplier's offers, withdrawn ones too, for choosing one (searched by `Offer.name`)."""
    return select(Offer).where(Offer.supplier_id == supplier_id).order_by(Offer.name, Offer.id)


def supplier_demand(
    supplier: Supplier,
    offer_id: int | None = None,
    *,
    about_to_tip: bool = False,
    page: int = 1,
    per_page: int = 50,
    today: date | None = None,
) -> SupplierDemand:
    """The supplier's open pools as a forecast, closed pools as orders, and both summed.

    With `offer_id`, the pools and the totals are that offer's; every offer is still summed. Open pools are
    priced and summed in SQL and only the page shown is loaded, so a supplier with thousands of open pools
    costs the same dozen statements as one with a few.
    """
    offers = _offers(supplier.id)
    if offer_id is not None and offer_id not in offers:
        raise ValidationFailed.field("offer_id", "Not one of this supplier's offers.")
    orders, order_rows = _orders(supplier.id, offers)
    every_offer = {offer.id: OfferDemand(offer=offer) for offer in offers.values()}
    for sums_offer_id, sums in _forecast_sums(supplier.id):
        every_offer[sums_offer_id].add(sums)
    for ordered in orders:
        every_offer[ordered.offer.id].orders.append(ordered)

    chosen, sums = _Chosen(supplier.id, offer_id), ForecastSums()
    if offer_id is None:
        for offer_demand in every_offer.values():
            sums.add(offer_demand)
    else:
        sums.add(every_offer[offer_id])
        orders = every_offer[offer_id].orders
        order_rows = [row for row in order_rows if row.offer_id == offer_id]
    hours = _deadline_hours(chosen)
    by_consortium, by_month = _totals(_consortium_sums(chosen), hours, order_rows)
    return SupplierDemand(
        supplier=supplier,
        offers=list(every_offer.values()),
        offer=None if offer_id is None else offers[offer_id],
        forecast=ListPage.fetched(
            lambda limit, offset: _forecast_pools(chosen, offers, about_to_tip, limit, offset),
            page,
            per_page,
            sums.pools_about_to_tip if about_to_tip else sums.open_pools,
        ),
        orders=orders,
        by_consortium=by_consortium,
        by_month=by_month,
        weeks=[] if offer_id is None else forecast_by_week(hours, today or uk_today()),
        **asdict(sums),
    )


def _totals(
    consortium_sums: list[tuple[int, int, int, int]], hours: list["DeadlineHour"], order_rows: list["_OrderRow"]
) -> tuple[list[Totals], list[Totals]]:
    """Forecast and orders summed by consortium (alphabetically) and by UK month (in order)."""
    names = {cid: name for cid, name in db.session.execute(_CONSORTIUM_NAMES)}
    by_consortium: dict[int, Totals] = {}
    by_month: dict[str, Totals] = {}

    def consortium(cid: int) -> Totals:
        if cid not in by_consortium:
            by_consortium[cid] = Totals(str(cid), names.get(cid, ""))
        return by_consortium[cid]

    def month(key: str) -> Totals:
        if key not in by_month:
            by_month[key] = Totals(key, datetime.strptime(key, "%Y-%m").strftime("%B %Y"))
        return by_month[key]

    for cid, pools, units, value_pence in consortium_sums:
        totals = consortium(cid)
        totals.open_pools += pools
        totals.forecast_units += units
        totals.forecast_value_pence += value_pence
    for hour in hours:
        totals = month(month_of(hour.starts))
        totals.open_pools += hour.pools
        totals.forecast_units += hour.units
        totals.forecast_value_pence += hour.value_pence
    for row in order_rows:
        for totals in (consortium(row.consortium_id), month(month_of(row.created_at))):
            totals.orders += row.orders
            if row.status is not PurchaseOrderStatus.CANCELLED:
                totals.ordered_units += row.units
                totals.ordered_goods_pence += row.goods_pence
    return sorted(by_consortium.values(), key=lambda t: t.label), [by_month[key] for key in sorted(by_month)]


def forecast_pools(demand: SupplierDemand) -> list[ForecastPool]:
    """Every open pool of the demand (its offer's, if it has one), not a page: a spreadsheet takes them all."""
    chosen = _Chosen(demand.supplier.id, None if demand.offer is None else demand.offer.id)
    return _forecast_pools(chosen, {o.offer.id: o.offer for o in demand.offers}, about_to_tip=False)


def offer_forecast_by_week(supplier: Supplier, offer_id: int, today: date | None = None) -> tuple[Offer, list[Week]]:
    """One of the supplier's offers and its open pools by the week they close (`forecast_by_week`)."""
    offer = db.session.scalar(select(Offer).where(Offer.id == offer_id, Offer.supplier_id == supplier.id))
    if offer is None:
        raise ValidationFailed.field("offer_id", "Not one of this supplier's offers.")
    hours = _deadline_hours(_Chosen(supplier.id, offer_id))
    return offer, forecast_by_week(hours, today or uk_today())


def _offers(supplier_id: int) -> dict[int, Offer]:
    return {o.id: o for o in db.session.scalars(_OFFERS, {"supplier_id": supplier_id})}


def _close_enough_sql(units, target):
    """`within_reach` in SQL for a target known to be above `units`, in whole numbers and naming `target` once:
    PostgreSQL works a subquery out again wherever its column is named, and the next tier is one."""
    numerator, denominator = TIPPING_FRACTION.as_integer_ratio()
    return target * (denominator - numerator) <= units * denominator


def about_to_tip_sql(units, minimum, next_min) -> ColumnElement[bool]:
    """`ForecastPool.about_to_tip` in SQL, over `orders.prices.with_standing`'s columns: short of the minimum by
    a tenth of it at most, or of the next tier (NULL when there is none, which is false)."""
    return or_(and_(units < minimum, _close_enough_sql(units, minimum)), _close_enough_sql(units, next_min))


# The supplier's statements, built once: building them costs more than running them. Their bound values are the
# supplier (supplier_id), the chosen offer (offer_id, in the statements of one offer's pools) and the page (limit,
# offset).

_SUPPLIER_ID = bindparam("supplier_id", type_=Integer)


def _open_pools(*which: ColumnElement[bool]) -> Subquery:
    """The supplier's open pools (those of `which`), one row each, priced on their held tiers
    (`orders.prices.with_standing`), with the value of their units and whether they are about to tip, as
    `ForecastPool` works them out."""
    standing = with_standing(
        select(
            Pool.id,
            Pool.offer_id,
            Pool.is_national,
            Pool.deadline,
            Pool.opened_at,
            Pool.minimum_quantity,
            Pool.capacity,
            Pool.pledged_flexible,
            Pool.member_count,
        )
        .join(Offer, Offer.id == Pool.offer_id)
        .where(Offer.supplier_id == _SUPPLIER_ID, Pool.status == PoolStatus.OPEN, *which)
    ).subquery("standing")
    units = standing.c.standing_units
    tipping = about_to_tip_sql(units, standing.c.minimum_quantity, standing.c.next_min)
    return select(
        standing,
        line_pence_sql(units, standing.c.unit_price).label("value_pence"),
        case((tipping, 1), else_=0).label("about_to_tip"),
    ).subquery("open_pools")


def _consortium_sums_of(open_pools: Subquery) -> CompoundSelect:
    """Open pools, units and value per consortium: a local pool's all go to its consortium; a national
    pool's units are split by the consortium that pledged them (the pool band totals the pledges keep), each
    share valued at the pool's price, and it counts under every consortium with units in it."""
    local = (
        select(
            pool_consortium.c.consortium_id,
            func.count(),
            func.sum(open_pools.c.standing_units),
            func.sum(open_pools.c.value_pence),
        )
        .join(open_pools, open_pools.c.id == pool_consortium.c.pool_id)
        .where(open_pools.c.is_national.is_(False))
        .group_by(pool_consortium.c.consortium_id)
    )
    shares = (
        select(PoolBandTotal.pool_id, PoolBandTotal.consortium_id, func.sum(PoolBandTotal.quantity).label("units"))
        .where(PoolBandTotal.pool_id.in_(select(open_pools.c.id).where(open_pools.c.is_national)))
        .group_by(PoolBandTotal.pool_id, PoolBandTotal.consortium_id)
        .having(func.sum(PoolBandTotal.quantity) > 0)
        .subquery("shares")
    )
    national = (
        select(
            shares.c.consortium_id,
            func.count(),
            func.sum(shares.c.units),
            func.sum(line_pence_sql(shares.c.units, open_pools.c.unit_price)),
        )
        .join(open_pools, open_pools.c.id == shares.c.pool_id)
        .group_by(shares.c.consortium_id)
    )
    return union_all(local, national)


def _deadline_hours_of(open_pools: Subquery) -> Select:
    hour = utc_hour(open_pools.c.deadline)
    return select(
        hour, func.count(), func.sum(open_pools.c.standing_units), func.sum(open_pools.c.value_pence)
    ).group_by(hour)


def _forecast_pools_of(open_pools: Subquery, about_to_tip: bool, paged: bool) -> Select:
    """Open pools soonest deadline first (only those about to tip, if asked): a page of them, or all."""
    query = select(open_pools).order_by(open_pools.c.deadline, open_pools.c.id)
    if about_to_tip:
        query = query.where(open_pools.c.about_to_tip == 1)
    if paged:
        query = query.limit(bindparam("limit", type_=Integer)).offset(bindparam("offset", type_=Integer))
    return query


_EVERY_OFFERS_POOLS = _open_pools()
_OFFERS_POOLS = _open_pools(Pool.offer_id == bindparam("offer_id", type_=Integer))
_OFFERS = (
    select(Offer)
    .where(Offer.supplier_id == _SUPPLIER_ID)
    .order_by(Offer.name, Offer.id)
    .options(lazyload(Offer.supplier), lazyload(Offer.category), selectinload(Offer.tiers))
)
_FORECAST_SUMS = select(
    _EVERY_OFFERS_POOLS.c.offer_id,
    func.count(),
    func.sum(_EVERY_OFFERS_POOLS.c.about_to_tip),
    func.sum(_EVERY_OFFERS_POOLS.c.standing_units),
    func.sum(_EVERY_OFFERS_POOLS.c.value_pence),
).group_by(_EVERY_OFFERS_POOLS.c.offer_id)
# Keyed by whether one offer is chosen (and for the pools, whether only those about to tip, and whether a page).
_CONSORTIUM_SUMS = {
    one: _consortium_sums_of(pools) for one, pools in ((False, _EVERY_OFFERS_POOLS), (True, _OFFERS_POOLS))
}
_DEADLINE_HOURS = {
    one: _deadline_hours_of(pools) for one, pools in ((False, _EVERY_OFFERS_POOLS), (True, _OFFERS_POOLS))
}
_FORECAST_POOLS = {
    (one, tipping, paged): _forecast_pools_of(pools, tipping, paged)
    for one, pools in ((False, _EVERY_OFFERS_POOLS), (True, _OFFERS_POOLS))
    for tipping in (False, True)
    for paged in (False, True)
}
_CONSORTIUM_NAMES = select(Consortium.id, Consortium.name)
_POOL_CONSORTIUM_NAMES = (
    select(pool_consortium.c.pool_id, Consortium.name)
    .join(Consortium, Consortium.id == pool_consortium.c.consortium_id)
    .order_by(Consortium.name)
)
_SHOWN_POOLS_CONSORTIA = _POOL_CONSORTIUM_NAMES.where(
    pool_consortium.c.pool_id.in_(bindparam("pool_ids", expanding=True))
)
_CLOSED_POOLS_CONSORTIA = _POOL_CONSORTIUM_NAMES.where(
    pool_consortium.c.pool_id.in_(
        select(Pool.id)
        .join(Offer, Offer.id == Pool.offer_id)
        .where(Offer.supplier_id == _SUPPLIER_ID, Pool.status.in_(CLOSED_STATUSES))
    )
)
# Orders the supplier has been sent (drafts stay the consortium's), grouped per pool, consortium, status.
_ORDERS = (
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
        PurchaseOrder.supplier_id == _SUPPLIER_ID,
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


@dataclass(frozen=True)
class _Chosen:
    """Which open pools: the supplier's, of one offer or (`offer_id` None) of every offer."""

    supplier_id: int
    offer_id: int | None

    @property
    def one_offer(self) -> bool:
        return self.offer_id is not None

    @property
    def values(self) -> dict[str, Any]:
        """The bound values of the statements that read these pools."""
        if self.offer_id is None:
            return {"supplier_id": self.supplier_id}
        return {"supplier_id": self.supplier_id, "offer_id": self.offer_id}


def _forecast_sums(supplier_id: int) -> list[tuple[int, ForecastSums]]:
    """Each offer's open pools summed, in one statement."""
    return [
        (offer_id, ForecastSums(pools, int(tipping), int(units), int(value_pence)))
        for offer_id, pools, tipping, units, value_pence in db.session.execute(
            _FORECAST_SUMS, {"supplier_id": supplier_id}
        )
    ]


def _consortium_sums(chosen: _Chosen) -> list[tuple[int, int, int, int]]:
    """Open pools, units and value per consortium (`_consortium_sums_of`)."""
    return [
        (cid, pools, int(units), int(value_pence))
        for cid, pools, units, value_pence in db.session.execute(_CONSORTIUM_SUMS[chosen.one_offer], chosen.values)
    ]


@dataclass(frozen=True)
class DeadlineHour:
    """Open pools whose deadline falls in one UTC hour: UK months and weeks begin on a whole hour of UTC, so
    every pool of the hour falls in the same UK month and week."""

    starts: datetime
    pools: int
    units: int
    value_pence: int


def _deadline_hours(chosen: _Chosen) -> list[DeadlineHour]:
    return [
        DeadlineHour(datetime.strptime(starts, "%Y-%m-%d %H").replace(tzinfo=UTC), pools, int(units), int(value))
        for starts, pools, units, value in db.session.execute(_DEADLINE_HOURS[chosen.one_offer], chosen.values)
    ]


def forecast_by_week(hours: list[DeadlineHour], today: date, weeks: int = FORECAST_WEEKS) -> list[Week]:
    """Units pledged in one offer's open pools by the week their deadline falls in, this week and the next
    `weeks - 1`, then "later": a forecast of when orders will come. Never mixes offers: the caller passes one's."""
    monday = today - timedelta(days=today.weekday())
    buckets = [Week(f"w/c {(monday + timedelta(weeks=n)).strftime('%-d %b')}") for n in range(weeks)]
    later = Week("Later")
    for hour in hours:
        n = (hour.starts.astimezone(UK).date() - monday).days // 7
        bucket = buckets[max(n, 0)] if n < weeks else later
        bucket.pools += hour.pools
        bucket.units += hour.units
    return buckets + ([later] if later.pools else [])


def _pool_consortium_names(statement: Select, values: dict[str, Any]) -> dict[int, list[str]]:
    """The names of each pool's consortia, alphabetically, for the pools `statement` picks."""
    names: dict[int, list[str]] = defaultdict(list)
    for pool_id, name in db.session.execute(statement, values):
        names[pool_id].append(name)
    return names


def _forecast_pools(
    chosen: _Chosen, offers: dict[int, Offer], about_to_tip: bool, limit: int | None = None, offset: int = 0
) -> list[ForecastPool]:
    """Open pools as `ForecastPool`s, soonest deadline first: a page of them, or (without `limit`) all."""
    paged = limit is not None
    values = chosen.values | ({"limit": limit, "offset": offset} if paged else {})
    rows = db.session.execute(_FORECAST_POOLS[chosen.one_offer, about_to_tip, paged], values).all()
    names = _pool_consortium_names(_SHOWN_POOLS_CONSORTIA, {"pool_ids": [row.id for row in rows]}) if rows else {}
    return [
        ForecastPool(
            id=row.id,
            offer=offers[row.offer_id],
            consortia=names[row.id],
            is_national=row.is_national,
            deadline=row.deadline,
            opened_at=row.opened_at,
            minimum_quantity=row.minimum_quantity,
            capacity=row.capacity,
            units=row.standing_units,
            flexible_units=row.pledged_flexible,
            members=row.member_count,
            unit_price=row.unit_price,
            tier=None if row.tier_min is None else pricing.Tier(row.tier_min, row.tier_price),
            next_tier=None if row.next_min is None else pricing.Tier(row.next_min, row.next_price),
        )
        for row in rows
    ]


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


def _orders(supplier_id: int, offers: dict[int, Offer]) -> tuple[list[OrderedPool], list[_OrderRow]]:
    """Orders the supplier has been sent (`_ORDERS`), per closed pool, latest first, and the rows they sum."""
    # SQLAlchemy types a select of ten columns as ten and any number more, so the row is cut to its ten.
    values = {"supplier_id": supplier_id}
    rows = [_OrderRow(*row[:10]) for row in db.session.execute(_ORDERS, values)]
    names = _pool_consortium_names(_CLOSED_POOLS_CONSORTIA, values)
    pools: dict[int, OrderedPool] = {}
    for row in rows:
        pool = pools.setdefault(
            row.pool_id,
            OrderedPool(row.pool_id, offers[row.offer_id], row.pool_status, names[row.pool_id]),
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


# The secretary's consortium


@dataclass
class ConsortiumPool:
    """An open pool as the consortium's dashboard lists it: the consortium's own units (its share of a national
    pool), the price they stand at, and where the pledges so far are heading. Plain figures, read for the pools a
    page shows only."""

    id: int
    offer_name: str
    unit: str
    unit_plural: str
    supplier_name: str
    is_national: bool
    deadline: datetime
    pledged_quantity: int
    minimum_quantity: int
    member_count: int
    units: int
    unit_price: Decimal
    projected: int | None

    @property
    def value_pence(self) -> int:
        return line_pence(self.units, self.unit_price)

    @property
    def will_miss_minimum(self) -> bool:
        """Short of the minimum, and the pace so far does not reach it by the deadline (`_SHORT_AT_THIS_PACE`
        in SQL)."""
        return (
            self.pledged_quantity < self.minimum_quantity
            and self.projected is not None
            and self.projected < self.minimum_quantity
        )


@dataclass(frozen=True)
class QuietMember:
    """A member that has never pledged, as the dashboard names it."""

    id: int
    name: str
    network_name: str


@dataclass
class StatusTotals:
    status: PoolStatus
    pools: int = 0
    units: int = 0
    value_pence: int = 0


@dataclass
class ConsortiumDashboard:
    """The secretary's consortium: every pool summed by status, and a page of each list."""

    consortium: Consortium
    by_status: list[StatusTotals]
    at_risk: ListPage[ConsortiumPool]
    open_pools: ListPage[ConsortiumPool]
    orders_to_progress: ListPage[PurchaseOrder]
    never_pledged: ListPage[QuietMember]


@dataclass(frozen=True)
class DashboardPages:
    """Which page of each of the dashboard's lists to show, and how long a page is."""

    at_risk: int = 1
    open_pools: int = 1
    orders: int = 1
    members: int = 1
    pools_per_page: int = 50
    members_per_page: int = 100


def consortium_dashboard(
    consortium: Consortium, now: datetime | None = None, pages: DashboardPages | None = None
) -> ConsortiumDashboard:
    """Pools by status, pools that will miss their minimum, open pools, orders to progress, and members who never
    pledged. Summed, judged and paged in SQL, so a consortium with thousands of pools and members costs the same
    six statements as a new one, and only the rows a page shows come back: one statement sums the pools by
    status and counts those at risk, one reads each page of pools with its units and price, and one counts the
    members who never pledged and names a page of them."""
    now = now or utcnow()
    pages = pages or DashboardPages()
    now_ms = whole_ms(now)
    started = EPOCH + timedelta(milliseconds=now_ms)  # opened before this, a pool has a pace
    values: dict[str, Any] = {"consortium_id": consortium.id, "now_ms": now_ms, "started": started}
    by_status, at_risk_total = _status_totals(values)
    open_total = next((t.pools for t in by_status if t.status is PoolStatus.OPEN), 0)
    per_page = pages.pools_per_page

    def shown(statement: Select) -> Callable[[int, int], list[ConsortiumPool]]:
        return lambda limit, offset: _consortium_pools(statement, values | {"limit": limit, "offset": offset}, now)

    orders = select(PurchaseOrder).where(
        PurchaseOrder.consortium_id == consortium.id,
        PurchaseOrder.status.in_([PurchaseOrderStatus.SENT, PurchaseOrderStatus.CONFIRMED]),
    )
    return ConsortiumDashboard(
        consortium,
        by_status,
        ListPage.fetched(shown(_AT_RISK_PAGE), pages.at_risk, per_page, at_risk_total),
        ListPage.fetched(shown(_OPEN_PAGE), pages.open_pools, per_page, open_total),
        ListPage.selected(
            orders,
            pages.orders,
            per_page,
            order_by=(PurchaseOrder.created_at, PurchaseOrder.id),
            options=(joinedload(PurchaseOrder.supplier),),
        ),
        _never_pledged(consortium.id, pages.members, pages.members_per_page),
    )


# The dashboard's statements, built once: building them costs more than running them. Their bound values are
# the consortium (consortium_id), the clock (now_ms: `whole_ms` of now; started: the moment that millisecond
# began) and the page (limit, offset).

_CONSORTIUM_ID = bindparam("consortium_id", type_=Integer)
_NOW_MS = bindparam("now_ms", type_=BigInteger)
_IN_CONSORTIUM = Pool.id.in_(select(pool_consortium.c.pool_id).where(pool_consortium.c.consortium_id == _CONSORTIUM_ID))

# The consortium's own units of a pool: all of a local pool's, its members' share of a national one (the band
# totals its pledges keep).
_CONSORTIUM_UNITS = case(
    (
        Pool.is_national,
        select(func.coalesce(func.sum(PoolBandTotal.quantity), 0))
        .where(PoolBandTotal.pool_id == Pool.id, PoolBandTotal.consortium_id == _CONSORTIUM_ID)
        .correlate(Pool)
        .scalar_subquery(),
    ),
    else_=Pool.pledged_quantity,
)

# `ConsortiumPool.will_miss_minimum` of an open pool, in SQL: `projected_total` < minimum multiplied out, in whole
# milliseconds and whole numbers, so there is no rounding to disagree about. pledged + floor(pledged x remaining
# / elapsed) < minimum exactly when pledged x remaining < (minimum - pledged) x elapsed; past the deadline Python
# counts no time remaining and both sides hold alike, so the SQL leaves remaining below zero and reads two
# timestamps a pool, not four. On SQLite the products stay whole numbers while they fit 64 bits: minimums up to
# MAX_QUANTITY, deadlines and openings within 29 years of now.
_SHORT_AT_THIS_PACE = and_(
    Pool.status == PoolStatus.OPEN,
    Pool.pledged_quantity < Pool.minimum_quantity,
    Pool.opened_at < bindparam("started", type_=UTCDateTime),
    Pool.pledged_quantity * (whole_ms_sql(Pool.deadline) - _NOW_MS)
    < (Pool.minimum_quantity - Pool.pledged_quantity) * (_NOW_MS - whole_ms_sql(Pool.opened_at)),
)

# Pools, the consortium's units and their value per status, and how many pools are at risk: open pools at the
# tier reached (`orders.prices.with_standing`), closed ones at their closing price.
_priced = with_standing(
    select(
        Pool.id,
        Pool.status,
        Pool.closing_unit_price,
        _CONSORTIUM_UNITS.label("consortium_units"),
        case((_SHORT_AT_THIS_PACE, 1), else_=0).label("at_risk"),
    ).where(_IN_CONSORTIUM)
).subquery("priced")
_STATUS_TOTALS = select(
    _priced.c.status,
    func.count(),
    func.sum(_priced.c.consortium_units),
    func.sum(
        line_pence_sql(_priced.c.consortium_units, func.coalesce(_priced.c.closing_unit_price, _priced.c.unit_price))
    ),
    func.sum(_priced.c.at_risk),
).group_by(_priced.c.status)


def _pools_page(which: ColumnElement[bool]) -> Select:
    """A page of the pools `which` picks, soonest deadline first, with the consortium's units and the price at the
    tier reached (`orders.prices.with_standing`, which tests/orders/test_demand.py holds to `catalogue.pricing`):
    plain columns, the tiers never leave the database. The page is cut from the pools alone, so whatever plan
    PostgreSQL keeps for the prepared statement, offers, suppliers and prices are looked up for its pools only."""
    cut = (
        select(Pool.id)
        .where(which)
        .order_by(Pool.deadline, Pool.id)
        .limit(bindparam("limit", type_=Integer))
        .offset(bindparam("offset", type_=Integer))
        .subquery("cut")
    )
    shown = (
        select(
            Pool.id,
            Pool.is_national,
            Pool.deadline,
            Pool.opened_at,
            Pool.pledged_quantity,
            Pool.minimum_quantity,
            Pool.member_count,
            Offer.name.label("offer_name"),
            Offer.unit,
            Offer.unit_plural,
            Organisation.legal_name.label("supplier_name"),
            _CONSORTIUM_UNITS.label("consortium_units"),
        )
        .join(cut, cut.c.id == Pool.id)
        .join(Offer, Offer.id == Pool.offer_id)
        .join(Supplier, Supplier.id == Offer.supplier_id)
        .join(Organisation, Organisation.id == Supplier.organisation_id)
    )
    priced = with_standing(shown).subquery("shown")
    return select(priced).order_by(priced.c.deadline, priced.c.id)


_AT_RISK_PAGE = _pools_page(and_(_IN_CONSORTIUM, _SHORT_AT_THIS_PACE))
_OPEN_PAGE = _pools_page(and_(_IN_CONSORTIUM, Pool.status == PoolStatus.OPEN))

# How many of the consortium's active members never pledged, and a page of their names: the search reads every
# member against the pledges, so it runs once (a common table expression read by the count and by the page), and
# the count comes back beside an empty page too.
_quiet = (
    select(Member.id, Organisation.legal_name.label("name"), Network.name.label("network_name"))
    .join(Network, Network.id == Member.network_id)
    .join(Organisation, Organisation.id == Member.organisation_id)
    .where(Network.consortium_id == _CONSORTIUM_ID, Member.active, ~exists().where(Pledge.member_id == Member.id))
    .cte("quiet")
)
_quiet_total = select(func.count().label("total")).select_from(_quiet).subquery("total")
_quiet_shown = (
    select(_quiet)
    .order_by(_quiet.c.name, _quiet.c.id)
    .limit(bindparam("limit", type_=Integer))
    .offset(bindparam("offset", type_=Integer))
    .subquery("shown")
)
_QUIET_MEMBERS = (
    select(_quiet_total.c.total, _quiet_shown.c.id, _quiet_shown.c.name, _quiet_shown.c.network_name)
    .select_from(_quiet_total.outerjoin(_quiet_shown, true()))
    .order_by(_quiet_shown.c.name, _quiet_shown.c.id)
)


def _status_totals(values: dict[str, Any]) -> tuple[list[StatusTotals], int]:
    """Every pool of the consortium summed by status (`_STATUS_TOTALS`), and how many open pools are at risk."""
    found = {
        status: (pools, units, value, risky)
        for status, pools, units, value, risky in db.session.execute(_STATUS_TOTALS, values)
    }
    totals = [
        StatusTotals(status, found[status][0], int(found[status][1] or 0), int(found[status][2] or 0))
        for status in PoolStatus
        if status in found
    ]
    return totals, int(found.get(PoolStatus.OPEN, (0, 0, 0, 0))[3] or 0)


def _consortium_pools(statement: Select, values: dict[str, Any], now: datetime) -> list[ConsortiumPool]:
    """A page of pools (`_pools_page`), each with where its pledges so far are heading."""
    return [
        ConsortiumPool(
            row.id,
            row.offer_name,
            row.unit,
            row.unit_plural,
            row.supplier_name,
            row.is_national,
            row.deadline,
            row.pledged_quantity,
            row.minimum_quantity,
            row.member_count,
            int(row.consortium_units),
            row.unit_price,
            projected_total(row.pledged_quantity, row.opened_at, row.deadline, now),
        )
        for row in db.session.execute(statement, values)
    ]


def _never_pledged(consortium_id: int, page: int, per_page: int) -> ListPage[QuietMember]:
    """The consortium's active members with no pledge at all, by name, and how many (`_QUIET_MEMBERS`)."""

    def fetch(limit: int, offset: int) -> tuple[list[QuietMember], int]:
        rows = db.session.execute(
            _QUIET_MEMBERS, {"consortium_id": consortium_id, "limit": limit, "offset": offset}
        ).all()
        return [QuietMember(row.id, row.name, row.network_name) for row in rows if row.id is not None], rows[0].total

    return ListPage.counted(fetch, page, per_page)


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
    for p in forecast_pools(demand):
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
