"""Policy templates in immutable versions, members' adoptions and reviews, staff acknowledgements; impact measures.

A template belongs to one consortium, or to the platform (`consortium_id` NULL: a national
template every consortium's members may adopt). Its versions move draft -> in review ->
published -> superseded (`VERSION_LIFECYCLE`); once published, a version's content never
changes: the services refuse it and so does the ORM (`_refuse_edits`).
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, String, Text, UniqueConstraint, event, inspect
from sqlalchemy.orm import Mapped, mapped_column, relationship

from kernel.extensions import Model, UTCDateTime, created_at, enum_column, intpk
from kernel.lifecycle import Lifecycle, Who, move
from organisations.models import Consortium, Member, User


class PolicyCategory(enum.Enum):
    SAFEGUARDING = "safeguarding"
    HEALTH_AND_SAFETY = "health_and_safety"
    DATA_PROTECTION = "data_protection"
    EQUALITY = "equality"
    LONE_WORKING = "lone_working"
    FINANCE = "finance"
    HR = "hr"
    GOVERNANCE = "governance"
    OTHER = "other"

    @property
    def label(self) -> str:
        return {
            "health_and_safety": "Health and safety",
            "data_protection": "Data protection",
            "lone_working": "Lone working",
            "hr": "HR",
        }.get(self.value, self.value.capitalize())


class VersionStatus(enum.Enum):
    DRAFT = "draft"
    IN_REVIEW = "in review"
    PUBLISHED = "published"
    SUPERSEDED = "superseded"


class AdoptionKind(enum.Enum):
    AS_IS = "as_is"
    LOCAL_CHANGES = "local_changes"
    NOT_APPLICABLE = "not_applicable"

    @property
    def label(self) -> str:
        return {"as_is": "adopted as is", "local_changes": "adopted with local changes"}.get(
            self.value, "not applicable"
        )

    @property
    def adopts(self) -> bool:
        return self is not AdoptionKind.NOT_APPLICABLE


class DocumentColumns:
    """An uploaded document: the storage key (library.storage), the name it was uploaded under, its checked
    type and size."""

    document_key: Mapped[str | None] = mapped_column(String(60))
    document_name: Mapped[str | None] = mapped_column(String(200))
    document_type: Mapped[str | None] = mapped_column(String(100))
    document_size: Mapped[int | None]


class PolicyTemplate(Model):
    id: Mapped[intpk]
    consortium_id: Mapped[int | None] = mapped_column(ForeignKey("consortium.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    category: Mapped[PolicyCategory] = mapped_column(enum_column(PolicyCategory), index=True)
    summary: Mapped[str | None] = mapped_column(String(1000))
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[created_at]

    consortium: Mapped[Consortium | None] = relationship()
    versions: Mapped[list[PolicyVersion]] = relationship(back_populates="template", order_by="PolicyVersion.number")

    @property
    def is_national(self) -> bool:
        return self.consortium_id is None

    @property
    def owner_name(self) -> str:
        return "National (the platform)" if self.consortium is None else self.consortium.name


class PolicyVersion(DocumentColumns, Model):
    """One version of a template: Markdown or an uploaded document, never both."""

    __table_args__ = (
        UniqueConstraint("template_id", "number"),
        CheckConstraint("number >= 1", name="number_positive"),
        CheckConstraint("(body_markdown IS NULL) <> (document_key IS NULL)", name="markdown_or_document"),
        CheckConstraint("review_by > effective_date", name="review_after_effect"),
    )

    id: Mapped[intpk]
    template_id: Mapped[int] = mapped_column(ForeignKey("policy_template.id"), index=True)
    number: Mapped[int]
    status: Mapped[VersionStatus] = mapped_column(enum_column(VersionStatus), default=VersionStatus.DRAFT, index=True)
    change_note: Mapped[str] = mapped_column(String(2000))
    effective_date: Mapped[date] = mapped_column(Date)
    review_by: Mapped[date] = mapped_column(Date)
    body_markdown: Mapped[str | None] = mapped_column(Text)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[created_at]
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    superseded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    template: Mapped[PolicyTemplate] = relationship(back_populates="versions")

    @property
    def is_markdown(self) -> bool:
        return self.body_markdown is not None

    @property
    def label(self) -> str:
        return f"version {self.number}"


class Adoption(DocumentColumns, Model):
    """A member's decision on one published version: adopted as is, with its own changed document, or not
    applicable. A later version is adopted by a new row; the latest row is the member's position."""

    __table_args__ = (
        UniqueConstraint("member_id", "version_id"),
        CheckConstraint(
            "kind = 'not_applicable' OR (board_approved_on IS NOT NULL AND next_review_on IS NOT NULL)",
            name="adoption_dated",
        ),
        CheckConstraint("(kind = 'local_changes') = (document_key IS NOT NULL)", name="local_changes_documented"),
    )

    id: Mapped[intpk]
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id"), index=True)
    template_id: Mapped[int] = mapped_column(ForeignKey("policy_template.id"), index=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("policy_version.id"), index=True)
    kind: Mapped[AdoptionKind] = mapped_column(enum_column(AdoptionKind))
    board_approved_on: Mapped[date | None] = mapped_column(Date)
    next_review_on: Mapped[date | None] = mapped_column(Date)
    adopted_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    adopted_at: Mapped[created_at]

    member: Mapped[Member] = relationship()
    version: Mapped[PolicyVersion] = relationship()
    template: Mapped[PolicyTemplate] = relationship()


class ReviewTask(Model):
    """A new version of a template a member had adopted: review it and adopt again (or say it no longer applies)
    by `due_on`. Done when the member records its decision on that version."""

    __table_args__ = (UniqueConstraint("member_id", "version_id"),)

    id: Mapped[intpk]
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id"), index=True)
    template_id: Mapped[int] = mapped_column(ForeignKey("policy_template.id"), index=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("policy_version.id"), index=True)
    previous_version_id: Mapped[int | None] = mapped_column(ForeignKey("policy_version.id"))
    due_on: Mapped[date] = mapped_column(Date)
    created_at: Mapped[created_at]
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    adoption_id: Mapped[int | None] = mapped_column(ForeignKey("adoption.id"))

    member: Mapped[Member] = relationship()
    template: Mapped[PolicyTemplate] = relationship()
    version: Mapped[PolicyVersion] = relationship(foreign_keys=[version_id])
    previous_version: Mapped[PolicyVersion | None] = relationship(foreign_keys=[previous_version_id])

    def overdue(self, today: date) -> bool:
        return self.done_at is None and self.due_on < today


class Acknowledgement(Model):
    """A member's staff member has read the exact version the member has in force."""

    __table_args__ = (UniqueConstraint("user_id", "member_id", "version_id"),)

    id: Mapped[intpk]
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id"), index=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("policy_version.id"), index=True)
    acknowledged_at: Mapped[created_at]

    user: Mapped[User] = relationship()


class ImpactMeasure(Model):
    """One thing a consortium's members count (jobs created, volunteers, people supported): the editable list."""

    __table_args__ = (UniqueConstraint("consortium_id", "name"),)

    id: Mapped[intpk]
    consortium_id: Mapped[int] = mapped_column(ForeignKey("consortium.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    unit: Mapped[str] = mapped_column(String(40))
    description: Mapped[str | None] = mapped_column(String(500))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[created_at]


class ImpactRecord(Model):
    """A member's figure for one measure over one period, with its evidence; counted once the secretary verifies it."""

    __table_args__ = (
        CheckConstraint("value >= 0", name="value_not_negative"),
        CheckConstraint("period_end >= period_start", name="period_ordered"),
    )

    id: Mapped[intpk]
    measure_id: Mapped[int] = mapped_column(ForeignKey("impact_measure.id"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id"), index=True)
    value: Mapped[int]
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    evidence: Mapped[str] = mapped_column(String(2000))
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    recorded_at: Mapped[created_at]
    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    verified_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))

    measure: Mapped[ImpactMeasure] = relationship(lazy="joined")
    member: Mapped[Member] = relationship()


def runs_template(user: User, subject: PolicyTemplate | PolicyVersion) -> bool:
    """Admins run every template (national ones only they); a secretary their consortium's."""
    template = subject.template if isinstance(subject, PolicyVersion) else subject
    if user.is_admin:
        return True
    return template.consortium_id is not None and template.consortium_id in user.secretary_consortium_ids


VERSION_LIFECYCLE: Lifecycle[VersionStatus] = Lifecycle(
    "policy_version",
    "policy version",
    [
        move(VersionStatus.DRAFT, VersionStatus.IN_REVIEW, "sent for review", Who.RUNNER),
        move(VersionStatus.IN_REVIEW, VersionStatus.DRAFT, "returned to draft", Who.RUNNER),
        move(
            VersionStatus.IN_REVIEW,
            VersionStatus.PUBLISHED,
            "published",
            Who.RUNNER,
            hint="Send a draft for review first.",
        ),
        # Publishing the next version supersedes this one (library.services.publish).
        move(VersionStatus.PUBLISHED, VersionStatus.SUPERSEDED, "superseded", Who.SYSTEM),
    ],
    runs=runs_template,
    stamps={
        VersionStatus.IN_REVIEW: "submitted_at",
        VersionStatus.PUBLISHED: "published_at",
        VersionStatus.SUPERSEDED: "superseded_at",
    },
)


class PublishedVersionChanged(RuntimeError):
    """A program tried to change or delete a published version; a change is a new version."""


_MOVING_COLUMNS = {"status", "superseded_at"}
_FIXED = (VersionStatus.PUBLISHED, VersionStatus.SUPERSEDED)


def _status_before(target: PolicyVersion) -> VersionStatus:
    history = inspect(target).attrs.status.history
    return history.deleted[0] if history.deleted else target.status


def _refuse_edits(mapper, connection, target: PolicyVersion) -> None:
    if _status_before(target) not in _FIXED:
        return
    state = inspect(target)
    changed = {c.key for c in mapper.column_attrs if state.attrs[c.key].history.has_changes()} - _MOVING_COLUMNS
    if changed:
        raise PublishedVersionChanged(f"A published policy version never changes ({', '.join(sorted(changed))}).")


def _refuse_deletes(mapper, connection, target: PolicyVersion) -> None:
    if _status_before(target) in _FIXED:
        raise PublishedVersionChanged("A published policy version is never deleted.")


event.listen(PolicyVersion, "before_update", _refuse_edits)
event.listen(PolicyVersion, "before_delete", _refuse_deletes)
