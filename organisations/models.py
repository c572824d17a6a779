"""Organisations, people and what each person may do."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from flask import current_app
from flask_login import UserMixin
from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, Numeric, String, Text, UniqueConstraint, false, text
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from kernel.extensions import Model, UTCDateTime, created_at, enum_column, intpk
from organisations.enums import Role, TurnoverBand
from organisations.peppol import Participant, vat_participant


class Organisation(Model):
    """A legal entity: a consortium, a member, a supplier, or a member that also sells."""

    __table_args__ = (CheckConstraint("(peppol_scheme IS NULL) = (peppol_id IS NULL)", name="peppol_id_has_a_scheme"),)

    id: Mapped[intpk]
    legal_name: Mapped[str] = mapped_column(String(200), index=True)  # lists of members are by name
    address_line1: Mapped[str] = mapped_column(String(200))
    address_line2: Mapped[str | None] = mapped_column(String(200))
    city: Mapped[str] = mapped_column(String(100))
    postcode: Mapped[str] = mapped_column(String(10))
    contact_email: Mapped[str] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(30))
    vat_number: Mapped[str | None] = mapped_column(String(14))
    company_number: Mapped[str | None] = mapped_column(String(10))
    peppol_scheme: Mapped[str | None] = mapped_column(String(4))  # see organisations.peppol
    peppol_id: Mapped[str | None] = mapped_column(String(50))
    is_social_enterprise: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[created_at]

    @property
    def address_lines(self) -> list[str]:
        return [line for line in (self.address_line1, self.address_line2, self.city, self.postcode) if line]

    @property
    def peppol_participant(self) -> Participant | None:
        """Where Peppol documents reach it: its own Peppol ID, else its VAT number (scheme 9932)."""
        if self.peppol_scheme and self.peppol_id:
            return Participant(self.peppol_scheme, self.peppol_id)
        return vat_participant(self.vat_number)


class Consortium(Model):
    id: Mapped[intpk]
    name: Mapped[str] = mapped_column(String(100), unique=True)
    code: Mapped[str] = mapped_column(String(5), unique=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), unique=True)
    send_orders_on_close: Mapped[bool] = mapped_column(default=False)
    handling_fee_percent: Mapped[Decimal] = mapped_column(Numeric(5, 2), default=Decimal(0))
    payment_terms_days: Mapped[int] = mapped_column(default=30)
    bank_account_name: Mapped[str | None] = mapped_column(String(100))
    bank_sort_code: Mapped[str | None] = mapped_column(String(8))  # 6 digits, no dashes
    bank_account_number: Mapped[str | None] = mapped_column(String(8))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[created_at]

    organisation: Mapped[Organisation] = relationship(lazy="joined")
    networks: Mapped[list[Network]] = relationship(back_populates="consortium", order_by="Network.name")


class Network(Model):
    __table_args__ = (UniqueConstraint("consortium_id", "name"),)

    id: Mapped[intpk]
    name: Mapped[str] = mapped_column(String(100))
    consortium_id: Mapped[int] = mapped_column(ForeignKey("consortium.id"), index=True)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[created_at]

    consortium: Mapped[Consortium] = relationship(back_populates="networks", lazy="joined")
    members: Mapped[list[Member]] = relationship(back_populates="network")


class Member(Model):
    __table_args__ = (CheckConstraint("headcount >= 0", name="headcount_not_negative"),)

    id: Mapped[intpk]
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), unique=True)
    network_id: Mapped[int] = mapped_column(ForeignKey("network.id"), index=True)
    headcount: Mapped[int] = mapped_column(default=1)
    turnover_band: Mapped[TurnoverBand] = mapped_column(enum_column(TurnoverBand))
    billing_email: Mapped[str | None] = mapped_column(String(254))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[created_at]

    organisation: Mapped[Organisation] = relationship(lazy="joined")
    network: Mapped[Network] = relationship(back_populates="members", lazy="joined")

    @property
    def name(self) -> str:
        return self.organisation.legal_name

    @property
    def consortium_id(self) -> int:
        return self.network.consortium_id


class Supplier(Model):
    id: Mapped[intpk]
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), unique=True)
    description: Mapped[str | None] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[created_at]

    organisation: Mapped[Organisation] = relationship(lazy="joined")

    @property
    def name(self) -> str:
        return self.organisation.legal_name

    @property
    def buy_social(self) -> bool:
        return self.organisation.is_social_enterprise


class User(UserMixin, Model):
    id: Mapped[intpk]
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[created_at]

    grants: Mapped[list[RoleGrant]] = relationship(back_populates="user", lazy="selectin", cascade="all, delete-orphan")
    two_factor: Mapped[TwoFactor | None] = relationship(cascade="all, delete-orphan")

    def get_id(self) -> str:
        """Flask-Login's "alternative token": the cookie names this sign-in's session (see organisations.accounts),
        not the user, so deleting the session's row signs that cookie out on every host."""
        return str(self.__dict__.get("sign_in_key") or f"user-{self.id}")

    def signed_in_with(self, key: str) -> User:
        """Marks this loaded user as acting through the sign-in session `key` names (not a mapped column)."""
        self.__dict__["sign_in_key"] = key
        return self

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password, method=current_app.config["PASSWORD_HASH_METHOD"])

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def needs_two_factor(self) -> bool:
        """Admins and secretaries move money: they sign in with a second factor."""
        return self.has_role(Role.ADMIN, Role.SECRETARY)

    @property
    def has_two_factor(self) -> bool:
        return self.two_factor is not None

    @property
    def is_admin(self) -> bool:
        return any(g.role is Role.ADMIN for g in self.grants)

    def has_role(self, *roles: Role) -> bool:
        return any(g.role in roles for g in self.grants)

    @property
    def member_ids(self) -> set[int]:
        return {g.member_id for g in self.grants if g.role is Role.MEMBER and g.member_id is not None}

    @property
    def secretary_consortium_ids(self) -> set[int]:
        return {g.consortium_id for g in self.grants if g.role is Role.SECRETARY and g.consortium_id is not None}

    @property
    def supplier_ids(self) -> set[int]:
        return {g.supplier_id for g in self.grants if g.role is Role.SUPPLIER and g.supplier_id is not None}


# A role's scope: a member for a member's role, a consortium for a secretary's, a supplier for a supplier's.
SCOPE_MATCHES_ROLE = (
    "(role = 'admin' AND member_id IS NULL AND consortium_id IS NULL AND supplier_id IS NULL)"
    " OR (role = 'member' AND member_id IS NOT NULL AND consortium_id IS NULL AND supplier_id IS NULL)"
    " OR (role = 'secretary' AND consortium_id IS NOT NULL AND member_id IS NULL AND supplier_id IS NULL)"
    " OR (role = 'supplier' AND supplier_id IS NOT NULL AND member_id IS NULL AND consortium_id IS NULL)"
)


class RoleGrant(Model):
    """One role for one user, scoped to the organisation the role is about."""

    __table_args__ = (CheckConstraint(SCOPE_MATCHES_ROLE, name="scope_matches_role"),)

    id: Mapped[intpk]
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    role: Mapped[Role] = mapped_column(enum_column(Role))
    member_id: Mapped[int | None] = mapped_column(ForeignKey("member.id"), index=True)
    consortium_id: Mapped[int | None] = mapped_column(ForeignKey("consortium.id"), index=True)
    supplier_id: Mapped[int | None] = mapped_column(ForeignKey("supplier.id"), index=True)
    created_at: Mapped[created_at]

    user: Mapped[User] = relationship(back_populates="grants")
    member: Mapped[Member | None] = relationship()
    consortium: Mapped[Consortium | None] = relationship()
    supplier: Mapped[Supplier | None] = relationship()

    @property
    def scope_id(self) -> int | None:
        return self.member_id or self.consortium_id or self.supplier_id

    @property
    def description(self) -> str:
        scope = self.member or self.consortium or self.supplier
        return f"{self.role.value} of {scope.name}" if scope else self.role.value


class ApiToken(Model):
    """A bearer token; only its SHA-256 is kept, the token itself is shown once."""

    id: Mapped[intpk]
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(12))
    created_at: Mapped[created_at]
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    read_only: Mapped[bool] = mapped_column(default=False, server_default=false())

    user: Mapped[User] = relationship(lazy="joined")


class TwoFactor(Model):
    """A user's authenticator app, once set up: the shared secret, and the last 30-second step whose
    code was accepted, so no code works twice."""

    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), primary_key=True)
    secret: Mapped[str] = mapped_column(String(32))
    last_step: Mapped[int | None]
    created_at: Mapped[created_at]


class SignInSession(Model):
    """One sign-in on one device. The browser's cookie holds a random key whose SHA-256 is kept here;
    deleting the row ends that session on every host at once."""

    id: Mapped[intpk]
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[created_at]
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime)
    address: Mapped[str] = mapped_column(String(45))
    device: Mapped[str] = mapped_column(String(200))
    # The password was right but the authenticator code is still to come: not signed in yet.
    awaiting_code: Mapped[bool] = mapped_column(default=False)

    user: Mapped[User] = relationship()


class RecoveryCode(Model):
    """A single-use code that stands in for the authenticator app; only its hash is kept."""

    __table_args__ = (UniqueConstraint("user_id", "code_hash"),)

    id: Mapped[intpk]
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    code_hash: Mapped[str] = mapped_column(String(64))
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class OutboxMessage(Model):
    """An email written in the same transaction as the change it tells of; a sender delivers it later.

    `dedupe_key` names the event, so one event never enqueues two messages.
    """

    id: Mapped[intpk]
    kind: Mapped[str] = mapped_column(String(40))
    to_email: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(200))
    body_text: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    consortium_id: Mapped[int | None] = mapped_column(ForeignKey("consortium.id"), index=True)
    created_at: Mapped[created_at]
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    failed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    unsubscribe_url: Mapped[str | None] = mapped_column(String(500))
    dedupe_key: Mapped[str | None] = mapped_column(String(120), unique=True)

    consortium: Mapped[Consortium | None] = relationship()

    @property
    def state(self) -> str:
        if self.sent_at is not None:
            return "sent"
        if self.failed_at is not None:
            return "failed"
        return "retrying" if self.attempts else "not sent"


class OutboxEvent(Model):
    """Something members or suppliers are to be told of, written in the transaction of the change.

    One row however many people it reaches: the sender expands it into one OutboxMessage per
    user and choice, rendering each, in a transaction of its own. `subject_id` names the pool,
    order, invoice, payment or service the event is about; `detail` holds what the messages
    must state as it was at the time (a tier reached, a stage overdue).
    """

    id: Mapped[intpk]
    kind: Mapped[str] = mapped_column(String(40))
    subject_id: Mapped[int]
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    dedupe_key: Mapped[str] = mapped_column(String(120), unique=True)
    created_at: Mapped[created_at]
    expanded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    messages: Mapped[int | None]
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    failed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        Index(
            "ix_outbox_event_waiting",
            "id",
            postgresql_where=text("expanded_at IS NULL AND failed_at IS NULL"),
            sqlite_where=text("expanded_at IS NULL AND failed_at IS NULL"),
        ),
    )

    @property
    def state(self) -> str:
        if self.expanded_at is not None:
            return "written"
        if self.failed_at is not None:
            return "failed"
        return "retrying" if self.attempts else "waiting"


class NotificationOptOut(Model):
    """One kind of notification a user has switched off; no row means the user gets it."""

    __table_args__ = (UniqueConstraint("user_id", "kind"),)

    id: Mapped[intpk]
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[created_at]
