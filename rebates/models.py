"""Rebate agreements with suppliers, their tiers, and each member's eligible volume and share.

An agreement runs over one period. At its end `claim-rebates` reads the invoices into one
`RebateShare` row per eligible member (its spend and units) and records the claim; once the
secretary records the supplier's payment, the shares are worked out and paid or credited.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, Column, Date, ForeignKey, Numeric, String, Table, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from billing.models import CreditNote
from catalogue.models import Category, Offer
from kernel.extensions import Model, UTCDateTime, created_at, enum_column, intpk
from kernel.lifecycle import Lifecycle, Who, move
from organisations.models import Consortium, Member, Network, Supplier, User
from rebates.calculation import Basis, Method, Tier

percent = Numeric(7, 4)


class RebateStatus(enum.Enum):
    ACTIVE = "active"  # the period runs (or has ended and waits for the claim run)
    CLAIMED = "claimed"  # computed and claimed from the supplier
    RECEIVED = "received"  # the supplier paid; the secretary recorded it
    SHARED = "shared"  # shared out to the members
    CANCELLED = "cancelled"


class ShareRoute(enum.Enum):
    CREDIT_NOTE = "credit_note"
    PAYMENT = "payment"

    @property
    def label(self) -> str:
        return {"credit_note": "credit note", "payment": "payment to the member"}[self.value]


rebate_offer = Table(
    "rebate_offer",
    Model.metadata,
    Column("rebate_agreement_id", ForeignKey("rebate_agreement.id", ondelete="CASCADE"), primary_key=True),
    Column("offer_id", ForeignKey("offer.id"), primary_key=True),
)


class RebateAgreement(Model):
    """A supplier's rebate on cumulative volume over one period, for one consortium, one network or nationally."""

    __table_args__ = (
        CheckConstraint("period_end >= period_start", name="period_in_order"),
        CheckConstraint("retention_percent >= 0 AND retention_percent <= 100", name="retention_is_a_percent"),
        CheckConstraint("network_id IS NULL OR consortium_id IS NOT NULL", name="network_within_consortium"),
    )

    id: Mapped[intpk]
    name: Mapped[str] = mapped_column(String(200))
    supplier_id: Mapped[int] = mapped_column(ForeignKey("supplier.id"), index=True)
    consortium_id: Mapped[int | None] = mapped_column(ForeignKey("consortium.id"), index=True)  # None: national
    network_id: Mapped[int | None] = mapped_column(ForeignKey("network.id"), index=True)
    category_id: Mapped[int | None] = mapped_column(ForeignKey("category.id"))
    basis: Mapped[Basis] = mapped_column(enum_column(Basis))
    method: Mapped[Method] = mapped_column(enum_column(Method))
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date, index=True)
    share_route: Mapped[ShareRoute] = mapped_column(enum_column(ShareRoute))
    retention_percent: Mapped[Decimal] = mapped_column(percent, default=Decimal(0))
    retention_note: Mapped[str | None] = mapped_column(String(500))
    retention_set_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    retention_set_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    status: Mapped[RebateStatus] = mapped_column(enum_column(RebateStatus), default=RebateStatus.ACTIVE, index=True)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[created_at]
    # The claim, set by the claim run at the period's end.
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    spend_pence: Mapped[int | None]
    units: Mapped[int | None]
    tier_threshold: Mapped[int | None]
    rebate_pence: Mapped[int | None]
    # What the supplier paid, and how it was shared.
    received_pence: Mapped[int | None]
    received_on: Mapped[date | None] = mapped_column(Date)
    received_reference: Mapped[str | None] = mapped_column(String(140))
    received_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    retained_pence: Mapped[int | None]
    shared_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancel_reason: Mapped[str | None] = mapped_column(String(500))

    supplier: Mapped[Supplier] = relationship(lazy="joined")
    consortium: Mapped[Consortium | None] = relationship()
    network: Mapped[Network | None] = relationship()
    category: Mapped[Category | None] = relationship()
    offers: Mapped[list[Offer]] = relationship(secondary=rebate_offer, order_by="Offer.name")
    retention_set_by: Mapped[User | None] = relationship(foreign_keys=[retention_set_by_id])
    tiers: Mapped[list[RebateTier]] = relationship(order_by="RebateTier.threshold", cascade="all, delete-orphan")

    @property
    def is_national(self) -> bool:
        return self.consortium_id is None

    @property
    def scope_label(self) -> str:
        if self.network is not None:
            return f"{self.network.name} network"
        return self.consortium.name if self.consortium is not None else "national"

    @property
    def rule(self) -> list[Tier]:
        return [Tier(t.threshold, t.rate) for t in self.tiers]

    @property
    def volume(self) -> int | None:
        return self.spend_pence if self.basis is Basis.SPEND else self.units


class RebateTier(Model):
    """From `threshold` (pence of spend or units) the `rate` applies: a percent of spend, or pence per unit."""

    __table_args__ = (
        UniqueConstraint("rebate_agreement_id", "threshold"),
        CheckConstraint("threshold >= 0", name="threshold_not_negative"),
        CheckConstraint("rate > 0", name="rate_positive"),
    )

    id: Mapped[intpk]
    rebate_agreement_id: Mapped[int] = mapped_column(ForeignKey("rebate_agreement.id", ondelete="CASCADE"), index=True)
    threshold: Mapped[int]
    rate: Mapped[Decimal] = mapped_column(Numeric(12, 4))


class RebateShare(Model):
    """One member's eligible spend and units in a claimed period, and its share once the rebate is shared."""

    __table_args__ = (
        UniqueConstraint("rebate_agreement_id", "member_id"),
        CheckConstraint("share_pence IS NULL OR share_pence >= 0", name="share_not_negative"),
    )

    id: Mapped[intpk]
    rebate_agreement_id: Mapped[int] = mapped_column(ForeignKey("rebate_agreement.id"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id"), index=True)
    consortium_id: Mapped[int] = mapped_column(ForeignKey("consortium.id"), index=True)
    spend_pence: Mapped[int]
    units: Mapped[int]
    share_pence: Mapped[int | None]
    route: Mapped[ShareRoute | None] = mapped_column(enum_column(ShareRoute))
    credit_note_id: Mapped[int | None] = mapped_column(ForeignKey("credit_note.id"))
    paid_reference: Mapped[str | None] = mapped_column(String(140))

    agreement: Mapped[RebateAgreement] = relationship()
    member: Mapped[Member] = relationship()
    credit_note: Mapped[CreditNote | None] = relationship()


def _runs(user: User, agreement: RebateAgreement) -> bool:
    if agreement.consortium_id is None:
        return user.is_admin
    return user.is_admin or agreement.consortium_id in user.secretary_consortium_ids


REBATE_LIFECYCLE: Lifecycle[RebateStatus] = Lifecycle(
    "rebate",
    "rebate agreement",
    [
        move(RebateStatus.ACTIVE, RebateStatus.CLAIMED, "claimed", Who.SYSTEM),
        move(RebateStatus.CLAIMED, RebateStatus.RECEIVED, "recorded received", Who.RUNNER),
        move(RebateStatus.RECEIVED, RebateStatus.SHARED, "shared", Who.RUNNER),
        move(RebateStatus.ACTIVE, RebateStatus.CANCELLED, "cancelled", Who.RUNNER, needs_reason=True),
    ],
    runs=_runs,
    stamps={
        RebateStatus.CLAIMED: "claimed_at",
        RebateStatus.RECEIVED: "received_at",
        RebateStatus.SHARED: "shared_at",
        RebateStatus.CANCELLED: "cancelled_at",
    },
    reasons={RebateStatus.CANCELLED: "cancel_reason"},
)
