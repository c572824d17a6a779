"""Framework agreements: suppliers, lots and rate cards, terms and extensions; call-offs placed against them."""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Column, Date, ForeignKey, Integer, Numeric, String, Table, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.schema import CheckConstraint

from billing.models import Invoice
from catalogue.models import VatRate, price
from kernel.extensions import Model, UTCDateTime, created_at, db, enum_column, intpk
from kernel.lifecycle import Lifecycle, Who, move
from organisations.models import Consortium, Member, Supplier, User


class FrameworkStatus(enum.Enum):
    DRAFT = "draft"
    LIVE = "live"
    EXPIRED = "expired"
    ENDED = "ended"  # ended early by its runner, with the reason


class Route(enum.Enum):
    DIRECT_AWARD = "direct_award"
    MINI_COMPETITION = "mini_competition"


framework_consortium = Table(
    "framework_consortium",
    db.metadata,
    Column("framework_id", Integer, ForeignKey("framework.id", ondelete="CASCADE"), primary_key=True),
    Column("consortium_id", Integer, ForeignKey("consortium.id"), primary_key=True, index=True),
)
framework_supplier = Table(
    "framework_supplier",
    db.metadata,
    Column("framework_id", Integer, ForeignKey("framework.id", ondelete="CASCADE"), primary_key=True),
    Column("supplier_id", Integer, ForeignKey("supplier.id"), primary_key=True, index=True),
)


class Framework(Model):
    """Agreed prices from one or more suppliers for a term, up to a value ceiling (plus an allowance).

    No consortia: national, open to every consortium. `consumed_pence` is the net value of its
    call-offs not cancelled, kept under the framework's row lock so the ceiling holds with call-offs at once.
    """

    __table_args__ = (
        CheckConstraint("ceiling_pence > 0", name="ceiling_positive"),
        CheckConstraint("consumed_pence >= 0", name="consumed_not_negative"),
        CheckConstraint("ends_on >= starts_on", name="ends_after_start"),
        CheckConstraint("extensions_used >= 0 AND extensions_used <= extensions_allowed", name="extensions_within"),
        CheckConstraint("allowance_percent >= 0 AND fee_percent >= 0", name="percents_not_negative"),
    )

    id: Mapped[intpk]
    reference: Mapped[str] = mapped_column(String(30), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    status: Mapped[FrameworkStatus] = mapped_column(
        enum_column(FrameworkStatus), default=FrameworkStatus.DRAFT, index=True
    )
    route: Mapped[Route] = mapped_column(enum_column(Route))
    is_national: Mapped[bool] = mapped_column(default=False)
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date, index=True)
    extensions_allowed: Mapped[int] = mapped_column(default=0)
    extension_months: Mapped[int] = mapped_column(default=0)
    extensions_used: Mapped[int] = mapped_column(default=0)
    ceiling_pence: Mapped[int]
    allowance_percent: Mapped[Decimal] = mapped_column(Numeric(5, 2))
    fee_percent: Mapped[Decimal] = mapped_column(Numeric(5, 2))
    consumed_pence: Mapped[int] = mapped_column(default=0)
    call_off_count: Mapped[int] = mapped_column(default=0)
    # The tender it was awarded from; the tenders package (above this one) keeps the link's other end.
    source_tender_id: Mapped[int | None]
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[created_at]
    live_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    end_reason: Mapped[str | None] = mapped_column(String(500))

    consortia: Mapped[list[Consortium]] = relationship(
        secondary=framework_consortium, order_by="Consortium.name", lazy="selectin"
    )
    suppliers: Mapped[list[Supplier]] = relationship(
        secondary=framework_supplier, order_by="Supplier.id", lazy="selectin"
    )
    lots: Mapped[list[FrameworkLot]] = relationship(
        back_populates="framework", order_by="FrameworkLot.position", cascade="all, delete-orphan", lazy="selectin"
    )

    @property
    def consortium_ids(self) -> set[int]:
        return {c.id for c in self.consortia}

    @property
    def supplier_ids(self) -> set[int]:
        return {s.id for s in self.suppliers}


class FrameworkLot(Model):
    """One lot of a framework: what is called off, in which units, at which rates."""

    __table_args__ = (UniqueConstraint("framework_id", "position"),)

    id: Mapped[intpk]
    framework_id: Mapped[int] = mapped_column(ForeignKey("framework.id", ondelete="CASCADE"), index=True)
    position: Mapped[int]
    name: Mapped[str] = mapped_column(String(200))
    unit_singular: Mapped[str] = mapped_column(String(30))
    unit_plural: Mapped[str] = mapped_column(String(30))
    vat_rate: Mapped[VatRate] = mapped_column(enum_column(VatRate), default=VatRate.STANDARD)
    # The one supplier a direct-award lot is called off from (a tender's winner); None: any of the framework's.
    supplier_id: Mapped[int | None] = mapped_column(ForeignKey("supplier.id"))

    framework: Mapped[Framework] = relationship(back_populates="lots")
    supplier: Mapped[Supplier | None] = relationship(lazy="joined")
    tiers: Mapped[list[FrameworkLotTier]] = relationship(
        order_by="FrameworkLotTier.min_quantity", cascade="all, delete-orphan", lazy="selectin"
    )

    @property
    def rate_card(self) -> list[tuple[int, Decimal]]:
        return [(tier.min_quantity, tier.unit_price) for tier in self.tiers]


class FrameworkLotTier(Model):
    __table_args__ = (
        UniqueConstraint("lot_id", "min_quantity"),
        CheckConstraint("min_quantity >= 1 AND unit_price > 0", name="tier_positive"),
    )

    id: Mapped[intpk]
    lot_id: Mapped[int] = mapped_column(ForeignKey("framework_lot.id", ondelete="CASCADE"), index=True)
    min_quantity: Mapped[int]
    unit_price: Mapped[price]


class FrameworkExtension(Model):
    """One use of an extension option: the end date before and after, who and when."""

    id: Mapped[intpk]
    framework_id: Mapped[int] = mapped_column(ForeignKey("framework.id", ondelete="CASCADE"), index=True)
    from_ends_on: Mapped[date] = mapped_column(Date)
    to_ends_on: Mapped[date] = mapped_column(Date)
    extended_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    extended_at: Mapped[created_at]

    extended_by: Mapped[User] = relationship()


class CallOffStatus(enum.Enum):
    PLACED = "placed"
    CONFIRMED = "confirmed"
    DELIVERED = "delivered"
    INVOICED = "invoiced"
    CANCELLED = "cancelled"


class CallOff(Model):
    """One member's order against a framework's lot, priced when placed; the lot's terms are copied in."""

    __table_args__ = (
        CheckConstraint("quantity >= 1", name="quantity_positive"),
        CheckConstraint("net_pence >= 0 AND fee_pence >= 0", name="amounts_not_negative"),
    )

    id: Mapped[intpk]
    number: Mapped[str] = mapped_column(String(40), unique=True)
    framework_id: Mapped[int] = mapped_column(ForeignKey("framework.id"), index=True)
    lot_id: Mapped[int] = mapped_column(ForeignKey("framework_lot.id"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id"), index=True)
    consortium_id: Mapped[int] = mapped_column(ForeignKey("consortium.id"), index=True)
    supplier_id: Mapped[int] = mapped_column(ForeignKey("supplier.id"), index=True)
    status: Mapped[CallOffStatus] = mapped_column(enum_column(CallOffStatus), index=True)
    lot_name: Mapped[str] = mapped_column(String(200))
    unit_singular: Mapped[str] = mapped_column(String(30))
    unit_plural: Mapped[str] = mapped_column(String(30))
    vat_rate: Mapped[VatRate] = mapped_column(enum_column(VatRate))
    quantity: Mapped[int]
    unit_price: Mapped[price]
    net_pence: Mapped[int]
    fee_pence: Mapped[int]
    placed_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    placed_at: Mapped[created_at]
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    invoiced_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancel_reason: Mapped[str | None] = mapped_column(String(500))
    invoice_id: Mapped[int | None] = mapped_column(ForeignKey("invoice.id"), unique=True)

    framework: Mapped[Framework] = relationship()
    member: Mapped[Member] = relationship()
    supplier: Mapped[Supplier] = relationship()
    invoice: Mapped[Invoice | None] = relationship()


def _runs_framework(user: User, framework: Framework) -> bool:
    """Admins run every framework; a secretary runs a framework of their one consortium alone."""
    return user.is_admin or (
        not framework.is_national
        and len(framework.consortia) == 1
        and framework.consortium_ids <= user.secretary_consortium_ids
    )


def _party_to(user: User, call_off: CallOff) -> bool:
    """Who may move a call-off at all; each service says which party makes which move."""
    return (
        user.is_admin
        or call_off.supplier_id in user.supplier_ids
        or call_off.consortium_id in user.secretary_consortium_ids
        or call_off.member_id in user.member_ids
    )


FRAMEWORK_LIFECYCLE: Lifecycle[FrameworkStatus] = Lifecycle(
    "framework",
    "framework",
    [
        move(FrameworkStatus.DRAFT, FrameworkStatus.LIVE, "made live", Who.RUNNER),
        move(FrameworkStatus.LIVE, FrameworkStatus.EXPIRED, "expired", Who.SYSTEM),
        move(
            (FrameworkStatus.DRAFT, FrameworkStatus.LIVE), FrameworkStatus.ENDED, "ended", Who.RUNNER, needs_reason=True
        ),
    ],
    runs=_runs_framework,
    stamps={FrameworkStatus.LIVE: "live_at", FrameworkStatus.EXPIRED: "ended_at", FrameworkStatus.ENDED: "ended_at"},
    reasons={FrameworkStatus.ENDED: "end_reason"},
)

CALL_OFF_LIFECYCLE: Lifecycle[CallOffStatus] = Lifecycle(
    "call_off",
    "call-off",
    [
        move(CallOffStatus.PLACED, CallOffStatus.CONFIRMED, "confirmed", Who.RUNNER),
        move((CallOffStatus.PLACED, CallOffStatus.CONFIRMED), CallOffStatus.DELIVERED, "delivered", Who.RUNNER),
        move(CallOffStatus.DELIVERED, CallOffStatus.INVOICED, "invoiced", Who.RUNNER, Who.SYSTEM),
        move(
            (CallOffStatus.PLACED, CallOffStatus.CONFIRMED),
            CallOffStatus.CANCELLED,
            "cancelled",
            Who.RUNNER,
            needs_reason=True,
        ),
    ],
    runs=_party_to,
    stamps={
        CallOffStatus.CONFIRMED: "confirmed_at",
        CallOffStatus.DELIVERED: "delivered_at",
        CallOffStatus.INVOICED: "invoiced_at",
        CallOffStatus.CANCELLED: "cancelled_at",
    },
    reasons={CallOffStatus.CANCELLED: "cancel_reason"},
)


class FeeStatement(Model):
    """A supplier's monthly statement of call-offs delivered and the management fee due, as produced for the month.

    One per supplier and month (the scheduled run inserts it once, however often or wherever it runs);
    the page shows the month's call-offs at any time, this row what the run found.
    """

    __table_args__ = (UniqueConstraint("supplier_id", "month"),)

    id: Mapped[intpk]
    supplier_id: Mapped[int] = mapped_column(ForeignKey("supplier.id"), index=True)
    month: Mapped[date] = mapped_column(Date)  # the first of the month
    call_off_count: Mapped[int]
    net_pence: Mapped[int]
    fee_pence: Mapped[int]
    produced_at: Mapped[created_at]
