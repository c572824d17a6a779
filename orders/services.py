"""Pools and pledges: opening, cancelling, pledging, and what a pool's demand earns.

The pledge path locks the pool row, so capacity holds and no pledge is lost when many
members pledge at once; the pool's running totals are kept under that lock too, which
keeps pool pages and the pledge path free of aggregate queries.
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from functools import cached_property
from typing import Any

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import joinedload, lazyload, selectinload

from catalogue import pricing
from catalogue.models import Category, Offer
from kernel.clock import utcnow
from kernel.errors import Conflict, NotFound, ValidationFailed
from kernel.extensions import db
from kernel.formatting import pounds
from kernel.money import line_pence
from orders import notices, pledging
from orders.cost_shares import MemberUnits
from orders.invoice_plan import MemberBill, OrderTerms, estimated_bill
from orders.models import POOLS, Pledge, Pool, PoolPledgeDay, PoolStatus
from orders.prices import hold_prices, pool_list_price, pool_tiers
from organisations.models import Consortium, Member, Organisation, TurnoverBand, User
from pools.services import can_run, members_for, require_runner, take_writer_lock

MAX_QUANTITY = 10_000_000
MAX_DELIVERY_CHARGE_PENCE = 100_000_000
MAX_SOLIDARITY_PERCENT = Decimal(25)
# What one pool's goods may come to at list price: with delivery, fees and VAT on top, every
# order and invoice total still fits the 32-bit integer pence columns.
MAX_POOL_VALUE_PENCE = 1_500_000_000


# Who sees what: the rules every kind of pool shares (pools.services)


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
    return POOLS.draft(
        actor,
        offer,
        consortia,
        terms.note,
        lambda: _validate_terms(terms, offer),
        deadline=terms.deadline,
        minimum_quantity=terms.minimum_quantity or offer.minimum_order_quantity,
        capacity=terms.capacity,
        delivery_charge_pence=terms.delivery_charge_pence,
        solidarity_rate_percent=_solidarity_rate(terms.solidarity_rate_percent),
    )


def edit_draft(actor: User, pool_id: int, terms: PoolTerms) -> Pool:
    """A draft's terms changed before it opens; 409 once it has opened, since members pledge on its terms.

    Under the pool's lock, so an edit racing the opening either lands before it or is refused.
    """
    require_visible(actor, pool_id)
    pool = lock_pool(pool_id)
    require_manager(actor, pool)
    if pool.status is not PoolStatus.DRAFT:
        raise Conflict(DRAFT_ONLY.format(status=pool.status.value))
    _validate_terms(terms, pool.offer)
    pool.deadline = terms.deadline
    pool.minimum_quantity = terms.minimum_quantity or pool.offer.minimum_order_quantity
    pool.capacity = terms.capacity
    pool.delivery_charge_pence = terms.delivery_charge_pence
    pool.note = (terms.note or "").strip() or None
    pool.solidarity_rate_percent = _solidarity_rate(terms.solidarity_rate_percent) or Decimal(0)
    db.session.flush()
    return pool


DRAFT_ONLY = (
    "This pool is {status}: its terms were fixed when it opened, as members pledge on them. Only a draft can be edited."
)


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
    pool = POOLS.open(actor, pool, late, opening=hold_prices)
    notices.pool_opened(pool)
    return pool


def cancel_pool(actor: User, pool: Pool, reason: str) -> Pool:
    pool = POOLS.cancel(actor, pool, reason)
    notices.pool_cancelled(pool)
    return pool


# Pledging: the pool's lock and the checks the pages share with the pledge path


def lock_pool(pool_id: int) -> Pool:
    """Takes the pool's row lock until the transaction ends and loads it with its prices.

    PostgreSQL: SELECT ... FOR UPDATE; SQLite: `take_writer_lock` first. Rows of other tables that the lock's
    holders change (pledges) are read by the statements after this one, which see what the last holder committed.
    """
    take_writer_lock(POOLS.table, pool_id)
    pool = (
        db.session.scalars(
            select(Pool)
            .where(Pool.id == pool_id)
            .with_for_update(of=Pool)
            .options(
                joinedload(Pool.offer).options(
                    lazyload(Offer.supplier), lazyload(Offer.category), lazyload(Offer.tiers)
                ),
                selectinload(Pool.held_tiers),
            )
            .execution_options(populate_existing=True)
        )
        .unique()
        .one_or_none()
    )
    if pool is None:
        raise NotFound("No such pool.")
    return pool


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


def validate_quantities(quantity: Any, flexible_extra: Any) -> tuple[int, int]:
    """The pledge's units as whole numbers in range (a missing flexible extra is none); 422 with each field's error."""
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


# Making, changing and withdrawing a pledge. The database steps are in orders.pledging, which
# says why they are shaped as they are: every pledge into a pool waits for the pool's lock.


def pledge(
    actor: User, pool_id: int, quantity: int, flexible_extra: int = 0, member_id: int | None = None
) -> "PledgeMade":
    """The member pledges `quantity` units into the pool and accepts `flexible_extra` more to fill
    packs: a first pledge, or a change to the one they have, which shows only under the pool's lock.

    What needs no lock is checked before it is taken, so a refused pledge never holds up the others.
    """
    new = pledging.Units(*validate_quantities(quantity, flexible_extra))
    locked, now = _lock_open_pool(actor, pool_id, member_id)
    _check_room(locked, new.quantity)
    return _record_change(actor, locked, new, now)


def withdraw_pledge(actor: User, pool_id: int, member_id: int | None = None) -> "PledgeMade":
    """The member takes their pledge down to nothing; the pledge row stays, and with it its history."""
    locked, now = _lock_open_pool(actor, pool_id, member_id)
    if locked.current.quantity == 0:
        raise NotFound(f"{locked.member.name} has no pledge in this pool.")
    return _record_change(actor, locked, pledging.NO_UNITS, now)


@dataclass(frozen=True)
class PledgeState:
    """A pledge as the pledge path left it, for the page or the API to show without loading it again."""

    id: int
    pool_id: int
    member: pledging.PledgingMember
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

    Carries what was read and written under the pool's lock, so the estimate is worked out only when asked
    for: a view that commits first lets the next pledge into the pool while it works the estimate out.
    """

    pledge: PledgeState
    old_quantity: int
    old_flexible_extra: int
    read: pledging.LockedPool
    pool_total: int
    others_by_band: list[tuple[int, TurnoverBand, int]]

    @cached_property
    def estimate(self) -> MemberBill | None:
        """The member's bill at the pool's new total; None for a withdrawn pledge."""
        return _estimate(self.read, self.pledge.quantity, self.pool_total, self.others_by_band)


# The pledge's steps, in the order they run


def _lock_open_pool(actor: User, pool_id: int, member_id: int | None) -> tuple[pledging.LockedPool, datetime]:
    """Locks the pool and reads it with the pledge of the member the actor pledges for; 404 if the pool
    is not theirs to see, 422 if the member is not clear, 409 unless the pool takes pledges now. Returns
    what was read and the time of the change.

    Without `member_id` the actor must act for exactly one member of the pool's consortia; an admin may
    name any member. A pledge that may go ahead costs the lock and one read; the reasons for refusing one are
    worked out only when it is refused. The lock makes concurrent pledges take turns, so capacity holds
    and the pool's running totals stay exact, and it orders each pledge against a close. The clock is
    read once the lock is held, so a pledge that waited for it past the deadline is refused.
    """
    if member_id is None:
        candidates = actor.member_ids
    elif actor.is_admin or member_id in actor.member_ids:
        candidates = {member_id}
    else:
        candidates = set()
    found = pledging.lock_and_read(pool_id, sorted(candidates))
    if len(found) != 1:
        require_visible(actor, pool_id)
        if found:
            raise ValidationFailed.field("member_id", "You act for several members of this pool: say which one.")
        if member_id is not None:
            raise ValidationFailed.field("member_id", "You cannot pledge for that member in this pool.")
        raise ValidationFailed.field("member_id", "You act for no member of this pool's consortia.")
    locked = found[0]
    now = utcnow()
    _check_pledgeable(locked.status, locked.deadline, now)
    return locked, now


def _check_room(locked: pledging.LockedPool, quantity: int) -> None:
    """422 if the pledge would take the pool past its capacity or past what one pool may order.
    The member's own units so far are theirs to reuse: raising a pledge needs room for the rise."""
    _room(locked.capacity, locked.pledged_by_others, quantity, locked.list_price)


def check_room(pool: Pool, quantity: int, current_quantity: int) -> None:
    """The pledge's capacity check at the estimate step, before the member is asked to confirm; the
    pledge itself checks again under the pool's lock."""
    _room(pool.capacity, pool.pledged_quantity - current_quantity, quantity, pool_list_price(pool))


def _room(capacity: int | None, others: int, quantity: int, list_price: Decimal) -> None:
    if capacity is not None and quantity > capacity - others:
        raise ValidationFailed.field("quantity", f"Only {capacity - others:,} units are left in this pool's capacity.")
    if line_pence(others + quantity, list_price) > MAX_POOL_VALUE_PENCE:
        raise ValidationFailed.field(
            "quantity",
            f"This would take the pool past {pounds(MAX_POOL_VALUE_PENCE)} at "
            "list price, the most one pool can order; please pledge less.",
        )


def _record_change(actor: User, locked: pledging.LockedPool, new: pledging.Units, now: datetime) -> PledgeMade:
    """Writes the change under the lock (the pledge, its history row, the pool's new totals and
    its day), queues the tier notice, and says what it did without reading anything back."""
    totals = locked.totals.after(locked.current, new)
    grouped = locked.is_national or bool(locked.solidarity_rate_percent)
    written = pledging.write_change(locked, new, totals, actor.id, now, others_wanted=grouped and new.quantity > 0)
    pledging.update_loaded_copies(locked.pool_id, written.pledge_id, totals, new, now)
    _queue_tier_notice(locked, totals.pledged_quantity)
    state = PledgeState(
        written.pledge_id, locked.pool_id, locked.member, new.quantity, new.flexible_extra, written.created_at, now
    )
    old = locked.current
    return PledgeMade(state, old.quantity, old.flexible_extra, locked, totals.pledged_quantity, written.others_by_band)


def _queue_tier_notice(locked: pledging.LockedPool, new_total: int) -> None:
    """Writes the tier-reached event when this pledge lifts the pool into a better tier.

    From the tiers read under the lock: the usual pledge costs a comparison, the rare crossing
    one insert; nothing is rendered or fanned out while the lock is held. The event is in this
    transaction, so members hear only of a pledge that commits.
    """
    notices.tier_reached(locked.pool_id, locked.tiers, locked.totals.pledged_quantity, new_total)


def _estimate(
    locked: pledging.LockedPool,
    quantity: int,
    pool_total: int,
    others: list[tuple[int, TurnoverBand, int]],
) -> MemberBill | None:
    """The member's bill at the pool's new total, from what was read under the lock and the others' units
    by band that the writes read (none unless the pool is national or has a solidarity rate); none once
    withdrawn."""
    if quantity == 0:
        return None
    consortium = locked.consortium
    terms = OrderTerms(
        goods_description=locked.offer_name,
        consortium_name=consortium.name,
        unit_price=pricing.unit_price(locked.tiers, pool_total, locked.list_price),
        vat_rate=locked.vat_rate,
        handling_fee_percent=consortium.handling_fee_percent,
        solidarity_rate_percent=locked.solidarity_rate_percent,
        vat_registered=consortium.vat_registered,
    )
    return estimated_bill(
        terms,
        MemberUnits(locked.member.id, quantity, locked.band),
        consortium.id,
        others or [(consortium.id, locked.band, pool_total - quantity)],
        locked.delivery_charge_pence,
    )


def _others(pool_id: int, member: Member, consortium_id: int, grouped: bool) -> list[tuple[int, TurnoverBand, int]]:
    """The other members' units by consortium and band, read only when they change the bill (a national pool
    splits delivery by consortium, solidarity goes by band); otherwise none, and the caller lumps the rest."""
    return pledging.others_by_band(pool_id, member.id) if grouped else []


# What the pool's demand earns


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


def order_terms(pool: Pool, consortium: Consortium, unit_price: Decimal) -> OrderTerms:
    """What the consortium's order of this pool will bill its members on, as billing reads it from the order."""
    return OrderTerms(
        goods_description=pool.offer.name,
        consortium_name=consortium.name,
        unit_price=unit_price,
        vat_rate=pool.offer.vat_rate,
        handling_fee_percent=consortium.handling_fee_percent,
        solidarity_rate_percent=pool.solidarity_rate_percent,
        vat_registered=bool(consortium.organisation.vat_number),
    )


def estimate(pool: Pool, member: Member, quantity: int, current_quantity: int = 0) -> MemberBill:
    """The member's bill if it pledges `quantity` instead of `current_quantity` and the pool closes now."""
    pool_quantity = pool.pledged_quantity - current_quantity + quantity
    consortium = member.network.consortium
    terms = order_terms(pool, consortium, pricing.unit_price(pool_tiers(pool), pool_quantity, pool_list_price(pool)))
    others = _others(pool.id, member, consortium.id, pool.is_national or bool(pool.solidarity_rate_percent))
    return estimated_bill(
        terms,
        MemberUnits(member.id, quantity, member.turnover_band),
        consortium.id,
        others or [(consortium.id, member.turnover_band, pool_quantity - quantity)],
        pool.delivery_charge_pence,
    )


def pledged_by_day(pool: Pool) -> list[tuple[date, int]]:
    """The pool's total pledged at the end of each UK day with a change, from its days' running deltas."""
    rows = db.session.execute(
        select(PoolPledgeDay.day, PoolPledgeDay.units_delta)
        .where(PoolPledgeDay.pool_id == pool.id)
        .order_by(PoolPledgeDay.day)
    )
    running, points = 0, []
    for day, delta in rows:
        running += delta
        points.append((day, running))
    return points


def pool_pledges(pool: Pool) -> Select:
    """Every standing pledge of the pool, by member name, for its secretaries (the page shows them paged)."""
    return (
        select(Pledge)
        .join(Member, Member.id == Pledge.member_id)
        .join(Organisation, Organisation.id == Member.organisation_id)
        .where(Pledge.pool_id == pool.id, Pledge.quantity > 0)
        .options(joinedload(Pledge.member).joinedload(Member.organisation), lazyload(Pledge.pool))
        .order_by(Organisation.legal_name, Pledge.id)
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
