"""Bulk-buy pools, members' pledges and the history of every pledge change."""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Date,
    ForeignKey,
    Numeric,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from catalogue.models import VatRate, price
from kernel.clock import utcnow
from kernel.extensions import Model, UTCDateTime, created_at, enum_column, intpk, plural_of_unit
from kernel.lifecycle import Lifecycle, Who, move
from organisations.models import Consortium, Member, Supplier, TurnoverBand, User
from pools.models import PoolColumns, consortium_link, pool_checks
from pools.services import PoolKind, can_run


class PoolStatus(enum.Enum):
    DRAFT = "draft"
    OPEN = "open"
    CLOSED = "closed"
    ORDERED = "ordered"
    DELIVERED = "delivered"
    INVOICED = "invoiced"
    SETTLED = "settled"
    CANCELLED = "cancelled"


pool_consortium = consortium_link("pool")


class Pool(PoolColumns, Model):
    """Demand for one offer from the members of one consortium, or of several (national)."""

    consortium_table = pool_consortium
    __table_args__ = pool_checks(
        minimum_positive="minimum_quantity >= 1",
        capacity_covers_minimum="capacity IS NULL OR capacity >= minimum_quantity",
        delivery_charge_not_negative="delivery_charge_pence >= 0",
    )

    status: Mapped[PoolStatus] = mapped_column(enum_column(PoolStatus), default=PoolStatus.DRAFT, index=True)
    deadline: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    minimum_quantity: Mapped[int]
    capacity: Mapped[int | None]
    delivery_charge_pence: Mapped[int] = mapped_column(default=0)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closing_unit_price: Mapped[Decimal | None] = mapped_column(Numeric(12, 4))
    held_list_price: Mapped[Decimal | None] = mapped_column(Numeric(12, 4))
    solidarity_rate_percent: Mapped[Decimal] = mapped_column(Numeric(5, 2), default=Decimal(0))
    pledged_quantity: Mapped[int] = mapped_column(default=0)
    pledged_flexible: Mapped[int] = mapped_column(default=0)
    member_count: Mapped[int] = mapped_column(default=0)

    # The offer's list price and tiers as the pool opened; a draft has none and follows its offer.
    held_tiers: Mapped[list[PoolTier]] = relationship(
        order_by="PoolTier.min_quantity", cascade="all, delete-orphan", lazy="selectin"
    )


class PoolTier(Model):
    """A tier the pool holds: the offer's as the pool opened, or lower ones its supplier set since."""

    __table_args__ = (UniqueConstraint("pool_id", "min_quantity"),)

    id: Mapped[intpk]
    pool_id: Mapped[int] = mapped_column(ForeignKey("pool.id", ondelete="CASCADE"), index=True)
    min_quantity: Mapped[int]
    unit_price: Mapped[price]


class PoolPriceChange(Model):
    """A supplier lowering an open pool's tiers: who, when, the tiers before and after.

    Tiers are kept as [{"min_quantity": 50, "unit_price": "20.0000"}, ...].
    """

    id: Mapped[intpk]
    pool_id: Mapped[int] = mapped_column(ForeignKey("pool.id", ondelete="CASCADE"), index=True)
    changed_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    changed_at: Mapped[created_at]
    tiers_before: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    tiers_after: Mapped[list[dict[str, Any]]] = mapped_column(JSON)

    changed_by: Mapped[User] = relationship()


class Pledge(Model):
    """One member's demand in one pool. Quantity 0 means withdrawn; the row keeps its history."""

    __table_args__ = (
        UniqueConstraint("pool_id", "member_id"),
        CheckConstraint("quantity >= 0", name="quantity_not_negative"),
        CheckConstraint("flexible_extra >= 0", name="flexible_extra_not_negative"),
    )

    id: Mapped[intpk]
    pool_id: Mapped[int] = mapped_column(ForeignKey("pool.id", ondelete="CASCADE"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id"), index=True)
    quantity: Mapped[int]
    flexible_extra: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[created_at]
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    pool: Mapped[Pool] = relationship()
    member: Mapped[Member] = relationship()
    changes: Mapped[list[PledgeChange]] = relationship(
        back_populates="pledge", order_by="PledgeChange.id", cascade="all, delete-orphan"
    )

    @property
    def withdrawn(self) -> bool:
        return self.quantity == 0


class PledgeChange(Model):
    """Who changed a pledge, when, from what to what."""

    id: Mapped[intpk]
    pledge_id: Mapped[int] = mapped_column(ForeignKey("pledge.id", ondelete="CASCADE"), index=True)
    changed_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    changed_at: Mapped[created_at]
    old_quantity: Mapped[int]
    new_quantity: Mapped[int]
    old_flexible_extra: Mapped[int]
    new_flexible_extra: Mapped[int]

    pledge: Mapped[Pledge] = relationship(back_populates="changes")
    changed_by: Mapped[User] = relationship(lazy="joined")


class PoolPledgeDay(Model):
    """Net units pledged into a pool on one day (the UK date): the pledged-units chart reads this, not the history."""

    pool_id: Mapped[int] = mapped_column(ForeignKey("pool.id", ondelete="CASCADE"), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    units_delta: Mapped[int] = mapped_column(default=0)


class PoolBandTotal(Model):
    """Units pledged into a pool per consortium and turnover band, kept by the pledge's own statement (and moved
    when a member changes band or network): a member's estimate reads these few rows, not every pledge."""

    pool_id: Mapped[int] = mapped_column(ForeignKey("pool.id", ondelete="CASCADE"), primary_key=True)
    consortium_id: Mapped[int] = mapped_column(ForeignKey("consortium.id"), primary_key=True)
    turnover_band: Mapped[TurnoverBand] = mapped_column(enum_column(TurnoverBand), primary_key=True)
    quantity: Mapped[int] = mapped_column(default=0)


class PurchaseOrderStatus(enum.Enum):
    DRAFT = "draft"
    SENT = "sent"
    CONFIRMED = "confirmed"
    DELIVERED = "delivered"
    CANCELLED = "cancelled"


class PurchaseOrder(Model):
    """One consortium's order to the supplier for one closed pool; what was agreed is copied in."""

    __table_args__ = (
        UniqueConstraint("pool_id", "consortium_id"),
        CheckConstraint("packs >= 0 AND units >= 0", name="quantities_not_negative"),
        CheckConstraint("goods_pence >= 0 AND delivery_charge_pence >= 0", name="amounts_not_negative"),
    )

    id: Mapped[intpk]
    number: Mapped[str] = mapped_column(String(30), unique=True)
    pool_id: Mapped[int] = mapped_column(ForeignKey("pool.id"), index=True)
    consortium_id: Mapped[int] = mapped_column(ForeignKey("consortium.id"), index=True)
    supplier_id: Mapped[int] = mapped_column(ForeignKey("supplier.id"), index=True)
    offer_id: Mapped[int] = mapped_column(ForeignKey("offer.id"), index=True)
    status: Mapped[PurchaseOrderStatus] = mapped_column(enum_column(PurchaseOrderStatus), index=True)
    offer_name: Mapped[str] = mapped_column(String(200))
    unit: Mapped[str] = mapped_column(String(30))
    unit_plural: Mapped[str] = mapped_column(String(40), default=plural_of_unit)
    pack_size: Mapped[int]
    vat_rate: Mapped[VatRate] = mapped_column(enum_column(VatRate))
    unit_price: Mapped[price]
    list_price: Mapped[price]
    packs: Mapped[int]
    units: Mapped[int]
    goods_pence: Mapped[int]
    delivery_charge_pence: Mapped[int]
    created_at: Mapped[created_at]
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancel_reason: Mapped[str | None] = mapped_column(String(500))

    pool: Mapped[Pool] = relationship()
    consortium: Mapped[Consortium] = relationship()
    supplier: Mapped[Supplier] = relationship()
    allocations: Mapped[list[Allocation]] = relationship(
        back_populates="purchase_order", order_by="Allocation.id", cascade="all, delete-orphan"
    )

    @property
    def total_pence(self) -> int:
        return self.goods_pence + self.delivery_charge_pence


class Allocation(Model):
    """What one member pledged, what it was allocated and why, and what was delivered to it.

    Name, address and contact are copied from the member when the order is made.
    """

    __table_args__ = (
        UniqueConstraint("purchase_order_id", "member_id"),
        CheckConstraint("units >= 0", name="units_not_negative"),
        CheckConstraint(
            "delivered_units IS NULL OR (delivered_units >= 0 AND delivered_units <= units)",
            name="delivered_within_units",
        ),
    )

    id: Mapped[intpk]
    purchase_order_id: Mapped[int] = mapped_column(ForeignKey("purchase_order.id", ondelete="CASCADE"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id"), index=True)
    pledge_id: Mapped[int] = mapped_column(ForeignKey("pledge.id"), index=True)
    pledged_units: Mapped[int]
    flexible_extra: Mapped[int]
    units: Mapped[int]
    reason: Mapped[str] = mapped_column(String(300))
    delivered_units: Mapped[int | None]
    member_name: Mapped[str] = mapped_column(String(200))
    delivery_address: Mapped[str] = mapped_column(String(500))
    contact_email: Mapped[str] = mapped_column(String(254))

    purchase_order: Mapped[PurchaseOrder] = relationship(back_populates="allocations")
    member: Mapped[Member] = relationship()


POOL_LIFECYCLE: Lifecycle[PoolStatus] = Lifecycle(
    "pool",
    "pool",
    [
        move(PoolStatus.DRAFT, PoolStatus.OPEN, "opened", Who.RUNNER),
        move(PoolStatus.DRAFT, PoolStatus.CANCELLED, "cancelled", Who.RUNNER, needs_reason=True),
        # Below its minimum at the deadline, closing cancels the pool instead.
        move(PoolStatus.OPEN, PoolStatus.CANCELLED, "cancelled", Who.RUNNER, Who.SYSTEM, needs_reason=True),
        move(PoolStatus.OPEN, PoolStatus.CLOSED, "closed", Who.RUNNER, Who.SYSTEM, hint="Nothing was changed."),
        # A closed pool follows its purchase orders (closing.sync_pool_status), then its invoices (billing).
        move(PoolStatus.CLOSED, PoolStatus.ORDERED, "ordered", Who.SYSTEM),
        move((PoolStatus.CLOSED, PoolStatus.ORDERED), PoolStatus.DELIVERED, "delivered", Who.SYSTEM),
        move(
            (PoolStatus.CLOSED, PoolStatus.ORDERED, PoolStatus.DELIVERED), PoolStatus.INVOICED, "invoiced", Who.SYSTEM
        ),
        # Cancelling every purchase order of a closed pool cancels the pool (purchase_orders.cancel).
        move((PoolStatus.CLOSED, PoolStatus.ORDERED), PoolStatus.CANCELLED, "cancelled", Who.SYSTEM, needs_reason=True),
        move(PoolStatus.INVOICED, PoolStatus.SETTLED, "settled", Who.SYSTEM),
        # A refund or a dispute makes one of a settled pool's invoices due again.
        move(PoolStatus.SETTLED, PoolStatus.INVOICED, "invoiced", Who.SYSTEM),
    ],
    runs=can_run,
    stamps={PoolStatus.OPEN: "opened_at", PoolStatus.CLOSED: "closed_at", PoolStatus.CANCELLED: "cancelled_at"},
    reasons={PoolStatus.CANCELLED: "cancel_reason"},
)
POOLS: PoolKind[Pool] = PoolKind(
    Pool, POOL_LIFECYCLE, "pool", drafted=PoolStatus.DRAFT, opened=PoolStatus.OPEN, cancelled=PoolStatus.CANCELLED
)
