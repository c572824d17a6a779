"""Inviting people to act for an organisation, and deciding applications to join a network.

Who may invite whom is decided here, from organisations.access: an admin anyone to anything; a
consortium's secretary people to its members; a member's or a supplier's own people to it.
"""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from sqlalchemy import ColumnElement, Select, false, func, or_, select, true

from joining.models import APPLICATION_LIFECYCLE, ApplicationStatus, Invitation, JoinApplication
from kernel.clock import utcnow
from kernel.errors import Conflict, Forbidden, NotFound, ValidationFailed
from kernel.extensions import db
from organisations import audit, outbox, services
from organisations.access import can_act_for_consortium, can_act_for_member, can_act_for_supplier
from organisations.models import Consortium, Member, Network, Organisation, Role, Supplier, User
from organisations.notifications import external_url
from organisations.passwords import check_new_password

INVITATION_KIND = "invitation"
DECLINED_KIND = "application_declined"
# Who may invite whom


def may_invite(actor: User, role: Role, scope_id: int | None) -> bool:
    if actor.is_admin:
        return True
    if role is Role.MEMBER and scope_id is not None:
        member = db.session.get(Member, scope_id)
        return member is not None and (
            can_act_for_member(actor, member) or can_act_for_consortium(actor, member.network.consortium_id)
        )
    if role is Role.SUPPLIER and scope_id is not None:
        return can_act_for_supplier(actor, scope_id)
    return False


@dataclass(frozen=True)
class Invitable:
    """What the actor may invite people to act for, as queries its chooser cuts to a search (kernel.web.pick)."""

    admin: bool
    members: Select
    consortia: Select | None
    suppliers: Select


def invitable(actor: User) -> Invitable:
    members = (
        select(Member)
        .join(Network, Network.id == Member.network_id)
        .join(Organisation, Organisation.id == Member.organisation_id)
        .where(Member.active)
        .order_by(Organisation.legal_name, Member.id)
    )
    suppliers = (
        select(Supplier)
        .join(Organisation, Organisation.id == Supplier.organisation_id)
        .where(Supplier.active)
        .order_by(Organisation.legal_name, Supplier.id)
    )
    if actor.is_admin:
        consortia = select(Consortium).where(Consortium.active).order_by(Consortium.name, Consortium.id)
        return Invitable(True, members, consortia, suppliers)
    members = members.where(
        or_(
            Member.id.in_(actor.member_ids or {-1}),
            Network.consortium_id.in_(actor.secretary_consortium_ids or {-1}),
        )
    )
    return Invitable(False, members, None, suppliers.where(Supplier.id.in_(actor.supplier_ids or {-1})))


def open_networks() -> Select:
    return (
        select(Network)
        .join(Consortium)
        .where(Network.active, Consortium.active)
        .order_by(Consortium.name, Network.name, Network.id)
    )


def _invitations_seen_by(actor: User) -> ColumnElement[bool]:
    if actor.is_admin:
        return true()
    members_run = (
        select(Member.id).join(Network).where(Network.consortium_id.in_(actor.secretary_consortium_ids or {-1}))
    )
    return or_(
        Invitation.member_id.in_(actor.member_ids or {-1}),
        Invitation.member_id.in_(members_run),
        Invitation.supplier_id.in_(actor.supplier_ids or {-1}),
    )


def pending_invitations(actor: User) -> Select:
    """Invitations not yet accepted or revoked (expired ones too, so they can be sent again), newest first."""
    return (
        select(Invitation)
        .where(_invitations_seen_by(actor), Invitation.accepted_at.is_(None), Invitation.revoked_at.is_(None))
        .order_by(Invitation.sent_at.desc(), Invitation.id.desc())
    )


def invitation_for(actor: User, invitation_id: int) -> Invitation:
    invitation = db.session.scalar(
        select(Invitation).where(Invitation.id == invitation_id, _invitations_seen_by(actor))
    )
    if invitation is None:
        raise NotFound("No such invitation.")
    return invitation


# Sending, resending, revoking


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _lifetime() -> timedelta:
    return timedelta(days=current_app.config["INVITATION_DAYS"])


def _consortium_of(invitation: Invitation) -> Consortium | None:
    if invitation.member is not None:
        return invitation.member.network.consortium
    return invitation.consortium


def invite(actor: User | None, email: str, name: str, role: Role, scope_id: int | None) -> Invitation:
    """Emails a single-use link; `actor` None is the application (an approved application's first user)."""
    if actor is not None and not may_invite(actor, role, scope_id):
        raise Forbidden("You cannot invite people to act for that organisation.")
    email, name = services.normalise_email(email), (name or "").strip()
    if not name:
        raise ValidationFailed.field("name", "Enter the person's name.")
    _check_scope(role, scope_id)
    existing = services.user_by_email(email)
    if existing is not None and any(g.role is role and g.scope_id == scope_id for g in existing.grants):
        raise Conflict(f"{email} already has that role for that organisation.")
    if db.session.scalar(
        select(Invitation.id).where(
            Invitation.email == email,
            Invitation.role == role,
            *(getattr(Invitation, column) == value for column, value in _scope(role, scope_id).items()),
            Invitation.accepted_at.is_(None),
            Invitation.revoked_at.is_(None),
            Invitation.expires_at > utcnow(),
        )
    ):
        raise Conflict(f"{email} already has a pending invitation for that role; send it again from the list instead.")
    invitation = Invitation(
        email=email,
        name=name,
        role=role,
        invited_by_id=actor.id if actor is not None else None,
        token_hash="",
        sent_at=utcnow(),
        expires_at=utcnow(),
        **_scope(role, scope_id),
    )
    db.session.add(invitation)
    db.session.flush()
    _send(invitation, actor)
    audit.record(actor, "invitation_sent", f"{email} as {invitation.role_description}", _consortium_id(invitation))
    return invitation


_SCOPE_COLUMNS = {
    Role.ADMIN: None,
    Role.MEMBER: "member_id",
    Role.SECRETARY: "consortium_id",
    Role.SUPPLIER: "supplier_id",
}
_SCOPE_MODELS = {Role.MEMBER: Member, Role.SECRETARY: Consortium, Role.SUPPLIER: Supplier}


def _scope(role: Role, scope_id: int | None) -> dict[str, int | None]:
    """The invitation's organisation column for the role: {"member_id": 3}, or none for an admin."""
    column = _SCOPE_COLUMNS[role]
    return {column: scope_id} if column is not None else {}


def _check_scope(role: Role, scope_id: int | None) -> None:
    model = _SCOPE_MODELS.get(role)
    if model is not None and (scope_id is None or db.session.get(model, scope_id) is None):
        raise ValidationFailed.field("organisation", "Choose the organisation the person will act for.")


def _consortium_id(invitation: Invitation) -> int | None:
    consortium = _consortium_of(invitation)
    return consortium.id if consortium is not None else None


def _send(invitation: Invitation, actor: User | None) -> None:
    """A new token and expiry, and the email with the link; earlier links stop working."""
    token = secrets.token_urlsafe(32)
    invitation.token_hash = _hash(token)
    invitation.sent_at = utcnow()
    invitation.expires_at = invitation.sent_at + _lifetime()
    db.session.flush()
    consortium = _consortium_of(invitation)
    outbox.enqueue(
        INVITATION_KIND,
        invitation.email,
        f"You are invited to act for {invitation.organisation_name} on the Consortia Marketplace",
        "invitation",
        {
            "invitation": invitation,
            "inviter": actor,
            "accept_url": external_url("joining.accept_invitation", token=token),
        },
        consortium=consortium,
        dedupe_key=f"invitation:{invitation.id}:{invitation.times_sent}",
    )


def resend(actor: User, invitation: Invitation) -> Invitation:
    _require_open(invitation)
    if not may_invite(actor, invitation.role, invitation.scope_id):
        raise Forbidden("You cannot invite people to act for that organisation.")
    invitation.times_sent += 1
    _send(invitation, actor)
    audit.record(
        actor, "invitation_resent", f"{invitation.email} as {invitation.role_description}", _consortium_id(invitation)
    )
    return invitation


def revoke(actor: User, invitation: Invitation) -> Invitation:
    _require_open(invitation)
    if not may_invite(actor, invitation.role, invitation.scope_id):
        raise Forbidden("You cannot revoke invitations to that organisation.")
    invitation.revoked_at = utcnow()
    db.session.flush()
    audit.record(
        actor, "invitation_revoked", f"{invitation.email} as {invitation.role_description}", _consortium_id(invitation)
    )
    return invitation


def _require_open(invitation: Invitation) -> None:
    if invitation.accepted_at is not None:
        raise Conflict("This invitation has been accepted already.")
    if invitation.revoked_at is not None:
        raise Conflict("This invitation was revoked.")


# Accepting


def invitation_by_token(token: str) -> Invitation:
    """The pending invitation a link names; the same 404 for a wrong, used, revoked or expired link."""
    invitation = db.session.scalar(select(Invitation).where(Invitation.token_hash == _hash(token)))
    if invitation is None or invitation.state(utcnow()) != "pending":
        raise NotFound("This invitation link is not valid: it may have been used, revoked or have expired.")
    return invitation


def existing_user(invitation: Invitation) -> User | None:
    return services.user_by_email(invitation.email)


def accept(invitation: Invitation, password: str) -> User:
    """Grants the role: a new person sets their password (held to the password policy), someone with an
    account confirms theirs."""
    user = existing_user(invitation)
    if user is not None:
        if not user.active or not user.check_password(password):
            raise ValidationFailed.field("password", "That is not the password of this account.")
    else:
        problems = check_new_password(password, [invitation.name, invitation.email])
        if problems:
            raise ValidationFailed("Choose a stronger password.", {"password": problems})
        user = services.save_user({"email": invitation.email, "name": invitation.name, "password": password})
    services.grant_role(user, invitation.role, invitation.scope_id)
    invitation.accepted_at = utcnow()
    invitation.user_id = user.id
    db.session.flush()
    audit.record(
        user, "invitation_accepted", f"{user.email} as {invitation.role_description}", _consortium_id(invitation)
    )
    return user


# Applications to join a network


APPLICATION_FIELDS = (
    "legal_name",
    "address_line1",
    "address_line2",
    "city",
    "postcode",
    "contact_email",
    "phone",
    "vat_number",
    "company_number",
    "turnover_band",
    "headcount",
    "person_name",
    "person_email",
    "about",
)


def submit_application(data: dict) -> JoinApplication:
    """A new pending application, refused when the email or company number is already a member's or pending."""
    network = db.session.get(Network, data["network_id"])
    if network is None or not network.active or not network.consortium.active:
        raise ValidationFailed.field("network_id", "Choose a network from the list.")
    values = {name: data.get(name) for name in APPLICATION_FIELDS}
    for name, value in values.items():
        if isinstance(value, str):
            values[name] = value.strip() or None
    values["contact_email"] = services.normalise_email(values["contact_email"] or "")
    values["person_email"] = services.normalise_email(values["person_email"] or "")
    values["postcode"] = (values["postcode"] or "").upper()
    if values["vat_number"]:
        values["vat_number"] = "".join(values["vat_number"].split()).upper()
    if values["company_number"]:
        values["company_number"] = "".join(values["company_number"].split()).upper()
    _refuse_duplicates(values)
    application = JoinApplication(network=network, status=ApplicationStatus.PENDING, **values)
    db.session.add(application)
    db.session.flush()
    return application


DUPLICATE_EMAIL = (
    "An application or membership with this email already exists; the network's secretary will be in touch."
)
DUPLICATE_COMPANY = (
    "An application or membership with this company number already exists; the network's secretary will be in touch."
)


def _refuse_duplicates(values: dict) -> None:
    """The same organisation twice: a pending application or a member with its email or company number."""
    errors: dict[str, list[str]] = {}
    emails = {values["contact_email"], values["person_email"]}
    pending = JoinApplication.status == ApplicationStatus.PENDING
    email_taken = (
        select(JoinApplication.id)
        .where(pending, or_(JoinApplication.contact_email.in_(emails), JoinApplication.person_email.in_(emails)))
        .union_all(
            select(User.id).where(User.email.in_(emails)),
            select(Member.id).join(Organisation).where(func.lower(Organisation.contact_email).in_(emails)),
        )
        .limit(1)
    )
    if db.session.scalar(email_taken) is not None:
        errors["contact_email"] = [DUPLICATE_EMAIL]
    number = values["company_number"]
    if number:
        number_taken = (
            select(JoinApplication.id)
            .where(pending, JoinApplication.company_number == number)
            .union_all(select(Member.id).join(Organisation).where(func.upper(Organisation.company_number) == number))
            .limit(1)
        )
        if db.session.scalar(number_taken) is not None:
            errors["company_number"] = [DUPLICATE_COMPANY]
    if errors:
        raise ValidationFailed("This organisation has applied or joined already.", errors)


def applications_seen_by(actor: User) -> ColumnElement[bool]:
    if actor.is_admin:
        return true()
    if not actor.secretary_consortium_ids:
        return false()
    return JoinApplication.network_id.in_(
        select(Network.id).where(Network.consortium_id.in_(actor.secretary_consortium_ids))
    )


def applications(actor: User, status: ApplicationStatus | None = ApplicationStatus.PENDING) -> Select:
    query = select(JoinApplication).where(applications_seen_by(actor))
    if status is not None:
        query = query.where(JoinApplication.status == status)
    return query.order_by(JoinApplication.created_at.desc(), JoinApplication.id.desc())


def to_do_count(actor: User) -> int:
    """Pending applications the actor decides: the secretary's to-do count."""
    return (
        db.session.scalar(
            select(func.count())
            .select_from(JoinApplication)
            .where(applications_seen_by(actor), JoinApplication.status == ApplicationStatus.PENDING)
        )
        or 0
    )


def application_for(actor: User, application_id: int) -> JoinApplication:
    application = db.session.scalar(
        select(JoinApplication).where(JoinApplication.id == application_id, applications_seen_by(actor))
    )
    if application is None:
        raise NotFound("No such application.")
    return application


@dataclass(frozen=True)
class Approved:
    member: Member
    invitation: Invitation


def approve(actor: User, application: JoinApplication) -> Approved:
    """Makes the member and invites its first user, the applicant's contact person."""
    APPLICATION_LIFECYCLE.check(application, ApplicationStatus.APPROVED)
    member = services.save_member(
        {
            "network_id": application.network_id,
            "headcount": application.headcount,
            "turnover_band": application.turnover_band,
            "legal_name": application.legal_name,
            "address_line1": application.address_line1,
            "address_line2": application.address_line2,
            "city": application.city,
            "postcode": application.postcode,
            "contact_email": application.contact_email,
            "phone": application.phone,
            "vat_number": application.vat_number,
            "company_number": application.company_number,
            "is_social_enterprise": True,
        }
    )
    APPLICATION_LIFECYCLE.move(application, ApplicationStatus.APPROVED, actor)
    application.decided_by_id = actor.id
    application.member_id = member.id
    invitation = invite(None, application.person_email, application.person_name, Role.MEMBER, member.id)
    audit.record(
        actor,
        "application_approved",
        f"{application.legal_name} into {application.network.name}",
        application.consortium_id,
    )
    return Approved(member, invitation)


def decline(actor: User, application: JoinApplication, reason: str) -> JoinApplication:
    """Declines with the reason the applicant is emailed."""
    APPLICATION_LIFECYCLE.move(application, ApplicationStatus.DECLINED, actor, reason)
    application.decided_by_id = actor.id
    consortium = application.network.consortium
    outbox.enqueue(
        DECLINED_KIND,
        application.person_email,
        f"Your application to join {application.network.name}",
        "application_declined",
        {"application": application},
        consortium=consortium,
        dedupe_key=f"application-declined:{application.id}",
    )
    audit.record(
        actor,
        "application_declined",
        f"{application.legal_name} into {application.network.name}",
        consortium.id,
        reason,
    )
    return application
