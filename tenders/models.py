"""Tenders: lots, invited suppliers, clarifications, sealed bids and their tiers, evaluators' scores, the trail."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from catalogue.enums import VatRate
from catalogue.models import Category, price
from frameworks.models import CallOff, Framework
from kernel.extensions import Model, UTCDateTime, created_at, enum_column, intpk
from kernel.lifecycle import REASON_MAX
from organisations.models import Consortium, Member, Supplier, User


class TenderStatus(enum.Enum):
    DRAFT = "draft"
    PUBLISHED = "published"
    CLARIFICATIONS_CLOSED = "clarifications_closed"
    SUBMISSIONS_CLOSED = "submissions_closed"
    OPENED = "opened"
    EVALUATED = "evaluated"
    AWARD_PROPOSED = "award_proposed"
    STANDSTILL = "standstill"
    AWARDED = "awarded"
    UNSUCCESSFUL = "unsuccessful"
    CANCELLED = "cancelled"


# Bids may be made or replaced only while these last (and before the submission deadline).
TAKING_BIDS = frozenset({TenderStatus.PUBLISHED, TenderStatus.CLARIFICATIONS_CLOSED})


class Tender(Model):
    """A competition among suppliers for one consortium's need (or a national one: no consortium)."""

    __table_args__ = (
        CheckConstraint("price_weight >= 0 AND quality_weight >= 0 AND social_weight >= 0", name="weights_positive"),
        CheckConstraint("price_weight + quality_weight + social_weight = 100", name="weights_sum_100"),
        CheckConstraint("clarification_deadline < submission_deadline", name="clarifications_close_first"),
        CheckConstraint("minimum_valid_bids >= 1", name="minimum_bids_positive"),
        CheckConstraint("standstill_days >= 0", name="standstill_not_negative"),
        CheckConstraint("status != 'cancelled' OR cancel_reason IS NOT NULL", name="cancel_has_reason"),
        CheckConstraint("status != 'unsuccessful' OR unsuccessful_reason IS NOT NULL", name="unsuccessful_has_reason"),
        CheckConstraint(
            "framework_id IS NULL OR (framework_lot_id IS NOT NULL AND call_off_member_id IS NOT NULL "
            "AND call_off_quantity >= 1)",
            name="mini_competition_names_its_call_off",
        ),
    )

    id: Mapped[intpk]
    title: Mapped[str] = mapped_column(String(200))
    category_id: Mapped[int] = mapped_column(ForeignKey("category.id"), index=True)
    consortium_id: Mapped[int | None] = mapped_column(ForeignKey("consortium.id"), index=True)
    specification: Mapped[str] = mapped_column(Text)
    price_weight: Mapped[int]
    quality_weight: Mapped[int]
    social_weight: Mapped[int] = mapped_column(default=0)
    clarification_deadline: Mapped[datetime] = mapped_column(UTCDateTime)
    submission_deadline: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    minimum_valid_bids: Mapped[int] = mapped_column(default=1)
    standstill_days: Mapped[int] = mapped_column(default=10)
    open_to_all: Mapped[bool] = mapped_column(default=False)
    quality_questions: Mapped[list[str]] = mapped_column(JSON, default=list)
    status: Mapped[TenderStatus] = mapped_column(enum_column(TenderStatus), default=TenderStatus.DRAFT, index=True)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[created_at]
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    standstill_ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    awarded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancel_reason: Mapped[str | None] = mapped_column(String(REASON_MAX))
    unsuccessful_reason: Mapped[str | None] = mapped_column(String(REASON_MAX))
    # A mini-competition among a framework's suppliers for one member's call-off; its award places the call-off.
    framework_id: Mapped[int | None] = mapped_column(ForeignKey("framework.id"), index=True)
    framework_lot_id: Mapped[int | None] = mapped_column(ForeignKey("framework_lot.id"))
    call_off_member_id: Mapped[int | None] = mapped_column(ForeignKey("member.id"), index=True)
    call_off_quantity: Mapped[int | None]
    call_off_id: Mapped[int | None] = mapped_column(ForeignKey("call_off.id"))

    category: Mapped[Category] = relationship(lazy="joined")
    consortium: Mapped[Consortium | None] = relationship(lazy="joined")
    lots: Mapped[list[TenderLot]] = relationship(
        back_populates="tender", order_by="TenderLot.id", cascade="all, delete-orphan", lazy="selectin"
    )
    invited: Mapped[list[Supplier]] = relationship(secondary="tender_invitation", order_by=Supplier.id)
    framework: Mapped[Framework | None] = relationship()
    call_off_member: Mapped[Member | None] = relationship()
    call_off: Mapped[CallOff | None] = relationship()

    @property
    def is_mini_competition(self) -> bool:
        return self.framework_id is not None

    @property
    def is_national(self) -> bool:
        return self.consortium_id is None

    @property
    def sealed(self) -> bool:
        """Until it is opened no price of any bid is shown to anyone but the supplier who wrote it; a tender
        cancelled or found unsuccessful before its opening stays sealed for good."""
        return self.opened_at is None


class TenderInvitation(Model):
    tender_id: Mapped[int] = mapped_column(ForeignKey("tender.id", ondelete="CASCADE"), primary_key=True)
    supplier_id: Mapped[int] = mapped_column(ForeignKey("supplier.id"), primary_key=True, index=True)


class TenderLot(Model):
    """One line of the need: what, in which unit, how many are forecast; from a pool's pledges or typed in."""

    __table_args__ = (CheckConstraint("forecast_quantity >= 1", name="forecast_positive"),)

    id: Mapped[intpk]
    tender_id: Mapped[int] = mapped_column(ForeignKey("tender.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    unit: Mapped[str] = mapped_column(String(30))
    forecast_quantity: Mapped[int]
    vat_rate: Mapped[VatRate] = mapped_column(enum_column(VatRate))
    pool_id: Mapped[int | None] = mapped_column(ForeignKey("pool.id"), index=True)
    awarded_offer_id: Mapped[int | None] = mapped_column(ForeignKey("offer.id"))

    tender: Mapped[Tender] = relationship(back_populates="lots")


class Clarification(Model):
    """A supplier's question and the secretary's answer; bidders see both without the asker's name."""

    id: Mapped[intpk]
    tender_id: Mapped[int] = mapped_column(ForeignKey("tender.id", ondelete="CASCADE"), index=True)
    supplier_id: Mapped[int] = mapped_column(ForeignKey("supplier.id"))
    asked_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    question: Mapped[str] = mapped_column(Text)
    asked_at: Mapped[created_at]
    answer: Mapped[str | None] = mapped_column(Text)
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Bid(Model):
    """One supplier's offer for one lot: replaced in place until the submission deadline, sealed until opened."""

    __table_args__ = (
        UniqueConstraint("lot_id", "supplier_id"),
        CheckConstraint("delivery_charge_pence >= 0", name="delivery_not_negative"),
        CheckConstraint("lead_time_days >= 0", name="lead_time_not_negative"),
    )

    id: Mapped[intpk]
    tender_id: Mapped[int] = mapped_column(ForeignKey("tender.id", ondelete="CASCADE"), index=True)
    lot_id: Mapped[int] = mapped_column(ForeignKey("tender_lot.id", ondelete="CASCADE"), index=True)
    supplier_id: Mapped[int] = mapped_column(ForeignKey("supplier.id"), index=True)
    delivery_charge_pence: Mapped[int] = mapped_column(default=0)
    lead_time_days: Mapped[int] = mapped_column(default=0)
    answers: Mapped[list[str]] = mapped_column(JSON, default=list)
    submitted_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime)
    proposed: Mapped[bool] = mapped_column(default=False)  # the lot's proposed (then awarded) bid
    declined_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    supplier: Mapped[Supplier] = relationship(lazy="joined")
    tiers: Mapped[list[BidTier]] = relationship(
        order_by="BidTier.min_quantity", cascade="all, delete-orphan", lazy="selectin"
    )


class BidTier(Model):
    __table_args__ = (
        UniqueConstraint("bid_id", "min_quantity"),
        CheckConstraint("min_quantity >= 1", name="min_quantity_positive"),
        CheckConstraint("unit_price > 0", name="unit_price_positive"),
    )

    id: Mapped[intpk]
    bid_id: Mapped[int] = mapped_column(ForeignKey("bid.id", ondelete="CASCADE"), index=True)
    min_quantity: Mapped[int]
    unit_price: Mapped[price]


class Evaluator(Model):
    """A member's person named by the secretary to score the bids' quality."""

    tender_id: Mapped[int] = mapped_column(ForeignKey("tender.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), primary_key=True, index=True)

    user: Mapped[User] = relationship(lazy="joined")


class Score(Model):
    """One evaluator's quality score of one bid; no other evaluator sees it."""

    __table_args__ = (
        UniqueConstraint("bid_id", "evaluator_id"),
        CheckConstraint("quality >= 0 AND quality <= 100", name="quality_0_to_100"),
    )

    id: Mapped[intpk]
    tender_id: Mapped[int] = mapped_column(ForeignKey("tender.id", ondelete="CASCADE"), index=True)
    bid_id: Mapped[int] = mapped_column(ForeignKey("bid.id", ondelete="CASCADE"), index=True)
    evaluator_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    quality: Mapped[int]
    note: Mapped[str | None] = mapped_column(Text)
    scored_at: Mapped[datetime] = mapped_column(UTCDateTime)


class TenderRecord(Model):
    """The audit trail: who saw, scored or decided what, and when (None: the scheduled job)."""

    id: Mapped[intpk]
    tender_id: Mapped[int] = mapped_column(ForeignKey("tender.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    action: Mapped[str] = mapped_column(String(40))
    detail: Mapped[str] = mapped_column(String(REASON_MAX + 200), default="")
    at: Mapped[created_at]

    user: Mapped[User | None] = relationship(lazy="joined")
