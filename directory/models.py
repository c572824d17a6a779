"""The buy-social directory: skill categories and members' skills register, social-enterprise verifications,
and enquiries to listed members.

An enquiry moves open -> replied -> closed, or open -> closed (`ENQUIRY_LIFECYCLE`); closing records
the outcome (won, lost, no reply). A verification is a dated record of the secretary's check; the
mark shows while the member's latest verification met every criterion and has not expired (read
at request time, so nothing has to run for a mark to lapse).
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from directory.levels import SkillLevel
from kernel.extensions import Model, UTCDateTime, created_at, enum_column, intpk
from kernel.lifecycle import Lifecycle, Who, move
from library.models import DocumentColumns
from organisations.models import Member, User

MAX_SPARE_HOURS = 744  # the hours of a 31-day month


class SkillCategory(Model):
    """One entry of the maintained list of skill categories, with the level a consortium wants at least one
    person at (below it, or nobody, is a gap)."""

    id: Mapped[intpk]
    name: Mapped[str] = mapped_column(String(80), unique=True)
    wanted_level: Mapped[SkillLevel] = mapped_column(enum_column(SkillLevel), default=SkillLevel.WORKING)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[created_at]


class Skill(Model):
    """One person's skill at a member, self-assessed, with the hours they could spare for peers each month."""

    __table_args__ = (
        UniqueConstraint("member_id", "person_name", "category_id"),
        CheckConstraint(f"spare_hours_per_month BETWEEN 0 AND {MAX_SPARE_HOURS}", name="spare_hours_in_month"),
    )

    id: Mapped[intpk]
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id"), index=True)
    person_name: Mapped[str] = mapped_column(String(100))
    category_id: Mapped[int] = mapped_column(ForeignKey("skill_category.id"), index=True)
    level: Mapped[SkillLevel] = mapped_column(enum_column(SkillLevel))
    spare_hours_per_month: Mapped[int] = mapped_column(default=0)
    note: Mapped[str | None] = mapped_column(String(300))
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[created_at]

    member: Mapped[Member] = relationship()
    category: Mapped[SkillCategory] = relationship(lazy="joined")


class Verification(DocumentColumns, Model):
    """A secretary's check of a member's social-enterprise criteria, with evidence and an expiry."""

    __table_args__ = (CheckConstraint("expires_on > checked_on", name="expires_after_check"),)

    id: Mapped[intpk]
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id"), index=True)
    asset_lock: Mapped[bool]
    mission: Mapped[bool]
    reinvestment: Mapped[bool]
    evidence_note: Mapped[str] = mapped_column(Text)
    checked_on: Mapped[date] = mapped_column(Date)
    expires_on: Mapped[date] = mapped_column(Date, index=True)
    checked_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[created_at]

    member: Mapped[Member] = relationship()
    checked_by: Mapped[User] = relationship()

    @property
    def criteria_met(self) -> bool:
        return self.asset_lock and self.mission and self.reinvestment

    def verified_on(self, today: date) -> bool:
        return self.criteria_met and self.checked_on <= today <= self.expires_on


class EnquiryStatus(enum.Enum):
    OPEN = "open"
    REPLIED = "replied"
    CLOSED = "closed"


class Outcome(enum.Enum):
    WON = "won"
    LOST = "lost"
    NO_REPLY = "no_reply"

    @property
    def label(self) -> str:
        return {"won": "Won: it led to business", "lost": "Lost: no business came of it"}.get(self.value, "No reply")


class Enquiry(Model):
    """A question from anyone with an account to a listed member, tracked to a reply and an outcome."""

    __table_args__ = (
        CheckConstraint("(status = 'closed') = (outcome IS NOT NULL)", name="closed_with_outcome"),
        CheckConstraint("status = 'closed' OR (status = 'open') = (reply IS NULL)", name="replied_with_reply"),
    )

    id: Mapped[intpk]
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id"), index=True)
    sender_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[EnquiryStatus] = mapped_column(enum_column(EnquiryStatus), default=EnquiryStatus.OPEN, index=True)
    reply: Mapped[str | None] = mapped_column(Text)
    replied_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    replied_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    outcome: Mapped[Outcome | None] = mapped_column(enum_column(Outcome))
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[created_at]

    member: Mapped[Member] = relationship()
    sender: Mapped[User] = relationship(foreign_keys=[sender_id])


def is_party(user: User, enquiry: Enquiry) -> bool:
    """The sender, the member's people, or an admin: who may see an enquiry and close it."""
    return user.is_admin or user.id == enquiry.sender_id or enquiry.member_id in user.member_ids


ENQUIRY_LIFECYCLE: Lifecycle[EnquiryStatus] = Lifecycle(
    "enquiry",
    "enquiry",
    [
        move(EnquiryStatus.OPEN, EnquiryStatus.REPLIED, "replied to", Who.RUNNER),
        move((EnquiryStatus.OPEN, EnquiryStatus.REPLIED), EnquiryStatus.CLOSED, "closed", Who.RUNNER),
    ],
    runs=is_party,
    stamps={EnquiryStatus.REPLIED: "replied_at", EnquiryStatus.CLOSED: "closed_at"},
)
