"""Pools and pledges: opening, cancelling, pledging, and what a pool's demand earns.

The pledge path locks the pool row, so capacity holds and no pledge is lost when many
members pledge at once; the pool's running totals are kept under that lock too, which
keeps pool pages and the pledge path free of aggregate queries.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation

from sqlalchemy import Date, Integer, Select, and_, bindparam, func, insert, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import joinedload, lazyload, selectinload
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key

from catalogue import pricing
from catalogue.models import Category, Offer, PriceTier, VatRate
from catalogue.pools import can_run, members_for, require_runner, take_writer_lock
from kernel.clock import utcnow
from kernel.errors import Conflict, NotFound, ValidationFailed
from kernel.extensions import UTCDateTime, db
from kernel.formatting import pounds
from kernel.money import line_pence
from orders import notices
from orders.models import POOLS, Pledge, PledgeChange, Pool, PoolPledgeDay, PoolStatus, PoolTier, pool_consortium
from organisations.models import Consortium, Member, Network, User

MAX_QUANTITY = 10_000_000
MAX_DELIVERY_CHARGE_PENCE = 100_000_000
MAX_SOLIDARITY_PERCENT = Decimal(25)
# What one pool's goods may come to at list price: with delivery, fees and VAT on top, every
# order and invoice total still fits the 32-bit integer pence columns.
MAX_POOL_VALUE_PENCE = 1_500_000_000


# Who sees what: the rules every kind of pool shares (catalogue.pools)


def visible_pools(user: User) -> Select:
    return POOLS.visible(user)


require_visible = POOLS.require_visible
pool_for = POOLS.pool_for
can_manage = can_run
require_manager = require_runner


def pledging_members(user: User, pool: Pool) -> list[Member]:
    """The members this user may pledge for in this pool."""
    return members_for(user, pool)


# Opening and cancelling


@dataclass
class PoolTerms:
    deadline: datetime
    minimum_quantity: int | None = None
    capacity: int | None = None
    delivery_charge_pence: int = 0
    note: str | None = None
    solidarity_rate_percent: Decimal | str = Decimal(0)


def create_pool(actor: User, offer: Offer, consortia: list[Consortium], terms: PoolTerms) -> Pool:
    """A draft pool; one consortium for a secretary's pool, several (admin only) for a national one."""
    national = POOLS.check_new(actor, offer, consortia)
    _validate_terms(terms, offer)
    pool = Pool(
        offer=offer,
        is_national=national,
        consortia=list(consortia),
        status=PoolStatus.DRAFT,
        deadline=terms.deadline,
        minimum_quantity=terms.minimum_quantity or offer.minimum_order_quantity,
        capacity=terms.capacity,
        delivery_charge_pence=terms.delivery_charge_pence,
        note=(terms.note or "").strip() or None,
        solidarity_rate_percent=_solidarity_rate(terms.solidarity_rate_percent),
        created_by=actor,
    )
    db.session.add(pool)
    db.session.flush()
    return pool


def _validate_terms(terms: PoolTerms, offer: Offer) -> None:
    errors: dict[str, list[str]] = {}
    if terms.deadline.tzinfo is None or terms.deadline <= utcnow():
        errors["deadline"] = ["The deadline must be in the future."]
    minimum = terms.minimum_quantity or offer.minimum_order_quantity
    if terms.minimum_quantity is not None and not 1 <= terms.minimum_quantity <= MAX_QUANTITY:
        errors["minimum_quantity"] = [f"Enter a whole number from 1 to {MAX_QUANTITY:,}."]
    if terms.capacity is not None and not minimum <= terms.capacity <= MAX_QUANTITY:
        errors["capacity"] = [f"The capacity must be at least the minimum ({minimum:,}) and at most {MAX_QUANTITY:,}."]
    if not 0 <= terms.delivery_charge_pence <= MAX_DELIVERY_CHARGE_PENCE:
        errors["delivery_charge_pence"] = ["The delivery charge must be zero or more, and realistic."]
    if _solidarity_rate(terms.solidarity_rate_percent) is None:
        errors["solidarity_rate_percent"] = [
            f"Enter a rate from 0 to {MAX_SOLIDARITY_PERCENT}%, with at most two decimal places."
        ]
    if errors:
        raise ValidationFailed("Some terms of the pool are not valid.", errors)


def _solidarity_rate(value) -> Decimal | None:
    """The rate as a Decimal (from a Decimal or a decimal string), or None when it is not a valid one."""
    if isinstance(value, str):
        try:
            value = Decimal(value.strip())
        except InvalidOperation:
            return None
    if not isinstance(value, Decimal) or not value.is_finite() or not 0 <= value <= MAX_SOLIDARITY_PERCENT:
        return None
    return value if value == value.quantize(Decimal("0.01")) else None


def open_pool(actor: User, pool: Pool) -> Pool:
    late = "The deadline has passed; cancel this draft and create a new pool." if pool.deadline <= utcnow() else None
    pool = POOLS.open(actor, pool, late)
    notices.pool_opened(pool)
    return pool


def cancel_pool(actor: User, pool: Pool, reason: str) -> Pool:
    pool = POOLS.cancel(actor, pool, reason)
    notices.pool_cancelled(pool)
    return pool


# Pledging


def lock_pool(pool_id: int, member: Member | None = None) -> tuple[Pool, Pledge | None]:
    """Takes the pool's row lock until the transaction ends and loads it with its prices,
    and with `member`'s pledge in it when asked, read under the same lock in the same query.

    PostgreSQL: SELECT ... FOR UPDATE; SQLite: `take_writer_lock` first.
    """
    take_writer_lock(_pool, pool_id)
    pledge_on = and_(Pledge.pool_id == Pool.id, Pledge.member_id == (member.id if member else None))
    row = (
        db.session.execute(
            select(Pool, Pledge)
            .outerjoin(Pledge, pledge_on)
            .where(Pool.id == pool_id)
            .with_for_update(of=Pool)
            .options(
                joinedload(Pool.offer).options(
                    lazyload(Offer.supplier), lazyload(Offer.category), joinedload(Offer.tiers)
                )
            )
            .execution_options(populate_existing=True)
        )
        .unique()
        .one_or_none()
    )
    if row is None:
        raise NotFound("No such pool.")
    pool, existing = row
    if existing is not None:
        set_committed_value(existing, "pool", pool)
        set_committed_value(existing, "member", member)
    return pool, existing


def _check_pledgeable(status: PoolStatus, deadline: datetime, now: datetime) -> None:
    if status is not PoolStatus.OPEN:
        raise Conflict(f"This pool is {status.value}; pledges are taken only while it is open.")
    if now >= deadline:
        raise Conflict("The deadline has passed; this pool takes no more pledges.")


def check_pledgeable(pool: Pool) -> None:
    """409 unless the pool takes pledges now: open, and before its deadline."""
    _check_pledgeable(pool.status, pool.deadline, utcnow())


def is_pledgeable(pool: Pool) -> bool:
    return pool.status is PoolStatus.OPEN and utcnow() < pool.deadline


def validate_quantities(quantity, flexible_extra) -> tuple[int, int]:
    errors: dict[str, list[str]] = {}
    if isinstance(quantity, bool) or not isinstance(quantity, int) or not 1 <= quantity <= MAX_QUANTITY:
        errors["quantity"] = [f"Enter a whole number of units from 1 to {MAX_QUANTITY:,}."]
    if flexible_extra is None:
        flexible_extra = 0
    if (
        isinstance(flexible_extra, bool)
        or not isinstance(flexible_extra, int)
        or not 0 <= flexible_extra <= MAX_QUANTITY
    ):
        errors["flexible_extra"] = [f"Enter a whole number of units from 0 to {MAX_QUANTITY:,}."]
    if errors:
        raise ValidationFailed("The pledge is not valid.", errors)
    return quantity, flexible_extra


def pledge(
    actor: User, pool_id: int, quantity: int, flexible_extra: int = 0, member_id: int | None = None
) -> "PledgeMade":
    """Places or changes a member's pledge under the pool's lock; every change is kept in its history.

    Everything that does not depend on the pool's totals happens before the lock is taken.
    """
    quantity, flexible_extra = validate_quantities(quantity, flexible_extra)
    member = _pledging_member(actor, pool_id, member_id)
    locked = _lock_for_pledge(pool_id, member.id)
    room = None if locked.capacity is None else locked.capacity - (locked.pledged_quantity - locked.old_quantity)
    if room is not None and quantity > room:
        raise ValidationFailed.field("quantity", f"Only {room:,} units are left in this pool's capacity.")
    if line_pence(locked.pledged_quantity - locked.old_quantity + quantity, locked.list_price) > MAX_POOL_VALUE_PENCE:
        raise ValidationFailed.field(
            "quantity",
            f"This would take the pool past {pounds(MAX_POOL_VALUE_PENCE)} at "
            "list price, the most one pool can order; please pledge less.",
        )
    return _write_pledge(locked, actor, member, quantity, flexible_extra)


def withdraw_pledge(actor: User, pool_id: int, member_id: int | None = None) -> "PledgeMade":
    member = _pledging_member(actor, pool_id, member_id)
    locked = _lock_for_pledge(pool_id, member.id)
    if locked.pledge_id is None or locked.old_quantity == 0:
        raise NotFound(f"{member.name} has no pledge in this pool.")
    return _write_pledge(locked, actor, member, 0, 0)


_PLEDGING_MEMBER = (
    select(Member)
    .join(Network, Member.network_id == Network.id)
    .join(
        pool_consortium,
        and_(
            pool_consortium.c.consortium_id == Network.consortium_id, pool_consortium.c.pool_id == bindparam("pool_id")
        ),
    )
    .where(Member.active, Member.id.in_(bindparam("member_ids", expanding=True)))
    .options(lazyload(Member.network))
    .order_by(Member.id)
)


def _pledging_member(actor: User, pool_id: int, member_id: int | None) -> Member:
    """The member the actor pledges for in this pool; 404 if the pool is not theirs to see.

    Without `member_id` the actor must act for exactly one member of the pool's consortia;
    an admin may name any member. One statement built once, so only its values are bound.
    """
    if member_id is None:
        candidates = actor.member_ids
    elif actor.is_admin or member_id in actor.member_ids:
        candidates = {member_id}
    else:
        candidates = set()
    members = db.session.scalars(_PLEDGING_MEMBER, {"pool_id": pool_id, "member_ids": sorted(candidates) or [-1]}).all()
    if len(members) == 1:
        return members[0]
    require_visible(actor, pool_id)
    if members:
        raise ValidationFailed.field("member_id", "You act for several members of this pool: say which one.")
    if member_id is not None:
        raise ValidationFailed.field("member_id", "You cannot pledge for that member in this pool.")
    raise ValidationFailed.field("member_id", "You act for no member of this pool's consortia.")


# The pledge path's statements. They are built once, from tables rather than models, and run on
# the session's connection: SQLAlchemy reuses the compiled form of a statement whose structure
# does not change, so a pledge only binds its values, and no ORM objects are loaded or flushed.
# Everything between taking the pool's lock and the commit is what every other pledge waits
# for, so that stretch is one read and (on PostgreSQL) one write.

_pool = Pool.__table__
_offer = Offer.__table__
_tier = PriceTier.__table__
_pledge = Pledge.__table__
_change = PledgeChange.__table__
_day = PoolPledgeDay.__table__


def _value(name: str, type_):
    """A bound value; the prefix keeps its name apart from column names, which UPDATEs and INSERTs would take as
    values for those columns."""
    return bindparam(f"v_{name}", type_=type_)


def _values(**values) -> dict:
    return {f"v_{name}": value for name, value in values.items()}


_LOCK_FOR_PLEDGE = (
    select(
        _pool.c.status,
        _pool.c.deadline,
        _pool.c.capacity,
        _pool.c.pledged_quantity,
        _pool.c.pledged_flexible,
        _pool.c.member_count,
        _pool.c.delivery_charge_pence,
        func.coalesce(_pool.c.closing_list_price, _offer.c.list_price).label("list_price"),
        _offer.c.vat_rate,
        _tier.c.min_quantity,
        _tier.c.unit_price,
        _pledge.c.id.label("pledge_id"),
        _pledge.c.quantity,
        _pledge.c.flexible_extra,
        _pledge.c.created_at,
    )
    .select_from(
        _pool.join(_offer, _offer.c.id == _pool.c.offer_id)
        .outerjoin(_tier, _tier.c.offer_id == _offer.c.id)
        .outerjoin(_pledge, and_(_pledge.c.pool_id == _pool.c.id, _pledge.c.member_id == _value("member_id", Integer)))
    )
    .where(_pool.c.id == _value("pool_id", Integer))
    .order_by(_tier.c.min_quantity)
    .with_for_update(of=_pool)
)
_SQLITE_WRITER_LOCK = update(_pool).where(_pool.c.id == _value("pool_id", Integer)).values(id=_pool.c.id)

_CHANGE_VALUES = {
    "changed_by_id": _value("actor_id", Integer),
    "changed_at": _value("now", UTCDateTime),
    "old_quantity": _value("old_quantity", Integer),
    "new_quantity": _value("quantity", Integer),
    "old_flexible_extra": _value("old_flexible_extra", Integer),
    "new_flexible_extra": _value("flexible_extra", Integer),
}
_TOTALS = (
    update(_pool)
    .where(_pool.c.id == _value("pool_id", Integer))
    .values(
        pledged_quantity=_value("pledged_quantity", Integer),
        pledged_flexible=_value("pledged_flexible", Integer),
        member_count=_value("member_count", Integer),
    )
)
_NEW_PLEDGE = (
    insert(_pledge)
    .values(
        pool_id=_value("pool_id", Integer),
        member_id=_value("member_id", Integer),
        quantity=_value("quantity", Integer),
        flexible_extra=_value("flexible_extra", Integer),
        created_at=_value("now", UTCDateTime),
        updated_at=_value("now", UTCDateTime),
    )
    .returning(_pledge.c.id, _pledge.c.created_at)
)
_CHANGED_PLEDGE = (
    update(_pledge)
    .where(_pledge.c.id == _value("pledge_id", Integer))
    .values(
        quantity=_value("quantity", Integer),
        flexible_extra=_value("flexible_extra", Integer),
        updated_at=_value("now", UTCDateTime),
    )
)
_CHANGE = insert(_change).values(pledge_id=_value("pledge_id", Integer), **_CHANGE_VALUES)


def _day_upsert(dialect_insert):
    """Adds the change's units to the pool's day; a change that leaves the units as they were adds no row."""
    statement = dialect_insert(_day).from_select(
        ["pool_id", "day", "units_delta"],
        select(_value("pool_id", Integer), _value("day", Date), _value("units_delta", Integer)).where(
            _value("units_delta", Integer) != 0
        ),
    )
    return statement.on_conflict_do_update(
        index_elements=["pool_id", "day"], set_={"units_delta": _day.c.units_delta + statement.excluded.units_delta}
    )


_SQLITE_DAY = _day_upsert(sqlite.insert)


def _postgresql_writes():
    """The pledge, its history, the pool's totals and its day in one statement: one round trip under the lock.

    PostgreSQL runs every data-modifying WITH part exactly once, whether the main statement reads it or not.
    """
    new_pledge = _NEW_PLEDGE.cte("new_pledge")
    change_of_new = (
        insert(_change)
        .from_select(["pledge_id", *_CHANGE_VALUES], select(new_pledge.c.id, *_CHANGE_VALUES.values()))
        .cte("change")
    )
    totals, day = _TOTALS.cte("totals"), _day_upsert(postgresql.insert)
    new = select(new_pledge.c.id, new_pledge.c.created_at).add_cte(change_of_new, totals, day.cte("day"))
    changed = day.add_cte(_CHANGED_PLEDGE.cte("changed"), _CHANGE.cte("change"), totals)
    return new, changed


_POSTGRESQL_NEW, _POSTGRESQL_CHANGED = _postgresql_writes()


@dataclass(frozen=True)
class _Locked:
    """The pool and the member's pledge as read under the pool's lock."""

    pool_id: int
    member_id: int
    pledged_quantity: int
    pledged_flexible: int
    member_count: int
    capacity: int | None
    delivery_charge_pence: int
    list_price: Decimal
    vat_rate: VatRate
    tiers: list[pricing.Tier]
    pledge_id: int | None
    old_quantity: int
    old_flexible_extra: int
    created_at: datetime | None
    now: datetime


def _lock_for_pledge(pool_id: int, member_id: int) -> _Locked:
    """Takes the pool's row lock (see lock_pool) and reads, in one query, what a pledge needs:
    the pool's totals and terms, its current prices and the member's pledge; 409 unless it takes pledges.
    """
    db.session.flush()
    connection = db.session.connection()
    if connection.dialect.name == "sqlite":
        connection.execute(_SQLITE_WRITER_LOCK, _values(pool_id=pool_id))
    rows = connection.execute(_LOCK_FOR_PLEDGE, _values(pool_id=pool_id, member_id=member_id)).all()
    if not rows:
        raise NotFound("No such pool.")
    row, now = rows[0], utcnow()
    _check_pledgeable(row.status, row.deadline, now)
    return _Locked(
        pool_id=pool_id,
        member_id=member_id,
        pledged_quantity=row.pledged_quantity,
        pledged_flexible=row.pledged_flexible,
        member_count=row.member_count,
        capacity=row.capacity,
        delivery_charge_pence=row.delivery_charge_pence,
        list_price=row.list_price,
        vat_rate=row.vat_rate,
        tiers=[pricing.Tier(r.min_quantity, r.unit_price) for r in rows if r.min_quantity is not None],
        pledge_id=row.pledge_id,
        old_quantity=row.quantity or 0,
        old_flexible_extra=row.flexible_extra or 0,
        created_at=row.created_at,
        now=now,
    )


@dataclass(frozen=True)
class PledgeState:
    """A pledge as the pledge path left it, for the page or the API to show without loading it again."""

    id: int
    pool_id: int
    member: Member
    quantity: int
    flexible_extra: int
    created_at: datetime
    updated_at: datetime

    @property
    def member_id(self) -> int:
        return self.member.id

    @property
    def withdrawn(self) -> bool:
        return self.quantity == 0


@dataclass(frozen=True)
class PledgeMade:
    """What one pledge change did; the change itself is kept in the pledge's history.

    `estimate` is the member's cost at the pool's new total (None for a withdrawn pledge).
    """

    pledge: PledgeState
    old_quantity: int
    old_flexible_extra: int
    estimate: pricing.Estimate | None


def _write_pledge(locked: _Locked, actor: User, member: Member, quantity: int, flexible_extra: int) -> PledgeMade:
    """Writes the pledge, its history, the pool's totals and its day, then tells of a tier reached."""
    old_quantity, now = locked.old_quantity, locked.now
    totals = {
        "pledged_quantity": locked.pledged_quantity + quantity - old_quantity,
        "pledged_flexible": locked.pledged_flexible + flexible_extra - locked.old_flexible_extra,
        "member_count": locked.member_count + (quantity > 0) - (old_quantity > 0),
    }
    values = _values(
        **totals,
        pool_id=locked.pool_id,
        member_id=member.id,
        pledge_id=locked.pledge_id,
        actor_id=actor.id,
        now=now,
        quantity=quantity,
        flexible_extra=flexible_extra,
        old_quantity=old_quantity,
        old_flexible_extra=locked.old_flexible_extra,
        day=now.date(),
        units_delta=quantity - old_quantity,
    )
    connection = db.session.connection()
    pledge_id, created_at = locked.pledge_id, locked.created_at
    if connection.dialect.name == "postgresql":
        if pledge_id is None:
            pledge_id, created_at = connection.execute(_POSTGRESQL_NEW, values).one()
        else:
            connection.execute(_POSTGRESQL_CHANGED, values)
    else:
        if pledge_id is None:
            pledge_id, created_at = connection.execute(_NEW_PLEDGE, values).one()
        else:
            connection.execute(_CHANGED_PLEDGE, values)
        connection.execute(_CHANGE, values | _values(pledge_id=pledge_id))
        connection.execute(_TOTALS, values)
        connection.execute(_SQLITE_DAY, values)
    _refresh_loaded(locked.pool_id, pledge_id, totals, quantity, flexible_extra, now)
    _tell_of_tier(locked, totals["pledged_quantity"])
    estimate = (
        None
        if quantity == 0
        else pricing.estimated_cost(
            quantity,
            locked.tiers,
            locked.list_price,
            locked.vat_rate.percent,
            totals["pledged_quantity"],
            locked.delivery_charge_pence,
        )
    )
    state = PledgeState(pledge_id, locked.pool_id, member, quantity, flexible_extra, created_at, now)
    return PledgeMade(state, old_quantity, locked.old_flexible_extra, estimate)


def _refresh_loaded(
    pool_id: int, pledge_id: int, totals: dict, quantity: int, flexible_extra: int, now: datetime
) -> None:
    """Brings a pool or pledge this session already holds up to date with what was just written."""
    pool = db.session.identity_map.get(identity_key(Pool, pool_id))
    if pool is not None:
        for name, value in totals.items():
            set_committed_value(pool, name, value)
    loaded = db.session.identity_map.get(identity_key(Pledge, pledge_id))
    if loaded is not None:
        for name, value in (("quantity", quantity), ("flexible_extra", flexible_extra), ("updated_at", now)):
            set_committed_value(loaded, name, value)
        db.session.expire(loaded, ["changes"])


def _tell_of_tier(locked: _Locked, new_total: int) -> None:
    """The pool is loaded only when the pledge lifts it into a better tier, which is rare."""
    old_total = locked.pledged_quantity
    if new_total > old_total and pricing.tier_reached(locked.tiers, new_total) != pricing.tier_reached(
        locked.tiers, old_total
    ):
        notices.tier_reached(db.session.get(Pool, locked.pool_id), old_total, new_total)


# What the pool's demand earns


def pool_tiers(pool: Pool) -> list[pricing.Tier]:
    """The tiers the pool closed with, or the offer's current tiers while it is still open."""
    source = pool.offer.tiers if pool.status in (PoolStatus.DRAFT, PoolStatus.OPEN) else pool.frozen_tiers
    return [pricing.Tier(t.min_quantity, t.unit_price) for t in source]


def pool_list_price(pool: Pool) -> Decimal:
    """The list price the pool closed with, or the offer's current one while it is still open."""
    return pool.closing_list_price if pool.closing_list_price is not None else pool.offer.list_price


def freeze_tiers(pool: Pool) -> None:
    """Copies the offer's tiers and list price onto the pool, so later price changes never alter it."""
    if not pool.frozen_tiers:
        pool.frozen_tiers = [PoolTier(min_quantity=t.min_quantity, unit_price=t.unit_price) for t in pool.offer.tiers]
    if pool.closing_list_price is None:
        pool.closing_list_price = pool.offer.list_price


@dataclass
class PoolSummary:
    pool: Pool
    total_quantity: int
    member_count: int
    unit_price: Decimal
    list_price: Decimal
    tier: pricing.Tier | None
    next_tier: pricing.Tier | None
    saving_pence: int
    saving_percent: Decimal
    time_left: timedelta

    @property
    def units_to_next_tier(self) -> int | None:
        return self.next_tier.min_quantity - self.total_quantity if self.next_tier else None

    @property
    def minimum_reached(self) -> bool:
        return self.total_quantity >= self.pool.minimum_quantity

    @property
    def minimum_progress_percent(self) -> int:
        return min(100, self.total_quantity * 100 // self.pool.minimum_quantity)

    @property
    def capacity_left(self) -> int | None:
        return None if self.pool.capacity is None else self.pool.capacity - self.total_quantity


def summarise(pool: Pool, now: datetime | None = None) -> PoolSummary:
    tiers = pool_tiers(pool)
    total = pool.pledged_quantity
    list_price = pool_list_price(pool)
    price = pricing.unit_price(tiers, total, list_price)
    saved, percent = pricing.saving(list_price, price, total)
    return PoolSummary(
        pool=pool,
        total_quantity=total,
        member_count=pool.member_count,
        unit_price=price,
        list_price=list_price,
        tier=pricing.tier_reached(tiers, total),
        next_tier=pricing.next_tier(tiers, total, list_price),
        saving_pence=saved,
        saving_percent=percent,
        time_left=max(pool.deadline - (now or utcnow()), timedelta(0)),
    )


def estimate(pool: Pool, quantity: int, current_quantity: int = 0) -> pricing.Estimate:
    """A member's estimated cost if they pledge `quantity` instead of `current_quantity`."""
    pool_quantity = pool.pledged_quantity - current_quantity + quantity
    return pricing.estimated_cost(
        quantity,
        pool_tiers(pool),
        pool_list_price(pool),
        pool.offer.vat_rate.percent,
        pool_quantity,
        pool.delivery_charge_pence,
    )


def member_pledges(pool: Pool, members: list[Member]) -> dict[int, Pledge]:
    if not members:
        return {}
    pledges = db.session.scalars(
        select(Pledge).where(Pledge.pool_id == pool.id, Pledge.member_id.in_([m.id for m in members]))
    )
    return {p.member_id: p for p in pledges}


def pledged_pool_ids(member_ids: set[int], pool_ids: list[int]) -> set[int]:
    if not member_ids or not pool_ids:
        return set()
    return set(
        db.session.scalars(
            select(Pledge.pool_id).where(
                Pledge.member_id.in_(member_ids), Pledge.pool_id.in_(pool_ids), Pledge.quantity > 0
            )
        )
    )


def _id_like(text: str) -> bool:
    """ASCII digits that fit an id: "²" passes isdigit() but not int(), and 20 digits overflow the column."""
    return text.isascii() and text.isdigit() and len(text) <= 9


def filter_pools(
    query: Select, status: PoolStatus | None = None, category: str | None = None, sort: str = "deadline"
) -> Select:
    if status is not None:
        query = query.where(Pool.status == status)
    if category:
        query = (
            query.join(Offer, Pool.offer_id == Offer.id)
            .join(Category, Offer.category_id == Category.id)
            .where(or_(Category.slug == category, Category.id == (int(category) if _id_like(category) else -1)))
        )
    order = {"deadline": (Pool.deadline, Pool.id), "newest": (Pool.created_at.desc(), Pool.id.desc())}
    return query.options(selectinload(Pool.consortia)).order_by(*order.get(sort, order["deadline"]))


def my_pledges(user: User) -> Select:
    return (
        select(Pledge)
        .where(Pledge.member_id.in_(user.member_ids or {-1}))
        .options(selectinload(Pledge.changes), joinedload(Pledge.pool), joinedload(Pledge.member))
        .order_by(Pledge.updated_at.desc(), Pledge.id.desc())
    )
