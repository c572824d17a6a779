"""Listings of members' spare capacity, bookings of them, member-to-member invoices and monthly clearing.

A listing's bookable slots (rooms, equipment) are held by at most one live booking at a time:
`SlotHold` has the slot as its primary key, so a second request for a slot fails in the
database whatever the timing; a declined or cancelled booking lets its holds go.
A trade invoice is issued by the selling member (not the consortium) in its own number series
and, like billing's invoices, is never edited once issued: only its settlement moves.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    CheckConstraint,
    Date,
    ForeignKey,
    LargeBinary,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    event,
    inspect,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from billing.models import DocumentLine, DocumentParties, VatAnalysis
from catalogue.models import VatRate, price
from kernel.clock import UK
from kernel.extensions import Model, UTCDateTime, created_at, enum_column, intpk
from kernel.formatting import uk_datetime
from organisations.models import Consortium, Member


class ListingKind(enum.Enum):
    ROOM = "room"
    EQUIPMENT = "equipment"
    WORKSHOP = "workshop"
    STAFF_TIME = "staff_time"
    SERVICE = "service"

    @property
    def label(self) -> str:
        return {
            "room": "Room",
            "equipment": "Vehicle or equipment",
            "workshop": "Workshop or production capacity",
            "staff_time": "Staff time",
            "service": "Service",
        }[self.value]

    @property
    def by_slot(self) -> bool:
        """Rooms and equipment are booked by the slot; time and capacity by the hour."""
        return self in (ListingKind.ROOM, ListingKind.EQUIPMENT)


class HoursPeriod(enum.Enum):
    WEEK = "week"
    MONTH = "month"


class ListingStatus(enum.Enum):
    AWAITING_APPROVAL = "awaiting approval"
    LISTED = "listed"
    LAPSED = "lapsed"
    WITHDRAWN = "withdrawn"


class BookingStatus(enum.Enum):
    REQUESTED = "requested"
    CONFIRMED = "confirmed"
    DECLINED = "declined"
    DISPUTED = "disputed"
    DELIVERED = "delivered"
    INVOICED = "invoiced"
    SETTLED = "settled"
    CANCELLED = "cancelled"


class TradeInvoiceStatus(enum.Enum):
    ISSUED = "issued"
    SETTLED = "settled"


class TradingTerms(Model):
    """A consortium's rules for trading among its members; a consortium without a row has the defaults."""

    __table_args__ = (
        CheckConstraint("listing_days >= 1", name="listing_days_positive"),
        CheckConstraint("monthly_limit IS NULL OR monthly_limit >= 1", name="monthly_limit_positive"),
        CheckConstraint("net_debit_limit_pence IS NULL OR net_debit_limit_pence >= 0", name="limit_not_negative"),
    )

    consortium_id: Mapped[int] = mapped_column(ForeignKey("consortium.id"), primary_key=True)
    approval_required: Mapped[bool] = mapped_column(default=False)
    listing_days: Mapped[int] = mapped_column(default=90)
    monthly_limit: Mapped[int | None]
    clearing: Mapped[bool] = mapped_column(default=False)
    net_debit_limit_pence: Mapped[int | None]


class Listing(Model):
    __table_args__ = (
        CheckConstraint("member_price >= 0", name="member_price_not_negative"),
        CheckConstraint("public_price IS NULL OR public_price >= 0", name="public_price_not_negative"),
        CheckConstraint("cancel_fee_percent BETWEEN 0 AND 100", name="fee_percent_range"),
        CheckConstraint("free_cancel_days >= 0", name="free_days_not_negative"),
        CheckConstraint("hours_available IS NULL OR hours_available >= 1", name="hours_positive"),
    )

    id: Mapped[intpk]
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id"), index=True)
    consortium_id: Mapped[int] = mapped_column(ForeignKey("consortium.id"), index=True)
    kind: Mapped[ListingKind] = mapped_column(enum_column(ListingKind))
    title: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text)
    skill: Mapped[str | None] = mapped_column(String(120))
    member_price: Mapped[price]
    public_price: Mapped[Decimal | None] = mapped_column(Numeric(12, 4))
    vat_rate: Mapped[VatRate] = mapped_column(enum_column(VatRate), default=VatRate.STANDARD)
    hours_available: Mapped[int | None]
    hours_period: Mapped[HoursPeriod | None] = mapped_column(enum_column(HoursPeriod))
    free_cancel_days: Mapped[int] = mapped_column(default=2)
    cancel_fee_percent: Mapped[int] = mapped_column(default=0)
    status: Mapped[ListingStatus] = mapped_column(enum_column(ListingStatus), index=True)
    lapses_on: Mapped[date] = mapped_column(Date)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[created_at]

    member: Mapped[Member] = relationship(lazy="joined")
    slots: Mapped[list[ListingSlot]] = relationship(order_by="ListingSlot.starts_at", back_populates="listing")
    photos: Mapped[list[ListingPhoto]] = relationship(order_by="ListingPhoto.id", back_populates="listing")

    @property
    def unit(self) -> str:
        return "slot" if self.kind.by_slot else "hour"


class ListingSlot(Model):
    __table_args__ = (
        UniqueConstraint("listing_id", "starts_at"),
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
    )

    id: Mapped[intpk]
    listing_id: Mapped[int] = mapped_column(ForeignKey("listing.id"), index=True)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)

    listing: Mapped[Listing] = relationship(back_populates="slots")

    @property
    def label(self) -> str:
        """As members read it, in UK time: "12 Nov 2026, 10:00 to 12:00"."""
        return f"{uk_datetime(self.starts_at)} to {self.ends_at.astimezone(UK):%H:%M}"


class ListingPhoto(Model):
    """A photo of a listing, kept in the database with the type read from its bytes: no file name of the
    uploader's is ever used, and it goes with the listing's transaction."""

    __table_args__ = (
        CheckConstraint("byte_size > 0", name="not_empty"),
        CheckConstraint("width > 0 AND height > 0", name="has_size"),
    )

    id: Mapped[intpk]
    listing_id: Mapped[int] = mapped_column(ForeignKey("listing.id"), index=True)
    media_type: Mapped[str] = mapped_column(String(20))
    data: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    byte_size: Mapped[int]
    width: Mapped[int]
    height: Mapped[int]
    alt_text: Mapped[str] = mapped_column(String(200))
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[created_at]

    listing: Mapped[Listing] = relationship(back_populates="photos")


class TradingLimit(Model):
    """A member's own net debit limit for clearing, set by its secretary: it stands in for the consortium's."""

    __table_args__ = (CheckConstraint("limit_pence >= 0", name="limit_not_negative"),)

    member_id: Mapped[int] = mapped_column(ForeignKey("member.id"), primary_key=True)
    consortium_id: Mapped[int] = mapped_column(ForeignKey("consortium.id"), index=True)
    limit_pence: Mapped[int]
    set_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    set_at: Mapped[datetime] = mapped_column(UTCDateTime)

    member: Mapped[Member] = relationship(lazy="joined")


class SlotHold(Model):
    """A slot taken by a live booking: one row per slot at most, which is what stops double booking."""

    slot_id: Mapped[int] = mapped_column(ForeignKey("listing_slot.id"), primary_key=True)
    booking_id: Mapped[int] = mapped_column(ForeignKey("booking.id"), index=True)


class Booking(Model):
    __table_args__ = (
        CheckConstraint("quantity >= 1", name="quantity_positive"),
        CheckConstraint("buyer_id <> seller_id", name="not_own_listing"),
        CheckConstraint("net_pence >= 0 AND fee_pence >= 0", name="amounts_not_negative"),
    )

    id: Mapped[intpk]
    listing_id: Mapped[int] = mapped_column(ForeignKey("listing.id"), index=True)
    consortium_id: Mapped[int] = mapped_column(ForeignKey("consortium.id"), index=True)
    buyer_id: Mapped[int] = mapped_column(ForeignKey("member.id"), index=True)
    seller_id: Mapped[int] = mapped_column(ForeignKey("member.id"), index=True)
    status: Mapped[BookingStatus] = mapped_column(enum_column(BookingStatus), index=True)
    starts_on: Mapped[date] = mapped_column(Date)
    quantity: Mapped[int]
    description: Mapped[str] = mapped_column(String(300))
    unit_price: Mapped[price]
    net_pence: Mapped[int]
    fee_pence: Mapped[int] = mapped_column(default=0)
    pay_directly: Mapped[bool] = mapped_column(default=False)
    note: Mapped[str | None] = mapped_column(String(500))
    reason: Mapped[str | None] = mapped_column(String(500))
    buyer_confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    seller_confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[created_at]

    listing: Mapped[Listing] = relationship(lazy="joined")
    buyer: Mapped[Member] = relationship(foreign_keys=[buyer_id], lazy="joined")
    seller: Mapped[Member] = relationship(foreign_keys=[seller_id], lazy="joined")


class TradeInvoice(DocumentParties, Model):
    """An invoice from the selling member to the buying member for one booking (or its cancellation fee)."""

    __table_args__ = (
        CheckConstraint("total_pence = net_pence + vat_pence", name="total_is_net_plus_vat"),
        CheckConstraint("seller_id <> buyer_id", name="two_members"),
    )

    id: Mapped[intpk]
    number: Mapped[str] = mapped_column(String(30), unique=True)
    consortium_id: Mapped[int] = mapped_column(ForeignKey("consortium.id"), index=True)
    seller_id: Mapped[int] = mapped_column(ForeignKey("member.id"), index=True)
    buyer_id: Mapped[int] = mapped_column(ForeignKey("member.id"), index=True)
    booking_id: Mapped[int] = mapped_column(ForeignKey("booking.id"), unique=True)
    status: Mapped[TradeInvoiceStatus] = mapped_column(enum_column(TradeInvoiceStatus), index=True)
    issue_date: Mapped[date] = mapped_column(Date, index=True)
    supply_date: Mapped[date] = mapped_column(Date)
    due_date: Mapped[date] = mapped_column(Date)
    reference: Mapped[str] = mapped_column(String(100))
    net_pence: Mapped[int]
    vat_pence: Mapped[int]
    total_pence: Mapped[int]
    pay_directly: Mapped[bool] = mapped_column(default=False)
    clearing_run_id: Mapped[int | None] = mapped_column(ForeignKey("clearing_run.id"), index=True)
    settled_on: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[created_at]

    consortium: Mapped[Consortium] = relationship(lazy="joined")
    seller: Mapped[Member] = relationship(foreign_keys=[seller_id], lazy="joined")
    buyer: Mapped[Member] = relationship(foreign_keys=[buyer_id], lazy="joined")
    booking: Mapped[Booking] = relationship()
    lines: Mapped[list[TradeInvoiceLine]] = relationship(
        order_by="TradeInvoiceLine.position", cascade="all, delete-orphan"
    )
    vat_lines: Mapped[list[TradeInvoiceVat]] = relationship(cascade="all, delete-orphan")
    clearing_run: Mapped[ClearingRun | None] = relationship()


class TradeInvoiceLine(DocumentLine, Model):
    id: Mapped[intpk]
    trade_invoice_id: Mapped[int] = mapped_column(ForeignKey("trade_invoice.id", ondelete="CASCADE"), index=True)


class TradeInvoiceVat(VatAnalysis, Model):
    id: Mapped[intpk]
    trade_invoice_id: Mapped[int] = mapped_column(ForeignKey("trade_invoice.id", ondelete="CASCADE"), index=True)


class ClearingRun(Model):
    """Clearing number N of a consortium: one month's trade invoices netted into one amount per member."""

    __table_args__ = (UniqueConstraint("consortium_id", "number"), UniqueConstraint("consortium_id", "month"))

    id: Mapped[intpk]
    consortium_id: Mapped[int] = mapped_column(ForeignKey("consortium.id"), index=True)
    number: Mapped[int]
    month: Mapped[date] = mapped_column(Date)
    invoice_count: Mapped[int]
    cleared_pence: Mapped[int]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[created_at]

    consortium: Mapped[Consortium] = relationship(lazy="joined")
    positions: Mapped[list[ClearingPosition]] = relationship(order_by="ClearingPosition.member_id")


class ClearingPosition(Model):
    """One member's statement in a clearing: owed by others, owing to others, and the net paid or received."""

    __table_args__ = (
        UniqueConstraint("clearing_run_id", "member_id"),
        CheckConstraint("net_pence = owed_pence - owes_pence", name="net_is_owed_less_owes"),
    )

    id: Mapped[intpk]
    clearing_run_id: Mapped[int] = mapped_column(ForeignKey("clearing_run.id"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id"), index=True)
    owed_pence: Mapped[int]
    owes_pence: Mapped[int]
    net_pence: Mapped[int]

    member: Mapped[Member] = relationship(lazy="joined")


# Issued trade invoices never change except for their settlement.

_SETTLEMENT = {"status", "clearing_run_id", "settled_on"}


class IssuedTradeInvoiceChanged(RuntimeError):
    """A program tried to edit or delete an issued trade invoice."""


def _refuse_edits(mapper, connection, target) -> None:
    state = inspect(target)
    changed = {c.key for c in mapper.column_attrs if state.attrs[c.key].history.has_changes()}
    changed -= _SETTLEMENT if isinstance(target, TradeInvoice) else set()
    if changed:
        raise IssuedTradeInvoiceChanged(f"An issued trade invoice is never edited ({', '.join(sorted(changed))}).")


def _refuse_deletes(mapper, connection, target) -> None:
    raise IssuedTradeInvoiceChanged("An issued trade invoice is never deleted.")


for _document in (TradeInvoice, TradeInvoiceLine, TradeInvoiceVat):
    event.listen(_document, "before_update", _refuse_edits)
    event.listen(_document, "before_delete", _refuse_deletes)
