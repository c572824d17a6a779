"""Shared-service pools: opening, joining and leaving, starting, cancelling, and billing each period.

Every change to a pool or its participants happens under the pool's row lock, so a join,
a leave, the start and the billing of a period see one another's effects in order. Each
period is billed once: a BilledPeriod row, unique per (pool, period), is written in the
same transaction as the period's invoices.
"""

from bisect import bisect_left
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from decimal import Decimal
from functools import cached_property

from sqlalchemy import ColumnElement, Select, String, and_, cast, func, or_, select
from sqlalchemy.orm import selectinload

from billing import services as billing
from billing.models import LineKind
from catalogue.models import Offer
from kernel.clock import UK, uk_today, utcnow
from kernel.errors import Conflict, NotFound, ValidationFailed
from kernel.extensions import db
from kernel.lifecycle import Who
from kernel.paging import ListPage
from kernel.words import counted
from orders.invoice_plan import charged_vat_rate
from organisations import outbox
from organisations.models import Consortium, Member, Network, Organisation, User
from pools.services import acting_member, can_run, members_for, require_runner
from shared_services import periods
from shared_services.models import (
    SERVICE_POOL_LIFECYCLE,
    SERVICE_POOLS,
    AllocationKey,
    BilledPeriod,
    Participation,
    ParticipationChange,
    PeriodLength,
    ServicePool,
    ServicePoolStatus,
    SharedServiceCharge,
    service_pool_consortium,
)
from shared_services.split import Participant, Share, Split, split_by_weight, split_cost

REFERENCE_MAX = 100  # billing.models.Invoice.reference
MAX_COST_PENCE = 100_000_000
MAX_TERM = 120
MAX_PARTICIPANTS = 10_000
MAX_NOTICE = 12
MAX_UNITS = 1_000_000
CANCELLED_KIND = "shared_service_cancelled"


# Who sees what: the rules every kind of pool shares (pools.services)


def visible_pools(user: User, status: ServicePoolStatus | None = None) -> Select:
    query = SERVICE_POOLS.visible(user)
    if status is not None:
        query = query.where(ServicePool.status == status)
    return query.options(selectinload(ServicePool.consortia)).order_by(
        ServicePool.start_date.desc(), ServicePool.id.desc()
    )


require_visible = SERVICE_POOLS.require_visible
pool_for = SERVICE_POOLS.pool_for
can_manage = can_run
require_manager = require_runner
lock_pool = SERVICE_POOLS.lock


def joining_members(user: User, pool: ServicePool) -> list[Member]:
    """The members this user acts for that may take part in this pool."""
    return members_for(user, pool)


def _moment(today: date | None) -> datetime:
    """When a change happens: now, or midday (UK) of the day a caller says it happens (the demo's past year)."""
    if today is None or today == uk_today():
        return utcnow()
    return datetime.combine(today, time(12), UK).astimezone(UTC)


# Creating, opening, cancelling


@dataclass
class PoolTerms:
    cost_per_period_pence: int
    period: PeriodLength
    term_periods: int
    start_date: date
    minimum_participants: int
    allocation_key: AllocationKey
    notice_periods: int = 0
    note: str | None = None


def _whole(value, low: int, high: int) -> bool:
    return not isinstance(value, bool) and isinstance(value, int) and low <= value <= high


def _validate_terms(terms: PoolTerms, today: date) -> None:
    errors: dict[str, list[str]] = {}
    if not _whole(terms.cost_per_period_pence, 1, MAX_COST_PENCE):
        errors["cost_per_period_pence"] = [f"Enter a cost per period above zero and up to £{MAX_COST_PENCE // 100:,}."]
    if not _whole(terms.term_periods, 1, MAX_TERM):
        errors["term_periods"] = [f"Enter a term of 1 to {MAX_TERM} periods."]
    if not _whole(terms.minimum_participants, 1, MAX_PARTICIPANTS):
        errors["minimum_participants"] = [f"Enter a minimum of 1 to {MAX_PARTICIPANTS:,} members."]
    if not _whole(terms.notice_periods, 0, MAX_NOTICE):
        errors["notice_periods"] = [f"Enter a notice of 0 to {MAX_NOTICE} periods."]
    elif _whole(terms.term_periods, 1, MAX_TERM) and terms.notice_periods >= terms.term_periods:
        errors["notice_periods"] = ["The notice must be shorter than the term."]
    if not isinstance(terms.start_date, date):
        errors["start_date"] = ["Enter the date the service starts."]
    elif terms.start_date.day != 1:
        errors["start_date"] = ["Periods run from the first of a month: start on the 1st."]
    elif terms.start_date <= today:
        errors["start_date"] = ["The start must be in the future, so members have time to join."]
    if errors:
        raise ValidationFailed("Some terms of the shared-service pool are not valid.", errors)


def create_pool(
    actor: User, offer: Offer, consortia: list[Consortium], terms: PoolTerms, today: date | None = None
) -> ServicePool:
    """A draft pool; one consortium for a secretary's pool, several (admin only) for a national one."""
    return SERVICE_POOLS.draft(
        actor,
        offer,
        consortia,
        terms.note,
        lambda: _validate_terms(terms, today or uk_today()),
        cost_per_period_pence=terms.cost_per_period_pence,
        period=terms.period,
        term_periods=terms.term_periods,
        start_date=terms.start_date,
        minimum_participants=terms.minimum_participants,
        allocation_key=terms.allocation_key,
        notice_periods=terms.notice_periods,
    )


def open_pool(actor: User, pool: ServicePool, today: date | None = None) -> ServicePool:
    late = pool.start_date <= (today or uk_today())
    return SERVICE_POOLS.open(
        actor,
        pool,
        "The start date has passed; cancel this draft and create a new pool." if late else None,
        _moment(today),
    )


def cancel_pool(actor: User, pool: ServicePool, reason: str) -> ServicePool:
    """Cancels a draft or open pool before it starts; every member that joined is told why."""
    pool = SERVICE_POOLS.cancel(actor, pool, reason)
    _tell_cancelled(pool)
    return pool


def _tell_cancelled(pool: ServicePool) -> None:
    """One event; shared_services.messages tells each member that joined, through its users."""
    outbox.record(CANCELLED_KIND, pool.id, f"{CANCELLED_KIND}:{pool.id}")


# Periods


def months_per_period(pool: ServicePool) -> int:
    return pool.period.months


def current_period(pool: ServicePool, today: date) -> int:
    """The period `today` falls in: 0 before the start, above the term after the end."""
    return periods.period_at(pool.start_date, months_per_period(pool), today)


def period_label(pool: ServicePool, period: int) -> str:
    return periods.label(pool.start_date, months_per_period(pool), period)


def period_dates(pool: ServicePool, period: int) -> tuple[date, date]:
    months = months_per_period(pool)
    return periods.period_start(pool.start_date, months, period), periods.period_end(pool.start_date, months, period)


def last_billed_period(pool_id: int) -> int:
    return db.session.execute(
        select(func.coalesce(func.max(BilledPeriod.period), 0)).where(BilledPeriod.service_pool_id == pool_id)
    ).scalar_one()


def due_periods(pool: ServicePool, through: date) -> list[int]:
    """Unbilled periods of the term that start on or before `through` (bills go out at a period's start)."""
    billed = set(db.session.scalars(select(BilledPeriod.period).where(BilledPeriod.service_pool_id == pool.id)))
    last = min(pool.term_periods, current_period(pool, through))
    return [n for n in range(1, last + 1) if n not in billed]


# Joining and leaving


def participations(pool: ServicePool) -> list[Participation]:
    return list(
        db.session.scalars(
            select(Participation)
            .where(Participation.service_pool_id == pool.id)
            .options(selectinload(Participation.member), selectinload(Participation.changes))
            .order_by(Participation.member_id)
        )
    )


def joined_pool_ids(member_ids: set[int], pool_ids: list[int]) -> set[int]:
    """Which of these pools one of these members takes part in (in some period), in one query."""
    if not member_ids or not pool_ids:
        return set()
    return set(
        db.session.scalars(
            select(Participation.service_pool_id).where(
                Participation.service_pool_id.in_(pool_ids),
                Participation.member_id.in_(member_ids),
                or_(Participation.left_after.is_(None), Participation.left_after >= Participation.joined_from),
            )
        )
    )


def participation_of(pool: ServicePool, member_id: int) -> Participation | None:
    return db.session.scalar(
        select(Participation).where(Participation.service_pool_id == pool.id, Participation.member_id == member_id)
    )


def _record(participation: Participation, actor: User, action: str, old: tuple | None, today: date) -> None:
    old_units, old_from, old_left = old if old else (None, None, None)
    db.session.add(
        ParticipationChange(
            participation=participation,
            service_pool_id=participation.service_pool_id,
            action=action,
            changed_by_id=actor.id,
            changed_at=_moment(today),
            old_units=old_units,
            new_units=participation.units,
            old_joined_from=old_from,
            new_joined_from=participation.joined_from,
            old_left_after=old_left,
            new_left_after=participation.left_after,
        )
    )


def _validate_units(pool: ServicePool, units) -> int:
    if not pool.allocation_key.needs_units:
        return 1
    if not _whole(units, 1, MAX_UNITS):
        raise ValidationFailed.field(
            "units", f"Pledge a whole number of {pool.offer.unit_plural} from 1 to {MAX_UNITS:,}."
        )
    return units


@dataclass(frozen=True)
class Joined:
    """What a join did: "join", "change" (units, before the start) or None (nothing to change)."""

    participation: Participation
    action: str | None


def join(
    actor: User,
    pool_id: int,
    units: int | None = None,
    member_id: int | None = None,
    today: date | None = None,
) -> Joined:
    """Joins (or, before the start, changes the units of) a member's participation.

    Before the start a member takes part from period 1; once the pool is active it joins
    from the next period that is not billed yet.
    """
    pool = pool_for(actor, pool_id)
    units = _validate_units(pool, units)
    member = acting_member(actor, pool, member_id)
    pool = lock_pool(pool.id)
    today = today or uk_today()
    if pool.status is ServicePoolStatus.OPEN:
        joined_from = 1
    elif pool.status is ServicePoolStatus.ACTIVE:
        joined_from = max(current_period(pool, today), last_billed_period(pool.id)) + 1
        if joined_from > pool.term_periods:
            raise Conflict("The pool's term is ending; there is no later period to join from.")
    else:
        raise Conflict(f"This pool is {pool.status.value}; members join only while it is open or active.")
    existing = participation_of(pool, member.id)
    if existing is None:
        participation = Participation(pool=pool, member=member, units=units, joined_from=joined_from)
        db.session.add(participation)
        db.session.flush()
        _record(participation, actor, "join", None, today)
        db.session.flush()
        return Joined(participation, "join")
    old = (existing.units, existing.joined_from, existing.left_after)
    taking_part = not existing.withdrawn and (existing.left_after is None or existing.left_after >= joined_from)
    if pool.status is ServicePoolStatus.ACTIVE and taking_part:
        raise Conflict(f"{member.name} already takes part; units are fixed once the pool has started.")
    if taking_part and existing.units == units:
        return Joined(existing, None)
    action = "change" if taking_part else "join"
    existing.units, existing.joined_from, existing.left_after = units, joined_from, None
    _record(existing, actor, action, old, today)
    db.session.flush()
    return Joined(existing, action)


def earliest_leave(pool: ServicePool, participation: Participation, today: date) -> int:
    """The first period end a member may leave after: its notice runs from the current period,
    and a billed period stays billed."""
    if pool.status is ServicePoolStatus.OPEN:
        return participation.joined_from - 1
    earliest = max(current_period(pool, today) + pool.notice_periods, last_billed_period(pool.id))
    return max(earliest, participation.joined_from - 1)


def leave(
    actor: User,
    pool_id: int,
    member_id: int | None = None,
    after_period: int | None = None,
    today: date | None = None,
) -> Participation:
    """Before the start, withdraws; afterwards, leaves at a period end no sooner than the notice allows."""
    pool = pool_for(actor, pool_id)
    member = acting_member(actor, pool, member_id)
    pool = lock_pool(pool.id)
    today = today or uk_today()
    if pool.status not in (ServicePoolStatus.OPEN, ServicePoolStatus.ACTIVE):
        raise Conflict(f"This pool is {pool.status.value}; there is nothing to leave.")
    participation = participation_of(pool, member.id)
    if participation is None or participation.withdrawn:
        raise NotFound(f"{member.name} does not take part in this pool.")
    earliest = earliest_leave(pool, participation, today)
    if pool.status is ServicePoolStatus.OPEN:
        chosen = earliest
    else:
        chosen = earliest if after_period is None else after_period
        if not _whole(chosen, earliest, pool.term_periods - 1):
            if earliest >= pool.term_periods:
                raise Conflict("The term ends before the notice would run out: the pool ends on its own.")
            when = period_dates(pool, earliest)[1]
            raise ValidationFailed.field(
                "after_period",
                f"Leave after a period from {earliest} (ending {when:%-d %b %Y}) to "
                f"{pool.term_periods - 1}: the pool asks {counted(pool.notice_periods, 'period')} of notice.",
            )
    if participation.left_after is not None and participation.left_after <= chosen:
        raise Conflict(f"{member.name} already leaves after period {participation.left_after}.")
    old = (participation.units, participation.joined_from, participation.left_after)
    participation.left_after = chosen
    _record(participation, actor, "leave", old, today)
    db.session.flush()
    return participation


# Shares


def weight_of(key: AllocationKey, headcount: int, units: int) -> int:
    """A participant's weight in the split: its headcount, its pledged units, or 1 for an equal split."""
    if key is AllocationKey.HEADCOUNT:
        return headcount
    if key is AllocationKey.UNITS:
        return units
    return 1


def _weight(pool: ServicePool, participation: Participation) -> int:
    return weight_of(pool.allocation_key, participation.member.headcount, participation.units)


def period_shares(pool: ServicePool, period: int, taking_part: list[Participation] | None = None) -> list[Share]:
    """What each participant pays for `period` with the participants as they stand: what billing invoices."""
    taking_part = [p for p in (taking_part if taking_part is not None else participations(pool)) if p.covers(period)]
    if not taking_part:
        return []
    return split_cost(pool.cost_per_period_pence, [Participant(p.member_id, _weight(pool, p)) for p in taking_part])


@dataclass(frozen=True)
class Cohort:
    """Participants of one pool alike in all a split needs: the periods they take part in, their weight and
    their consortium. Their member ids come as one text, read only when a split cuts through their weight."""

    joined_from: int
    left_after: int | None
    weight: int
    consortium_id: int
    count: int
    member_ids: str  # "12,7,30": any order

    def covers(self, period: int) -> bool:
        return self.joined_from <= period and (self.left_after is None or period <= self.left_after)

    @property
    def withdrawn(self) -> bool:
        return self.left_after is not None and self.left_after < self.joined_from


@dataclass
class Stage:
    """The cohorts taking part in a run of periods, and their split."""

    cohorts: list[Cohort]
    split: Split

    @cached_property
    def cut_ids(self) -> list[int]:
        """The member ids of the participants of the cut weight, lowest first."""
        return sorted(_ids([c for c in self.cohorts if c.weight == self.split.cut]))


class Projection:
    """A pool's periods split as `period_shares` splits them, from its participants summed up by cohort: a pool
    of thousands of members costs a few cohorts and one closed-form split a stage, not a share each (split.Split).

    The participants change only in a period where one joins or the one after one leaves: the periods between
    two such changes are one stage, split once.
    """

    def __init__(self, pool: ServicePool, cohorts: list[Cohort]):
        self.cost_pence = pool.cost_per_period_pence
        self.key = pool.allocation_key
        self.cohorts = cohorts
        self._stages: dict[tuple[int, ...], Stage | None] = {}

    @property
    def active_count(self) -> int:
        """The members taking part in some period (not withdrawn)."""
        return sum(c.count for c in self.cohorts if not c.withdrawn)

    def stage(self, period: int) -> Stage | None:
        """Who takes part in the period, and its split; None when nobody does."""
        taking_part = tuple(i for i, cohort in enumerate(self.cohorts) if cohort.covers(period))
        if taking_part not in self._stages:
            cohorts = [self.cohorts[i] for i in taking_part]
            self._stages[taking_part] = (
                Stage(cohorts, split_by_weight(self.cost_pence, _by_weight(cohorts))) if cohorts else None
            )
        return self._stages[taking_part]

    def count(self, period: int) -> int:
        stage = self.stage(period)
        return sum(c.count for c in stage.cohorts) if stage else 0

    def total(self, period: int) -> int:
        """What everyone taking part pays for the period together: its cost, or nothing with nobody."""
        stage = self.stage(period)
        return stage.split.total(_by_weight(stage.cohorts), stage.split.cut_count) if stage else 0

    def share(self, period: int, participation: Participation) -> int | None:
        """The participation's share of the period; None when it does not take part in it."""
        stage = self.stage(period)
        if stage is None or not participation.covers(period):
            return None
        split = stage.split
        weight = weight_of(self.key, participation.member.headcount, participation.units)
        return split.pence(weight, bisect_left(stage.cut_ids, participation.member_id) if weight == split.cut else 0)

    def consortium_part(self, period: int, consortium_id: int) -> tuple[int, int]:
        """What the consortium's members pay for the period together, and how many of them pay anything."""
        stage = self.stage(period)
        if stage is None:
            return 0, 0
        split = stage.split
        ours = [c for c in stage.cohorts if c.consortium_id == consortium_id]
        served = 0  # of ours, those among the cut's first `cut_count`
        if split.cut is not None:
            cut_ours = [c for c in ours if c.weight == split.cut]
            if sum(c.count for c in cut_ours) == sum(c.count for c in stage.cohorts if c.weight == split.cut):
                served = split.cut_count
            elif cut_ours:
                last_served = stage.cut_ids[split.cut_count - 1]
                served = sum(1 for member_id in _ids(cut_ours) if member_id <= last_served)
        counts = _by_weight(ours)
        return split.total(counts, served), split.paying(counts, served)


def _by_weight(cohorts: list[Cohort]) -> dict[int, int]:
    counts: dict[int, int] = {}
    for cohort in cohorts:
        counts[cohort.weight] = counts.get(cohort.weight, 0) + cohort.count
    return counts


def _ids(cohorts: list[Cohort]) -> list[int]:
    return [int(member_id) for cohort in cohorts for member_id in cohort.member_ids.split(",")]


def projections(pools: list[ServicePool]) -> dict[int, Projection]:
    """The pools' projections, their participants read in one query of a row per cohort."""
    keys = {pool.id: pool.allocation_key for pool in pools}
    columns = (
        Participation.service_pool_id,
        Participation.joined_from,
        Participation.left_after,
        Member.headcount,
        Participation.units,
        Network.consortium_id,
    )
    rows = db.session.execute(
        select(*columns, func.count(), func.aggregate_strings(cast(Participation.member_id, String), ","))
        .join(Member, Member.id == Participation.member_id)
        .join(Network, Network.id == Member.network_id)
        .where(Participation.service_pool_id.in_(list(keys)))
        .group_by(*columns)
    )
    counts: dict[tuple[int, int, int | None, int, int], int] = {}
    member_ids: dict[tuple[int, int, int | None, int, int], list[str]] = {}
    for pool_id, joined_from, left_after, headcount, units, consortium_id, count, ids in rows:
        # Rows apart only in a column the pool's key does not weigh by split alike: one cohort.
        alike = (pool_id, joined_from, left_after, weight_of(keys[pool_id], headcount, units), consortium_id)
        counts[alike] = counts.get(alike, 0) + count
        member_ids.setdefault(alike, []).append(ids)
    cohorts: dict[int, list[Cohort]] = {pool.id: [] for pool in pools}
    for alike, count in counts.items():
        pool_id, joined_from, left_after, weight, consortium_id = alike
        cohorts[pool_id].append(
            Cohort(joined_from, left_after, weight, consortium_id, count, ",".join(member_ids[alike]))
        )
    return {pool.id: Projection(pool, cohorts[pool.id]) for pool in pools}


def projection(pool: ServicePool) -> Projection:
    return projections([pool])[pool.id]


@dataclass
class MemberShares:
    """A member's share of the current period and the next: billed amounts once billed, projections before."""

    member: Member
    participation: Participation | None
    this_period: int | None
    this_pence: int | None
    next_period: int | None
    next_pence: int | None
    earliest_leave: int | None = None


def member_shares(
    pool: ServicePool, members: list[Member], today: date | None = None, projected: Projection | None = None
) -> list[MemberShares]:
    """The shares of the members a user acts for; `projected` (the pool's `projection`) saves reading it again."""
    today = today or uk_today()
    if projected is None:
        projected = projection(pool)
    everyone = list(
        db.session.scalars(
            select(Participation).where(
                Participation.service_pool_id == pool.id, Participation.member_id.in_([m.id for m in members] or [-1])
            )
        )
    )
    now = max(current_period(pool, today), 1)
    billed = {
        (c.period, c.member_id): c.share_pence
        for c in db.session.scalars(
            select(SharedServiceCharge).where(
                SharedServiceCharge.service_pool_id == pool.id, SharedServiceCharge.period.in_([now, now + 1])
            )
        )
    }
    billed_periods = set(
        db.session.scalars(
            select(BilledPeriod.period).where(
                BilledPeriod.service_pool_id == pool.id, BilledPeriod.period.in_([now, now + 1])
            )
        )
    )
    by_member = {p.member_id: p for p in everyone}

    def share(period: int, member_id: int) -> int | None:
        if period > pool.term_periods or pool.status is ServicePoolStatus.CANCELLED:
            return None
        if period in billed_periods:
            return billed.get((period, member_id))
        participation = by_member.get(member_id)
        return projected.share(period, participation) if participation is not None else None

    result = []
    for member in members:
        participation = by_member.get(member.id)
        result.append(
            MemberShares(
                member,
                participation,
                now if now <= pool.term_periods else None,
                share(now, member.id),
                now + 1 if now + 1 <= pool.term_periods else None,
                share(now + 1, member.id),
                earliest_leave(pool, participation, today)
                if participation is not None
                and not participation.withdrawn
                and pool.status in (ServicePoolStatus.OPEN, ServicePoolStatus.ACTIVE)
                else None,
            )
        )
    return result


# Starting and billing


def start_pool(pool_id: int, today: date | None = None, actor: User | None = None) -> ServicePool | None:
    """At its start date an open pool becomes active, or is cancelled below its minimum (members told).

    Returns the pool when it changed, None when there was nothing to do (not open, or not yet).
    `actor` is the secretary who pressed the button, None for the nightly run.
    """
    pool = lock_pool(pool_id)
    today = today or uk_today()
    if pool.status is not ServicePoolStatus.OPEN or pool.start_date > today:
        return None
    joined = sum(1 for p in participations(pool) if p.covers(1))
    if joined < pool.minimum_participants:
        reason = (
            f"Only {joined} member{'s' if joined != 1 else ''} joined by the start on "
            f"{pool.start_date:%-d %b %Y}; the pool needed {pool.minimum_participants}."
        )
        SERVICE_POOL_LIFECYCLE.move(pool, ServicePoolStatus.CANCELLED, actor, reason, _moment(today), Who.SYSTEM)
        _tell_cancelled(pool)
    else:
        SERVICE_POOL_LIFECYCLE.move(pool, ServicePoolStatus.ACTIVE, actor, at=_moment(today), by=Who.SYSTEM)
    return pool


def billable_pool_ids(through: date) -> list[int]:
    """Open pools whose start has come, and active pools: the billing run looks at these."""
    return list(
        db.session.scalars(
            select(ServicePool.id)
            .where(
                or_(
                    ServicePool.status == ServicePoolStatus.ACTIVE,
                    and_(ServicePool.status == ServicePoolStatus.OPEN, ServicePool.start_date <= through),
                )
            )
            .order_by(ServicePool.id)
        )
    )


def _reference(pool: ServicePool, period: int) -> str:
    """What the invoice is for, as members read it on lists, statements and emails: "HR advice line, March 2027"."""
    when = period_label(pool, period)
    return f"{pool.offer.name[: REFERENCE_MAX - len(when) - 2]}, {when}"


def _description(pool: ServicePool, period: int, share: Share, total_weight: int) -> str:
    base = f"{pool.offer.name}, {period_label(pool, period)} (period {period} of {pool.term_periods})"
    if pool.allocation_key is AllocationKey.EQUAL:
        return f"{base}: equal share"
    measure = "headcount" if pool.allocation_key is AllocationKey.HEADCOUNT else pool.offer.unit
    return f"{base}: share by {measure}, {share.weight:,} of {total_weight:,}"


def bill_period(actor: User | None, pool_id: int, period: int, today: date | None = None) -> BilledPeriod | None:
    """Invoices every participant its share of one period, through the billing service.

    Under the pool's row lock; a period already billed (by this run or another) bills nothing
    and returns None. The caller commits: all the period's invoices, or none of them.
    """
    pool = lock_pool(pool_id)
    if actor is not None:
        require_manager(actor, pool)
    if pool.status is not ServicePoolStatus.ACTIVE or not 1 <= period <= pool.term_periods:
        return None
    if (
        db.session.scalar(
            select(BilledPeriod.id).where(BilledPeriod.service_pool_id == pool.id, BilledPeriod.period == period)
        )
        is not None
    ):
        return None
    today = today or uk_today()
    taking_part = [p for p in participations(pool) if p.covers(period)]
    starts_on, ends_on = period_dates(pool, period)
    shares = period_shares(pool, period, taking_part)
    billed = BilledPeriod(
        service_pool_id=pool.id,
        period=period,
        starts_on=starts_on,
        ends_on=ends_on,
        cost_pence=pool.cost_per_period_pence if shares else 0,
        participant_count=len(shares),
    )
    db.session.add(billed)
    db.session.flush()
    by_member = {p.member_id: p for p in taking_part}
    total_weight = sum(s.weight for s in shares)
    offer = pool.offer
    for share in shares:
        if share.pence == 0:
            continue
        participation = by_member[share.member_id]
        consortium = db.session.get_one(Consortium, participation.member.consortium_id)
        seller = billing.Seller.of(consortium)
        line = billing.LineIn(
            kind=LineKind.SERVICE,
            description=_description(pool, period, share, total_weight),
            quantity=1,
            unit_price=Decimal(share.pence).scaleb(-2),
            vat_rate=charged_vat_rate(bool(seller.vat_number), offer.vat_rate),
            net_pence=share.pence,
        )
        invoice = billing.issue_invoice(
            None, consortium, share.member_id, [line], _reference(pool, period), starts_on, today
        )
        db.session.add(
            SharedServiceCharge(
                invoice_id=invoice.id,
                service_pool_id=pool.id,
                billed_period_id=billed.id,
                period=period,
                member_id=share.member_id,
                units=participation.units if pool.allocation_key.needs_units else 1,
                weight=share.weight,
                share_pence=share.pence,
                list_unit_price=offer.list_price,
            )
        )
    if period == pool.term_periods or not shares:
        SERVICE_POOL_LIFECYCLE.move(pool, ServicePoolStatus.ENDED, actor, at=_moment(today), by=Who.SYSTEM)
    db.session.flush()
    return billed


def billed_periods(pool: ServicePool) -> Select:
    return (
        select(BilledPeriod)
        .where(BilledPeriod.service_pool_id == pool.id)
        .options(
            selectinload(BilledPeriod.charges).selectinload(SharedServiceCharge.invoice),
            selectinload(BilledPeriod.charges).selectinload(SharedServiceCharge.member),
        )
        .order_by(BilledPeriod.period)
    )


def billed_period_rows(pool: ServicePool) -> list[BilledPeriod]:
    """The pool's billed periods without their charges: a page shows each period's count and cost."""
    return list(
        db.session.scalars(
            select(BilledPeriod).where(BilledPeriod.service_pool_id == pool.id).order_by(BilledPeriod.period)
        )
    )


def charges_of(pool: ServicePool, member_ids: set[int]) -> dict[int, list[SharedServiceCharge]]:
    """The charges of these members by period, with their invoices: what a member's page links to."""
    if not member_ids:
        return {}
    charges = db.session.scalars(
        select(SharedServiceCharge)
        .where(SharedServiceCharge.service_pool_id == pool.id, SharedServiceCharge.member_id.in_(member_ids))
        .options(selectinload(SharedServiceCharge.invoice), selectinload(SharedServiceCharge.member))
        .order_by(SharedServiceCharge.period, SharedServiceCharge.member_id)
    )
    by_period: dict[int, list[SharedServiceCharge]] = {}
    for charge in charges:
        by_period.setdefault(charge.period, []).append(charge)
    return by_period


def sees_member(user: User, member: Member) -> bool:
    """Whose participation and share a user may read: its own members', and a secretary its consortium's.

    Like pledges, one organisation's participation is not another's to read; everyone sees the totals.
    """
    return user.is_admin or member.id in user.member_ids or member.consortium_id in user.secretary_consortium_ids


def participants_query(pool: ServicePool, user: User) -> Select:
    """The participants the user sees, withdrawn ones too, by name."""
    query = (
        select(Participation)
        .where(Participation.service_pool_id == pool.id)
        .join(Member, Participation.member_id == Member.id)
        .join(Organisation, Member.organisation_id == Organisation.id)
        .options(selectinload(Participation.member))
        .order_by(Organisation.legal_name, Participation.id)
    )
    return _seen_by(query, user)


def participants_with_history(pool: ServicePool, user: User) -> Select:
    """For the API, whose participants carry their changes."""
    return participants_query(pool, user).options(selectinload(Participation.changes))


def _taking_part() -> ColumnElement[bool]:
    return or_(Participation.left_after.is_(None), Participation.left_after >= Participation.joined_from)


def taking_part_page(pool: ServicePool, user: User, page: int, per_page: int) -> ListPage[Participation]:
    """A page of the participants the user sees taking part (not withdrawn), by name; counted without the names."""
    counted = select(func.count()).select_from(Participation).where(Participation.service_pool_id == pool.id)
    if not user.is_admin:
        counted = _seen_by(counted.join(Member, Participation.member_id == Member.id), user)
    return ListPage.fetched(
        lambda limit, offset: list(
            db.session.scalars(participants_query(pool, user).where(_taking_part()).limit(limit).offset(offset))
        ),
        page,
        per_page,
        db.session.scalar(counted.where(_taking_part())) or 0,
    )


def history_page(pool: ServicePool, user: User, page: int, per_page: int) -> ListPage[ParticipationChange]:
    """A page of the changes to the participations the user sees, oldest first.

    The pool is asked for as a range of one, in the order of the pool-and-id index: asked for by equality,
    the planner, taking each pool's changes as spread evenly among everyone's, reads them in primary key
    order and can walk through every other pool's changes before reaching this one's.
    """
    query = select(ParticipationChange).where(ParticipationChange.service_pool_id.between(pool.id, pool.id))
    if not user.is_admin:
        query = _seen_by(
            query.join(Participation, ParticipationChange.participation_id == Participation.id).join(
                Member, Participation.member_id == Member.id
            ),
            user,
        )
    return ListPage.fetched(
        lambda limit, offset: list(
            db.session.scalars(
                query.options(selectinload(ParticipationChange.participation).selectinload(Participation.member))
                .order_by(ParticipationChange.service_pool_id, ParticipationChange.id)
                .limit(limit)
                .offset(offset)
            )
        ),
        page,
        per_page,
        db.session.scalar(query.with_only_columns(func.count()).order_by(None)) or 0,
    )


def _seen_by(query: Select, user: User) -> Select:
    """`query` (joined to Member) narrowed to the members whose participation the user may read (`sees_member`).

    Through the member's network, whose consortium the planner can weigh: a page of a consortium's
    participants by name is then read in name order, not sorted from all of them.
    """
    if user.is_admin:
        return query
    return query.join(Network, Network.id == Member.network_id).where(
        or_(Member.id.in_(user.member_ids or {-1}), Network.consortium_id.in_(user.secretary_consortium_ids or {-1}))
    )


# The secretary's billing calendar


@dataclass
class CalendarPeriod:
    period: int
    label: str
    starts_on: date
    ends_on: date
    state: str  # billed, due, upcoming
    cost_pence: int
    consortium_pence: int  # what this consortium invoices its own members (a national pool bills per consortium)
    invoice_count: int


@dataclass
class CalendarPool:
    pool: ServicePool
    periods: list[CalendarPeriod] = field(default_factory=list)


CALENDAR_POOLS_PER_PAGE = 20


def calendar(consortium: Consortium, today: date | None = None, page: int = 1) -> ListPage[CalendarPool]:
    """Every period of a page of the consortium's open, active and ended pools: billed, due now, or to come.

    The page's billed periods, charges and participants (by cohort, see `projections`) are read in one query
    each, whatever the number of pools and of their participants.
    """
    today = today or uk_today()
    pools = db.paginate(
        select(ServicePool)
        .join(service_pool_consortium)
        .where(
            service_pool_consortium.c.consortium_id == consortium.id,
            ServicePool.status.in_([ServicePoolStatus.OPEN, ServicePoolStatus.ACTIVE, ServicePoolStatus.ENDED]),
        )
        .options(selectinload(ServicePool.consortia))
        .order_by(ServicePool.start_date, ServicePool.id),
        page=page,
        per_page=CALENDAR_POOLS_PER_PAGE,
        error_out=False,
    )
    pool_ids = [pool.id for pool in pools.items]
    billed_by_pool: dict[int, dict[int, BilledPeriod]] = {pool_id: {} for pool_id in pool_ids}
    for billed_period in db.session.scalars(select(BilledPeriod).where(BilledPeriod.service_pool_id.in_(pool_ids))):
        billed_by_pool[billed_period.service_pool_id][billed_period.period] = billed_period
    # What our members were charged for each billed period, summed by the database.
    charged: dict[tuple[int, int], tuple[int, int]] = {
        (pool_id, period): (pence, count)
        for pool_id, period, pence, count in db.session.execute(
            select(
                SharedServiceCharge.service_pool_id,
                SharedServiceCharge.period,
                func.sum(SharedServiceCharge.share_pence),
                func.count(),
            )
            .join(Member, Member.id == SharedServiceCharge.member_id)
            .join(Network, Network.id == Member.network_id)
            .where(SharedServiceCharge.service_pool_id.in_(pool_ids), Network.consortium_id == consortium.id)
            .group_by(SharedServiceCharge.service_pool_id, SharedServiceCharge.period)
        )
    }
    projected = projections(pools.items)
    entries = []
    for pool in pools.items:
        billed = billed_by_pool[pool.id]
        now = current_period(pool, today)
        entry = CalendarPool(pool)
        for period in range(1, pool.term_periods + 1):
            starts_on, ends_on = period_dates(pool, period)
            if period in billed:
                our_pence, our_count = charged.get((pool.id, period), (0, 0))
                entry.periods.append(
                    CalendarPeriod(
                        period,
                        period_label(pool, period),
                        starts_on,
                        ends_on,
                        "billed",
                        billed[period].cost_pence,
                        our_pence,
                        our_count,
                    )
                )
                continue
            if pool.status is ServicePoolStatus.ENDED:
                continue
            entry.periods.append(
                CalendarPeriod(
                    period,
                    period_label(pool, period),
                    starts_on,
                    ends_on,
                    "due" if period <= now else "upcoming",
                    projected[pool.id].total(period),
                    *projected[pool.id].consortium_part(period, consortium.id),
                )
            )
        entries.append(entry)
    return ListPage(entries, pools.page, pools.per_page, pools.total or 0)
