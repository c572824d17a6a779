"""Shared-service pools: a fixed cost per period shared by the members taking part, billed each period.

Periods are numbered from 1 (the first period starts on the pool's start date, the first of
a month). A participation covers the periods `joined_from` to `left_after` (or the end of
the term); `left_after = joined_from - 1` is a participation withdrawn before it began.
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from billing.models import Invoice
from catalogue.models import price
from kernel.extensions import Model, UTCDateTime, created_at, enum_column, intpk
from kernel.lifecycle import Lifecycle, Who, move
from organisations.models import Member, User
from pools.models import PoolColumns, consortium_link, pool_checks
from pools.services import PoolKind, can_run


class ServicePoolStatus(enum.Enum):
    DRAFT = "draft"
    OPEN = "open"
    ACTIVE = "active"
    ENDED = "ended"
    CANCELLED = "cancelled"


class PeriodLength(enum.Enum):
    MONTH = "month"
    QUARTER = "quarter"

    @property
    def months(self) -> int:
        return 1 if self is PeriodLength.MONTH else 3


class AllocationKey(enum.Enum):
    EQUAL = "equal"
    HEADCOUNT = "headcount"
    UNITS = "units"

    @property
    def label(self) -> str:
        return {"equal": "equal split", "headcount": "by headcount", "units": "by pledged units"}[self.value]

    @property
    def needs_units(self) -> bool:
        return self is AllocationKey.UNITS


service_pool_consortium = consortium_link("service_pool")


class ServicePool(PoolColumns, Model):
    """A service offer's cost per period shared among the members of one consortium, or of several (national)."""

    consortium_table = service_pool_consortium
    __table_args__ = pool_checks(
        cost_positive="cost_per_period_pence > 0",
        term_positive="term_periods >= 1",
        minimum_positive="minimum_participants >= 1",
        notice_not_negative="notice_periods >= 0",
    )

    status: Mapped[ServicePoolStatus] = mapped_column(
        enum_column(ServicePoolStatus), default=ServicePoolStatus.DRAFT, index=True
    )
    cost_per_period_pence: Mapped[int]
    period: Mapped[PeriodLength] = mapped_column(enum_column(PeriodLength))
    term_periods: Mapped[int]
    start_date: Mapped[date] = mapped_column(Date)
    minimum_participants: Mapped[int]
    allocation_key: Mapped[AllocationKey] = mapped_column(enum_column(AllocationKey))
    notice_periods: Mapped[int] = mapped_column(default=0)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def scope_label(self) -> str:
        names = ", ".join(c.name for c in self.consortia)
        return f"national: {names}" if self.is_national else names


class Participation(Model):
    """One member taking part in one pool, from one period to another; every change is kept."""

    __table_args__ = (
        UniqueConstraint("service_pool_id", "member_id"),
        CheckConstraint("units >= 1", name="units_positive"),
        CheckConstraint("joined_from >= 1", name="joined_from_positive"),
        CheckConstraint("left_after IS NULL OR left_after >= joined_from - 1", name="left_after_joining"),
    )

    id: Mapped[intpk]
    service_pool_id: Mapped[int] = mapped_column(ForeignKey("service_pool.id", ondelete="CASCADE"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id"), index=True)
    units: Mapped[int] = mapped_column(default=1)
    joined_from: Mapped[int]
    left_after: Mapped[int | None]
    created_at: Mapped[created_at]

    pool: Mapped[ServicePool] = relationship()
    member: Mapped[Member] = relationship()
    changes: Mapped[list[ParticipationChange]] = relationship(
        back_populates="participation", order_by="ParticipationChange.id", cascade="all, delete-orphan"
    )

    def covers(self, period: int) -> bool:
        return self.joined_from <= period and (self.left_after is None or period <= self.left_after)

    @property
    def withdrawn(self) -> bool:
        return self.left_after is not None and self.left_after < self.joined_from


class ParticipationChange(Model):
    """Who joined, left or changed a participation, when, from what to what.

    It keeps its participation's pool (which never changes) so that a page of a pool's history, oldest
    first, is read from one index range however many other pools' changes came before.
    """

    __table_args__ = (Index("ix_participation_change_pool_history", "service_pool_id", "id"),)

    id: Mapped[intpk]
    participation_id: Mapped[int] = mapped_column(ForeignKey("participation.id", ondelete="CASCADE"), index=True)
    service_pool_id: Mapped[int] = mapped_column(ForeignKey("service_pool.id", ondelete="CASCADE"))
    action: Mapped[str] = mapped_column(String(10))  # join, change, leave
    changed_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    changed_at: Mapped[created_at]
    old_units: Mapped[int | None]
    new_units: Mapped[int]
    old_joined_from: Mapped[int | None]
    new_joined_from: Mapped[int]
    old_left_after: Mapped[int | None]
    new_left_after: Mapped[int | None]

    participation: Mapped[Participation] = relationship(back_populates="changes")
    changed_by: Mapped[User] = relationship(lazy="joined")


class BilledPeriod(Model):
    """One period of one pool, billed once: the unique (pool, period) stops a second run billing it again."""

    __table_args__ = (
        UniqueConstraint("service_pool_id", "period"),
        CheckConstraint("period >= 1", name="period_positive"),
    )

    id: Mapped[intpk]
    service_pool_id: Mapped[int] = mapped_column(ForeignKey("service_pool.id"), index=True)
    period: Mapped[int]
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    cost_pence: Mapped[int]
    participant_count: Mapped[int]
    billed_at: Mapped[created_at]

    charges: Mapped[list[SharedServiceCharge]] = relationship(
        back_populates="billed_period", order_by="SharedServiceCharge.member_id"
    )


class SharedServiceCharge(Model):
    """A participant's share of one billed period and the invoice that bills it.

    `list_unit_price` is the offer's list price when billed, so a report can tell what the
    member would have paid buying the service alone for the period: list_unit_price x units
    (units = 1, the member itself, for the equal and headcount keys). The offer is priced for
    one unit for one period of the pool (a month's retainer, a seat-month).
    """

    __table_args__ = (
        UniqueConstraint("billed_period_id", "member_id"),
        CheckConstraint("units >= 1", name="units_positive"),
        CheckConstraint("share_pence >= 0", name="share_not_negative"),
    )

    id: Mapped[intpk]
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoice.id"), unique=True)
    service_pool_id: Mapped[int] = mapped_column(ForeignKey("service_pool.id"), index=True)
    billed_period_id: Mapped[int] = mapped_column(ForeignKey("billed_period.id"), index=True)
    period: Mapped[int]
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id"), index=True)
    units: Mapped[int]
    weight: Mapped[int]
    share_pence: Mapped[int]
    list_unit_price: Mapped[price]

    billed_period: Mapped[BilledPeriod] = relationship(back_populates="charges")
    member: Mapped[Member] = relationship()
    invoice: Mapped[Invoice] = relationship()


SERVICE_POOL_LIFECYCLE: Lifecycle[ServicePoolStatus] = Lifecycle(
    "service_pool",
    "shared-service pool",
    [
        move(ServicePoolStatus.DRAFT, ServicePoolStatus.OPEN, "opened", Who.RUNNER),
        move(
            ServicePoolStatus.DRAFT,
            ServicePoolStatus.CANCELLED,
            "cancelled",
            Who.RUNNER,
            needs_reason=True,
            hint="Members leave a started pool with notice instead.",
        ),
        # At its start date an open pool starts, or is cancelled below its minimum (start_pool).
        move(
            ServicePoolStatus.OPEN, ServicePoolStatus.CANCELLED, "cancelled", Who.RUNNER, Who.SYSTEM, needs_reason=True
        ),
        move(ServicePoolStatus.OPEN, ServicePoolStatus.ACTIVE, "started", Who.SYSTEM),
        move(ServicePoolStatus.ACTIVE, ServicePoolStatus.ENDED, "ended", Who.SYSTEM),
    ],
    runs=can_run,
    stamps={
        ServicePoolStatus.OPEN: "opened_at",
        ServicePoolStatus.ACTIVE: "started_at",
        ServicePoolStatus.ENDED: "ended_at",
        ServicePoolStatus.CANCELLED: "cancelled_at",
    },
    reasons={ServicePoolStatus.CANCELLED: "cancel_reason"},
)
SERVICE_POOLS: PoolKind[ServicePool] = PoolKind(
    ServicePool,
    SERVICE_POOL_LIFECYCLE,
    "shared-service pool",
    drafted=ServicePoolStatus.DRAFT,
    opened=ServicePoolStatus.OPEN,
    cancelled=ServicePoolStatus.CANCELLED,
)
