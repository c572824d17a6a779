"""How the pledge path talks to the database: the pool's lock, the read under it, the writes.

`orders.services.pledge` and `withdraw_pledge` tell the story of a pledge; this module does
their database steps, and does them fast. Every pledge into a pool takes the pool's row lock
(that is how capacity holds and the pool's running totals stay exact), so each pledge waits
for the one before it to commit, and what happens between taking the lock and the commit sets
how many pledges a pool takes a second. That stretch is the lock, one read and, on PostgreSQL, one write:

- The statements are built once, here, from tables rather than models. SQLAlchemy caches the
  compiled form of a statement by its structure, so a pledge only binds its values; and run
  on the session's connection, they load no ORM objects and leave the unit of work nothing
  to flush.
- On PostgreSQL the pledge, its history row, the pool's totals and the pool's day go in one
  statement of data-modifying CTEs, one round trip. SQLite has no writable CTEs, so there
  they are four statements against a local file.
"""

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    BindParameter,
    Connection,
    Date,
    Integer,
    Row,
    and_,
    bindparam,
    delete,
    event,
    func,
    insert,
    or_,
    select,
    true,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import get_history, set_committed_value
from sqlalchemy.orm.util import identity_key
from sqlalchemy.types import TypeEngine

from catalogue import pricing
from catalogue.models import Offer, VatRate
from kernel.clock import uk_date
from kernel.errors import NotFound
from kernel.extensions import UTCDateTime, db
from orders.models import (
    Pledge,
    PledgeChange,
    Pool,
    PoolBandTotal,
    PoolPledgeDay,
    PoolStatus,
    PoolTier,
    pool_consortium,
)
from organisations.models import Consortium, Member, Network, Organisation, TurnoverBand


@dataclass(frozen=True, slots=True)
class Units:
    """A member's pledge in units: what they commit to, and the flexible extra they accept to fill packs."""

    quantity: int
    flexible_extra: int


NO_UNITS = Units(0, 0)


@dataclass(frozen=True, slots=True)
class ExistingPledge:
    """A member's pledge as it stood before this change; a withdrawn one stays, with no units."""

    id: int
    created_at: datetime
    units: Units


@dataclass(frozen=True, slots=True)
class Totals:
    """The pool's running totals. Kept under its lock, so no page and no pledge sums pledges."""

    pledged_quantity: int
    pledged_flexible: int
    member_count: int

    def after(self, old: Units, new: Units) -> "Totals":
        """The totals once one member's pledge goes from `old` to `new`; a member counts while pledging any units."""
        return Totals(
            pledged_quantity=self.pledged_quantity + new.quantity - old.quantity,
            pledged_flexible=self.pledged_flexible + new.flexible_extra - old.flexible_extra,
            member_count=self.member_count + (new.quantity > 0) - (old.quantity > 0),
        )


@dataclass(frozen=True, slots=True)
class ConsortiumTerms:
    """What the member's consortium bills its members on: its handling fee, and VAT only when registered."""

    id: int
    name: str
    handling_fee_percent: Decimal
    vat_registered: bool


@dataclass(frozen=True, slots=True)
class PledgingMember:
    """The member a pledge is for, as the locked read finds it: enough to name it and count its units."""

    id: int
    name: str
    turnover_band: TurnoverBand


@dataclass(frozen=True)
class LockedPool:
    """The pool and one member's pledge in it, as read under the pool's lock.

    Everything a pledge decides on: whether the pool takes pledges, its capacity and totals,
    the prices it holds (for the estimate and the tier notice), what the member's consortium
    bills on (for the estimate) and the member's pledge so far (None when they never pledged).
    """

    pool_id: int
    member: PledgingMember
    status: PoolStatus
    deadline: datetime
    capacity: int | None
    delivery_charge_pence: int
    solidarity_rate_percent: Decimal
    is_national: bool
    offer_name: str
    list_price: Decimal
    vat_rate: VatRate
    tiers: list[pricing.Tier]
    totals: Totals
    pledge: ExistingPledge | None
    consortium: ConsortiumTerms

    @property
    def member_id(self) -> int:
        return self.member.id

    @property
    def band(self) -> TurnoverBand:
        """The member's, under which its units are counted in the pool's band totals."""
        return self.member.turnover_band

    @property
    def current(self) -> Units:
        """The member's units before this change: none if they never pledged or withdrew."""
        return NO_UNITS if self.pledge is None else self.pledge.units

    @property
    def pledged_by_others(self) -> int:
        return self.totals.pledged_quantity - self.current.quantity


# The statements, built once. Bound values are named `v_...`: an INSERT or UPDATE would take a
# value named like one of its columns as the value for that column.


def _value(name: str, type_: TypeEngine[Any] | type[TypeEngine[Any]]) -> BindParameter[Any]:
    return bindparam(f"v_{name}", type_=type_)


def _values(**values: object) -> dict[str, object]:
    return {f"v_{name}": value for name, value in values.items()}


_pool = Pool.__table__
_offer = Offer.__table__
_tier = PoolTier.__table__
_member = Member.__table__
_network = Network.__table__
_consortium = Consortium.__table__
_organisation = Organisation.__table__
_pledge = Pledge.__table__
_change = PledgeChange.__table__
_day = PoolPledgeDay.__table__
_band = PoolBandTotal.__table__

# The pool's lock is taken by a statement of its own, so the read under it is the next statement, whose snapshot
# (READ COMMITTED takes one per statement) holds everything the lock's last holder committed. A SELECT that waits
# for the lock re-reads only the locked row once it has it: had the read taken the lock, a member's pledge changed
# by another of its users while this one waited would be read as it was before, and the pool's totals would drift.
_POSTGRESQL_LOCK = select(_pool.c.id).where(_pool.c.id == _value("pool_id", Integer)).with_for_update()
# SQLite has no row locks: a no-op UPDATE of the pool makes the transaction the database's one
# writer, and SQLite lets one writer in at a time, so every read after it is current.
_SQLITE_WRITER_LOCK = update(_pool).where(_pool.c.id == _value("pool_id", Integer)).values(id=_pool.c.id)

# Who may pledge for whom: active members among the candidates whose network is in one of the pool's
# consortia, with what their consortium bills on.
_member_organisation = _organisation.alias("member_organisation")
_MEMBERS_OF_THE_POOL = (
    _member.join(_member_organisation, _member_organisation.c.id == _member.c.organisation_id)
    .join(_network, _network.c.id == _member.c.network_id)
    .join(pool_consortium, pool_consortium.c.consortium_id == _network.c.consortium_id)
    .join(_consortium, _consortium.c.id == _network.c.consortium_id)
    .join(_organisation, _organisation.c.id == _consortium.c.organisation_id)
)

# The pool's terms, totals and the prices it holds, with each candidate member that may pledge into it and its
# pledge: one row per member and price tier (a pool without tiers, or without such a member, gives one row each).
# Only an open pool takes pledges, and every pool that opened holds its prices (orders.prices).
_LOCKED_READ = (
    select(
        _pool.c.status,
        _pool.c.deadline,
        _pool.c.capacity,
        _pool.c.pledged_quantity,
        _pool.c.pledged_flexible,
        _pool.c.member_count,
        _pool.c.delivery_charge_pence,
        _pool.c.solidarity_rate_percent,
        _pool.c.is_national,
        _offer.c.name.label("offer_name"),
        func.coalesce(_pool.c.held_list_price, _offer.c.list_price).label("list_price"),
        _offer.c.vat_rate,
        _tier.c.min_quantity,
        _tier.c.unit_price,
        _member.c.id.label("member_id"),
        _member_organisation.c.legal_name.label("member_name"),
        _member.c.turnover_band,
        _pledge.c.id.label("pledge_id"),
        _pledge.c.quantity,
        _pledge.c.flexible_extra,
        _pledge.c.created_at,
        _consortium.c.id.label("consortium_id"),
        _consortium.c.name.label("consortium_name"),
        _consortium.c.handling_fee_percent,
        _organisation.c.vat_number,
    )
    .select_from(
        _pool.join(_offer, _offer.c.id == _pool.c.offer_id)
        .outerjoin(_tier, _tier.c.pool_id == _pool.c.id)
        .outerjoin(
            _MEMBERS_OF_THE_POOL,
            and_(
                pool_consortium.c.pool_id == _pool.c.id,
                _member.c.active,
                _member.c.id.in_(bindparam("v_member_ids", expanding=True)),
            ),
        )
        .outerjoin(_pledge, and_(_pledge.c.pool_id == _pool.c.id, _pledge.c.member_id == _member.c.id))
    )
    .where(_pool.c.id == _value("pool_id", Integer))
    .order_by(_member.c.id, _tier.c.min_quantity)
)

# The rest of the pool, for a member's estimate: the other members' units per consortium and turnover band,
# the pool's kept band totals less the member's own pledge where it is counted. A few rows, however many pledges.
_own_units = (
    select(_pledge.c.quantity)
    .select_from(
        _pledge.join(_member, _member.c.id == _pledge.c.member_id).join(_network, _network.c.id == _member.c.network_id)
    )
    .where(
        _pledge.c.pool_id == _band.c.pool_id,
        _pledge.c.member_id == _value("member_id", Integer),
        _network.c.consortium_id == _band.c.consortium_id,
        _member.c.turnover_band == _band.c.turnover_band,
    )
    .scalar_subquery()
)
_others_units = _band.c.quantity - func.coalesce(_own_units, 0)
_OTHERS_BY_BAND = (
    select(_band.c.consortium_id, _band.c.turnover_band, _others_units)
    .where(_band.c.pool_id == _value("pool_id", Integer), _others_units > 0)
    .order_by(_band.c.consortium_id, _band.c.turnover_band)
)

# Every pledge of the pools counted again, for the pools whose members moved band or network (rare: an admin's edit).
_COUNTED_AGAIN = (
    select(_pledge.c.pool_id, _network.c.consortium_id, _member.c.turnover_band, func.sum(_pledge.c.quantity))
    .select_from(
        _pledge.join(_member, _member.c.id == _pledge.c.member_id).join(_network, _network.c.id == _member.c.network_id)
    )
    .where(_pledge.c.pool_id.in_(bindparam("pool_ids", expanding=True)), _pledge.c.quantity > 0)
    .group_by(_pledge.c.pool_id, _network.c.consortium_id, _member.c.turnover_band)
)

_INSERT_PLEDGE = (
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
_UPDATE_PLEDGE = (
    update(_pledge)
    .where(_pledge.c.id == _value("pledge_id", Integer))
    .values(
        quantity=_value("quantity", Integer),
        flexible_extra=_value("flexible_extra", Integer),
        updated_at=_value("now", UTCDateTime),
    )
)
_CHANGE_VALUES = {
    "changed_by_id": _value("actor_id", Integer),
    "changed_at": _value("now", UTCDateTime),
    "old_quantity": _value("old_quantity", Integer),
    "new_quantity": _value("quantity", Integer),
    "old_flexible_extra": _value("old_flexible_extra", Integer),
    "new_flexible_extra": _value("flexible_extra", Integer),
}
_INSERT_CHANGE = insert(_change).values(pledge_id=_value("pledge_id", Integer), **_CHANGE_VALUES)
_UPDATE_TOTALS = (
    update(_pool)
    .where(_pool.c.id == _value("pool_id", Integer))
    .values(
        pledged_quantity=_value("pledged_quantity", Integer),
        pledged_flexible=_value("pledged_flexible", Integer),
        member_count=_value("member_count", Integer),
    )
)


def _add_to_day(dialect_insert: Callable[[Any], Any]) -> Any:
    """Adds the change's units to the pool's day (for the demand chart); a change that leaves the
    units as they were adds no row."""
    statement = dialect_insert(_day).from_select(
        ["pool_id", "day", "units_delta"],
        select(_value("pool_id", Integer), _value("day", Date), _value("units_delta", Integer)).where(
            _value("units_delta", Integer) != 0
        ),
    )
    return statement.on_conflict_do_update(
        index_elements=["pool_id", "day"], set_={"units_delta": _day.c.units_delta + statement.excluded.units_delta}
    )


_SQLITE_ADD_TO_DAY = _add_to_day(sqlite.insert)


def _add_to_band(dialect_insert: Callable[[Any], Any]) -> Any:
    """Adds the change's units to the pool's total for the member's consortium and band."""
    statement = dialect_insert(_band).from_select(
        ["pool_id", "consortium_id", "turnover_band", "quantity"],
        select(
            _value("pool_id", Integer),
            _value("consortium_id", Integer),
            _value("band", _band.c.turnover_band.type),
            _value("units_delta", Integer),
        ).where(_value("units_delta", Integer) != 0),
    )
    return statement.on_conflict_do_update(
        index_elements=["pool_id", "consortium_id", "turnover_band"],
        set_={"quantity": _band.c.quantity + statement.excluded.quantity},
    )


_SQLITE_ADD_TO_BAND = _add_to_band(sqlite.insert)


def _postgresql_writes() -> tuple[Any, Any]:
    """All five writes as one statement, for a new pledge and for a changed one, which also reads
    the other members' units by band for the estimate: one round trip under the pool's lock.

    PostgreSQL runs every data-modifying WITH part exactly once, whether the main statement
    reads it or not. A new pledge's history row reads the pledge's id from its CTE. The main
    SELECT sees the tables as they were before the statement's writes, so the band totals and
    the member's own pledge are both the old ones, and their difference is the others' units.
    """
    new_pledge = _INSERT_PLEDGE.cte("new_pledge")
    change_of_new = (
        insert(_change)
        .from_select(["pledge_id", *_CHANGE_VALUES], select(new_pledge.c.id, *_CHANGE_VALUES.values()))
        .cte("change")
    )
    totals, day = _UPDATE_TOTALS.cte("totals"), _add_to_day(postgresql.insert).cte("day")
    band = _add_to_band(postgresql.insert).cte("band")
    others = _OTHERS_BY_BAND.subquery("others")
    order = (others.c.consortium_id, others.c.turnover_band)
    new = (
        select(new_pledge.c.id, new_pledge.c.created_at, *others.c)
        .select_from(new_pledge.outerjoin(others, true()))
        .add_cte(change_of_new, totals, day, band)
        .order_by(*order)
    )
    changed = (
        select(*others.c)
        .add_cte(_UPDATE_PLEDGE.cte("changed"), _INSERT_CHANGE.cte("change"), totals, day, band)
        .order_by(*order)
    )
    return new, changed


_POSTGRESQL_WRITE_NEW, _POSTGRESQL_WRITE_CHANGED = _postgresql_writes()


# The steps


def take_sqlite_writer_lock(connection: Connection, pool_id: int) -> None:
    """On SQLite, what stands for the pool's row lock (see _SQLITE_WRITER_LOCK); PostgreSQL locks with FOR UPDATE."""
    connection.execute(_SQLITE_WRITER_LOCK, _values(pool_id=pool_id))


def lock_and_read(pool_id: int, candidate_ids: list[int]) -> list[LockedPool]:
    """Takes the pool's row lock until the transaction ends, and reads under it, in the next query,
    what a pledge decides on, once for each candidate who may pledge into the pool (by id; none
    for no such candidate); 404 for no such pool.

    The session is flushed first: these statements bypass its autoflush, and a change it still
    holds (a pool's deadline moved in this transaction) must be in the database before the read.
    """
    db.session.flush()
    connection = db.session.connection()
    if connection.dialect.name == "sqlite":
        take_sqlite_writer_lock(connection, pool_id)
    else:
        connection.execute(_POSTGRESQL_LOCK, _values(pool_id=pool_id))
    rows = connection.execute(_LOCKED_READ, _values(pool_id=pool_id, member_ids=candidate_ids or [-1])).all()
    if not rows:
        raise NotFound("No such pool.")
    by_member: dict[int, list[Row[*tuple[Any, ...]]]] = {}
    for row in rows:
        if row.member_id is not None:
            by_member.setdefault(row.member_id, []).append(row)
    return [_locked_pool(pool_id, member_rows) for member_rows in by_member.values()]


def _locked_pool(pool_id: int, rows: Sequence[Row[*tuple[Any, ...]]]) -> LockedPool:
    """The read's rows repeat the pool, the member and its pledge once per price tier; a pool without tiers gives
    one row."""
    row = rows[0]
    return LockedPool(
        pool_id=pool_id,
        member=PledgingMember(row.member_id, row.member_name, row.turnover_band),
        status=row.status,
        deadline=row.deadline,
        capacity=row.capacity,
        delivery_charge_pence=row.delivery_charge_pence,
        solidarity_rate_percent=row.solidarity_rate_percent,
        is_national=row.is_national,
        offer_name=row.offer_name,
        list_price=row.list_price,
        vat_rate=row.vat_rate,
        tiers=[pricing.Tier(r.min_quantity, r.unit_price) for r in rows if r.min_quantity is not None],
        totals=Totals(row.pledged_quantity, row.pledged_flexible, row.member_count),
        pledge=None
        if row.pledge_id is None
        else ExistingPledge(row.pledge_id, row.created_at, Units(row.quantity, row.flexible_extra)),
        consortium=ConsortiumTerms(
            row.consortium_id, row.consortium_name, row.handling_fee_percent, bool(row.vat_number)
        ),
    )


def others_by_band(pool_id: int, member_id: int) -> list[tuple[int, TurnoverBand, int]]:
    """The other members' pledged units in the pool, per consortium and turnover band: (consortium id, band, units)."""
    return _by_band(db.session.connection().execute(_OTHERS_BY_BAND, _values(pool_id=pool_id, member_id=member_id)))


def count_band_totals_again(connection: Connection, pool_ids: Sequence[int]) -> None:
    """The band totals of these pools counted again from their pledges, under the pools' locks (in id order, as
    every writer takes them), so no pledge writes between the count and its totals."""
    if not pool_ids:
        return
    ids = sorted(set(pool_ids))
    if connection.dialect.name == "sqlite":
        for pool_id in ids:
            take_sqlite_writer_lock(connection, pool_id)
    else:
        connection.execute(select(_pool.c.id).where(_pool.c.id.in_(ids)).order_by(_pool.c.id).with_for_update())
    connection.execute(delete(_band).where(_band.c.pool_id.in_(ids)))
    rows = connection.execute(_COUNTED_AGAIN, {"pool_ids": ids}).all()
    if rows:
        connection.execute(
            insert(_band),
            [{"pool_id": p, "consortium_id": c, "turnover_band": b, "quantity": int(q)} for p, c, b, q in rows],
        )


@dataclass(frozen=True)
class Written:
    """What a pledge's writes give back: the pledge's id, when it was first made, and the other members'
    units per consortium and band (what others_by_band reads)."""

    pledge_id: int
    created_at: datetime
    others_by_band: list[tuple[int, TurnoverBand, int]]


def write_change(
    locked: LockedPool, new: Units, totals: Totals, actor_id: int, now: datetime, *, others_wanted: bool
) -> Written:
    """Writes the member's pledge (a new row or the changed one), its history row, the pool's new
    totals, the units on the pool's day and band; returns what the estimate needs besides (the
    others' units by band only when `others_wanted`: PostgreSQL reads them in the same statement)."""
    values = _values(
        pool_id=locked.pool_id,
        member_id=locked.member_id,
        pledge_id=None if locked.pledge is None else locked.pledge.id,
        actor_id=actor_id,
        now=now,
        quantity=new.quantity,
        flexible_extra=new.flexible_extra,
        old_quantity=locked.current.quantity,
        old_flexible_extra=locked.current.flexible_extra,
        pledged_quantity=totals.pledged_quantity,
        pledged_flexible=totals.pledged_flexible,
        member_count=totals.member_count,
        day=uk_date(now),
        units_delta=new.quantity - locked.current.quantity,
        consortium_id=locked.consortium.id,
        band=locked.band,
    )
    connection = db.session.connection()
    if connection.dialect.name == "postgresql":
        written = _write_in_one_statement(connection, locked.pledge, values)
    else:
        written = _write_one_by_one(connection, locked.pledge, values, others_wanted)
    return written if others_wanted else replace(written, others_by_band=[])


def _write_in_one_statement(
    connection: Connection, existing: ExistingPledge | None, values: dict[str, object]
) -> Written:
    if existing is None:
        rows = connection.execute(_POSTGRESQL_WRITE_NEW, values).all()
        return Written(rows[0].id, rows[0].created_at, _by_band(row[2:] for row in rows if row[2] is not None))
    rows = connection.execute(_POSTGRESQL_WRITE_CHANGED, values).all()
    return Written(existing.id, existing.created_at, _by_band(rows))


def _write_one_by_one(
    connection: Connection, existing: ExistingPledge | None, values: dict[str, object], others_wanted: bool
) -> Written:
    if existing is None:
        pledge_id, created_at = connection.execute(_INSERT_PLEDGE, values).one()
    else:
        pledge_id, created_at = existing.id, existing.created_at
        connection.execute(_UPDATE_PLEDGE, values)
    connection.execute(_INSERT_CHANGE, values | _values(pledge_id=pledge_id))
    connection.execute(_UPDATE_TOTALS, values)
    connection.execute(_SQLITE_ADD_TO_DAY, values)
    connection.execute(_SQLITE_ADD_TO_BAND, values)
    others = _by_band(connection.execute(_OTHERS_BY_BAND, values)) if others_wanted else []
    return Written(pledge_id, created_at, others)


def _by_band(rows: Iterable[Sequence[Any]]) -> list[tuple[int, TurnoverBand, int]]:
    return [(consortium_id, band, int(units)) for consortium_id, band, units in rows]


def update_loaded_copies(pool_id: int, pledge_id: int, totals: Totals, new: Units, now: datetime) -> None:
    """Brings a pool or pledge this session already holds up to date with what was just written,
    which the session cannot see, as it went past the ORM. Nothing is loaded."""
    pool = db.session.identity_map.get(identity_key(Pool, pool_id))
    if pool is not None:
        set_committed_value(pool, "pledged_quantity", totals.pledged_quantity)
        set_committed_value(pool, "pledged_flexible", totals.pledged_flexible)
        set_committed_value(pool, "member_count", totals.member_count)
    pledge = db.session.identity_map.get(identity_key(Pledge, pledge_id))
    if pledge is not None:
        set_committed_value(pledge, "quantity", new.quantity)
        set_committed_value(pledge, "flexible_extra", new.flexible_extra)
        set_committed_value(pledge, "updated_at", now)
        db.session.expire(pledge, ["changes"])


def _moved(session: Session) -> tuple[set[int], set[int]]:
    """The members whose band or network, and the networks whose consortium, this flush changes."""
    members, networks = set(), set()
    for changed in session.dirty:
        if isinstance(changed, Member) and any(
            get_history(changed, name).has_changes() for name in ("turnover_band", "network_id", "network")
        ):
            members.add(changed.id)
        elif isinstance(changed, Network) and any(
            get_history(changed, name).has_changes() for name in ("consortium_id", "consortium")
        ):
            networks.add(changed.id)
    return members, networks


@event.listens_for(Session, "after_flush")
def _count_moved_members_again(session: Session, _context: Any) -> None:
    """A member that changes band or network takes its pledged units to its new band total in every pool it
    pledged to, in the same transaction as the change, whichever page, import or API made it."""
    members, networks = _moved(session)
    if not members and not networks:
        return
    moved = select(_member.c.id).where(or_(_member.c.id.in_(members), _member.c.network_id.in_(networks)))
    connection = session.connection()
    pool_ids = connection.scalars(select(_pledge.c.pool_id).where(_pledge.c.member_id.in_(moved)).distinct()).all()
    count_band_totals_again(connection, pool_ids)
