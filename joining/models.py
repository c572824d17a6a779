"""Invitations and join applications."""

import enum
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from kernel.extensions import Model, UTCDateTime, created_at, enum_column, intpk
from kernel.lifecycle import Lifecycle, Who, move
from organisations.enums import Role, TurnoverBand
from organisations.models import SCOPE_MATCHES_ROLE, Consortium, Member, Network, Supplier, User


class Invitation(Model):
    """A person asked by email to act for an organisation in a role.

    Only the SHA-256 of the link's token is kept; sending the invitation again makes a new token,
    so an earlier link stops working. Pending means neither accepted, revoked nor expired.
    """

    __table_args__ = (CheckConstraint(SCOPE_MATCHES_ROLE, name="scope_matches_role"),)

    id: Mapped[intpk]
    email: Mapped[str] = mapped_column(String(254), index=True)
    name: Mapped[str] = mapped_column(String(100))
    role: Mapped[Role] = mapped_column(enum_column(Role))
    member_id: Mapped[int | None] = mapped_column(ForeignKey("member.id"), index=True)
    consortium_id: Mapped[int | None] = mapped_column(ForeignKey("consortium.id"), index=True)
    supplier_id: Mapped[int | None] = mapped_column(ForeignKey("supplier.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), index=True)
    created_at: Mapped[created_at]
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime)
    times_sent: Mapped[int] = mapped_column(default=1)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), index=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    member: Mapped[Member | None] = relationship(lazy="joined")
    consortium: Mapped[Consortium | None] = relationship(lazy="joined")
    supplier: Mapped[Supplier | None] = relationship(lazy="joined")
    invited_by: Mapped[User | None] = relationship(foreign_keys=[invited_by_id], lazy="joined")

    @property
    def organisation_name(self) -> str:
        scope = self.member or self.consortium or self.supplier
        return scope.name if scope is not None else "the platform"

    @property
    def role_description(self) -> str:
        return {
            Role.ADMIN: "platform admin",
            Role.MEMBER: f"user of {self.organisation_name}",
            Role.SECRETARY: f"secretary of {self.organisation_name}",
            Role.SUPPLIER: f"user of the supplier {self.organisation_name}",
        }[self.role]

    @property
    def scope_id(self) -> int | None:
        return self.member_id or self.consortium_id or self.supplier_id

    def state(self, now: datetime) -> str:
        if self.accepted_at is not None:
            return "accepted"
        if self.revoked_at is not None:
            return "revoked"
        return "expired" if self.expires_at <= now else "pending"


class ApplicationStatus(enum.Enum):
    PENDING = "pending"
    APPROVED = "approved"
    DECLINED = "declined"


class JoinApplication(Model):
    """A social enterprise asking to join a network: its details, and the person to invite if approved."""

    id: Mapped[intpk]
    network_id: Mapped[int] = mapped_column(ForeignKey("network.id"), index=True)
    status: Mapped[ApplicationStatus] = mapped_column(enum_column(ApplicationStatus), index=True)
    legal_name: Mapped[str] = mapped_column(String(200))
    address_line1: Mapped[str] = mapped_column(String(200))
    address_line2: Mapped[str | None] = mapped_column(String(200))
    city: Mapped[str] = mapped_column(String(100))
    postcode: Mapped[str] = mapped_column(String(10))
    contact_email: Mapped[str] = mapped_column(String(254), index=True)
    phone: Mapped[str | None] = mapped_column(String(30))
    vat_number: Mapped[str | None] = mapped_column(String(14))
    company_number: Mapped[str | None] = mapped_column(String(10), index=True)
    turnover_band: Mapped[TurnoverBand] = mapped_column(enum_column(TurnoverBand))
    headcount: Mapped[int] = mapped_column(default=1)
    person_name: Mapped[str] = mapped_column(String(100))
    person_email: Mapped[str] = mapped_column(String(254), index=True)
    about: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[created_at]
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    decline_reason: Mapped[str | None] = mapped_column(String(500))
    member_id: Mapped[int | None] = mapped_column(ForeignKey("member.id"))

    network: Mapped[Network] = relationship(lazy="joined")
    member: Mapped[Member | None] = relationship()

    @property
    def consortium_id(self) -> int:
        return self.network.consortium_id


def _runs_application(actor: User, application: JoinApplication) -> bool:
    return actor.is_admin or application.network.consortium_id in actor.secretary_consortium_ids


APPLICATION_LIFECYCLE: Lifecycle[ApplicationStatus] = Lifecycle(
    "join_application",
    "application",
    [
        move(ApplicationStatus.PENDING, ApplicationStatus.APPROVED, "approved", Who.RUNNER),
        move(ApplicationStatus.PENDING, ApplicationStatus.DECLINED, "declined", Who.RUNNER, needs_reason=True),
    ],
    runs=_runs_application,
    stamps={ApplicationStatus.APPROVED: "decided_at", ApplicationStatus.DECLINED: "decided_at"},
    reasons={ApplicationStatus.DECLINED: "decline_reason"},
)
