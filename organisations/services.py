"""Operations on organisations, people, roles and API tokens.

Services take the acting user explicitly, change models and flush; the caller commits.
"""

import hashlib
import secrets
from datetime import timedelta
from decimal import Decimal

from flask import current_app
from sqlalchemy import delete, func, select
from sqlalchemy.orm import joinedload
from werkzeug.security import check_password_hash, generate_password_hash

from kernel.clock import utcnow
from kernel.errors import Conflict, NotFound, ValidationFailed
from kernel.extensions import db
from organisations import audit
from organisations.bank import bank_account
from organisations.models import (
    ApiToken,
    Consortium,
    Member,
    Network,
    Organisation,
    Role,
    RoleGrant,
    SignInSession,
    Supplier,
    User,
)
from organisations.peppol import participant

TOKEN_PREFIX = "cm_"
TOKEN_USE_RESOLUTION = timedelta(minutes=5)  # last use is noted at most this often, to keep reads read-only


REQUIRED_ORGANISATION_TEXT = ("legal_name", "address_line1", "city", "postcode", "contact_email")
OPTIONAL_ORGANISATION_TEXT = ("address_line2", "phone", "vat_number", "company_number")
PEPPOL_FIELDS = ("peppol_scheme", "peppol_id")
ORGANISATION_FIELDS = (*REQUIRED_ORGANISATION_TEXT, *OPTIONAL_ORGANISATION_TEXT, *PEPPOL_FIELDS, "is_social_enterprise")


def _organisation(data: dict, organisation: Organisation | None = None) -> Organisation:
    organisation = organisation or Organisation()
    for field in REQUIRED_ORGANISATION_TEXT:
        if field in data:
            setattr(organisation, field, data[field].strip())
    for field in OPTIONAL_ORGANISATION_TEXT:
        if field in data:
            setattr(organisation, field, (data[field] or "").strip() or None)
    if any(name in data for name in PEPPOL_FIELDS):
        found = participant(data.get("peppol_scheme"), data.get("peppol_id"))
        organisation.peppol_scheme, organisation.peppol_id = (found.scheme, found.identifier) if found else (None, None)
    if "is_social_enterprise" in data:
        organisation.is_social_enterprise = bool(data["is_social_enterprise"])
    organisation.postcode = organisation.postcode.upper()
    if organisation.vat_number:
        organisation.vat_number = "".join(organisation.vat_number.split()).upper()
    db.session.add(organisation)
    return organisation


def _unique(model, column, value, field: str, exclude_id: int | None = None) -> None:
    query = select(model.id).where(func.lower(column) == value.lower())
    if exclude_id is not None:
        query = query.where(model.id != exclude_id)
    if db.session.scalar(query) is not None:
        raise ValidationFailed.field(field, "Already in use.")


# Consortia and networks


BANK_FIELDS = ("bank_account_name", "bank_sort_code", "bank_account_number")
MAX_HANDLING_FEE_PERCENT = Decimal(25)
MAX_PAYMENT_TERMS_DAYS = 120
SELLER_NEEDS_AN_IDENTIFIER = (
    "A consortium without a VAT number needs a Peppol ID: its invoices are addressed from it and must identify it."
)


def save_consortium(data: dict, consortium: Consortium | None = None, actor: User | None = None) -> Consortium:
    """Bank details, when `data` has them, go together and are stored as digits (see organisations.bank);
    a change of them is audited, as members pay into that account."""
    account = None
    if any(name in data for name in BANK_FIELDS):
        account = bank_account(*(data.get(name) for name in BANK_FIELDS))
    exclude = consortium.id if consortium else None
    _unique(Consortium, Consortium.name, data["name"], "name", exclude)
    _unique(Consortium, Consortium.code, data["code"], "code", exclude)
    consortium = consortium or Consortium()
    consortium.name = data["name"].strip()
    consortium.code = data["code"].strip().upper()
    _billing_terms(consortium, data)
    if account is not None:
        if consortium.id is not None and (
            consortium.bank_account_name,
            consortium.bank_sort_code,
            consortium.bank_account_number,
        ) != (account.name, account.sort_code, account.account_number):
            audit.record(actor, "bank_details_changed", f"Consortium {consortium.name}", consortium.id)
        consortium.bank_account_name = account.name
        consortium.bank_sort_code = account.sort_code
        consortium.bank_account_number = account.account_number
    consortium.organisation = _organisation(data, consortium.organisation if consortium.id else None)
    if consortium.organisation.peppol_participant is None:
        raise ValidationFailed.field("peppol_id", SELLER_NEEDS_AN_IDENTIFIER)
    db.session.add(consortium)
    db.session.flush()
    return consortium


def _billing_terms(consortium: Consortium, data: dict) -> None:
    """Sending orders on close, the handling fee and the payment terms, where `data` has them."""
    fee, days = data.get("handling_fee_percent"), data.get("payment_terms_days")
    if isinstance(fee, int) and not isinstance(fee, bool):
        fee = Decimal(fee)
    if fee is not None and not (
        isinstance(fee, Decimal)
        and fee.is_finite()
        and 0 <= fee <= MAX_HANDLING_FEE_PERCENT
        and fee == fee.quantize(Decimal("0.01"))
    ):
        raise ValidationFailed.field(
            "handling_fee_percent", f"Enter a percentage from 0 to {MAX_HANDLING_FEE_PERCENT}, up to 2 places."
        )
    if days is not None and (
        isinstance(days, bool) or not isinstance(days, int) or not 0 <= days <= MAX_PAYMENT_TERMS_DAYS
    ):
        raise ValidationFailed.field(
            "payment_terms_days", f"Enter a number of days from 0 to {MAX_PAYMENT_TERMS_DAYS}."
        )
    if "send_orders_on_close" in data:
        consortium.send_orders_on_close = bool(data["send_orders_on_close"])
    if fee is not None:
        consortium.handling_fee_percent = fee
    if days is not None:
        consortium.payment_terms_days = days


def save_network(data: dict, network: Network | None = None) -> Network:
    consortium = db.session.get(Consortium, data["consortium_id"])
    if consortium is None:
        raise ValidationFailed.field("consortium_id", "No such consortium.")
    duplicate = db.session.scalar(
        select(Network.id).where(
            Network.consortium_id == consortium.id,
            func.lower(Network.name) == data["name"].strip().lower(),
            Network.id != (network.id if network else -1),
        )
    )
    if duplicate is not None:
        raise ValidationFailed.field("name", "This consortium already has a network of that name.")
    network = network or Network()
    network.name = data["name"].strip()
    network.consortium = consortium
    db.session.add(network)
    db.session.flush()
    return network


# Members and suppliers


def save_member(data: dict, member: Member | None = None) -> Member:
    network = db.session.get(Network, data["network_id"])
    if network is None:
        raise ValidationFailed.field("network_id", "No such network.")
    member = member or Member()
    member.network = network
    member.headcount = data["headcount"]
    member.turnover_band = data["turnover_band"]
    member.billing_email = (data.get("billing_email") or "").strip() or None
    member.organisation = _organisation(data, member.organisation if member.id else None)
    db.session.add(member)
    db.session.flush()
    return member


def update_member_profile(actor: User, member: Member, data: dict) -> Member:
    """Billing details a member's own users may change, those in `data`; network and size stay with the admin."""
    if "billing_email" in data:
        member.billing_email = (data["billing_email"] or "").strip() or None
    _organisation(data, member.organisation)
    db.session.flush()
    return member


def save_supplier(data: dict, supplier: Supplier | None = None) -> Supplier:
    supplier = supplier or Supplier()
    supplier.description = (data.get("description") or "").strip() or None
    supplier.organisation = _organisation(data, supplier.organisation if supplier.id else None)
    db.session.add(supplier)
    db.session.flush()
    return supplier


def register_member_as_supplier(member: Member) -> Supplier:
    """A member with spare capacity sells to its peers as the same organisation."""
    existing = db.session.scalar(select(Supplier).where(Supplier.organisation_id == member.organisation_id))
    if existing is not None:
        return existing
    supplier = Supplier(organisation=member.organisation)
    db.session.add(supplier)
    db.session.flush()
    return supplier


def set_active(actor: User, obj: Consortium | Network | Member | Supplier | User, active: bool) -> None:
    """Deactivating hides a record without deleting its history; an admin cannot lock themselves out."""
    if obj is actor and not active:
        raise Conflict("You cannot deactivate yourself.")
    obj.active = active
    if isinstance(obj, User) and not active:
        # A deactivated person is signed out everywhere at once, not when their sessions age out.
        db.session.execute(delete(SignInSession).where(SignInSession.user_id == obj.id))
    db.session.flush()


# Users and roles


def normalise_email(email: str) -> str:
    return email.strip().lower()


def user_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == normalise_email(email)))


def authenticate(email: str, password: str) -> User | None:
    """Hashes the password whether or not the email has an account, so the answer takes as long
    either way and the time does not tell which addresses have accounts."""
    user = user_by_email(email)
    if user is None:
        check_password_hash(_dummy_hash(), password)
        return None
    if not user.check_password(password) or not user.active:
        return None
    return user


def _dummy_hash() -> str:
    """A hash made with the configured method, once per app: checking against it costs what a real check does."""
    hashes = current_app.extensions.setdefault("dummy_password_hash", {})
    method = current_app.config["PASSWORD_HASH_METHOD"]
    if method not in hashes:
        hashes[method] = generate_password_hash(secrets.token_urlsafe(16), method=method)
    return str(hashes[method])


def save_user(data: dict, user: User | None = None, password_hash: str | None = None) -> User:
    """`password_hash` instead of a password lets the demo hash its one shared password once, not per account."""
    email = normalise_email(data["email"])
    _unique(User, User.email, email, "email", user.id if user else None)
    if user is None and not data.get("password") and not password_hash:
        raise ValidationFailed.field("password", "A new user needs a password.")
    user = user or User()
    user.email = email
    user.name = data["name"].strip()
    if data.get("password"):
        user.set_password(data["password"])
    elif password_hash:
        user.password_hash = password_hash
    db.session.add(user)
    db.session.flush()
    return user


_SCOPE = {
    Role.ADMIN: (None, None),
    Role.MEMBER: ("member_id", Member),
    Role.SECRETARY: ("consortium_id", Consortium),
    Role.SUPPLIER: ("supplier_id", Supplier),
}


def grant_role(user: User, role: Role, scope_id: int | None = None, actor: User | None = None) -> RoleGrant:
    """Idempotent: granting a role the user already holds returns the existing grant.

    `actor` is who grants it, for the audit log; None for the application (the demo, an accepted invitation's
    own grant is audited as the acceptance)."""
    column, model = _SCOPE[role]
    if model is not None and (scope_id is None or db.session.get(model, scope_id) is None):
        raise ValidationFailed.field("scope_id", f"Choose the {model.__name__.lower()} this role is for.")
    if model is None:
        scope_id = None
    for grant in user.grants:
        if grant.role is role and grant.scope_id == scope_id:
            return grant
    grant = RoleGrant(role=role, **({column: scope_id} if column else {}))
    user.grants.append(grant)
    db.session.flush()
    if actor is not None:
        audit.record(actor, "role_granted", f"{user.email}: {grant.description}", grant.consortium_id)
    return grant


def revoke_grant(user: User, grant_id: int, actor: User | None = None) -> None:
    grant = next((g for g in user.grants if g.id == grant_id), None)
    if grant is None:
        raise NotFound("No such role grant for this user.")
    if grant.role is Role.ADMIN and user.active and _admin_count() <= 1:
        raise Conflict("The last admin cannot lose the admin role.")
    audit.record(actor, "role_revoked", f"{user.email}: {grant.description}", grant.consortium_id)
    user.grants.remove(grant)
    db.session.flush()


def _admin_count() -> int:
    return db.session.execute(
        select(func.count()).select_from(RoleGrant).join(User).where(RoleGrant.role == Role.ADMIN, User.active)
    ).scalar_one()


# API tokens


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


TOKEN_LIFETIMES_DAYS = (7, 30, 90, 365)
DEFAULT_TOKEN_LIFETIME_DAYS = 90


def create_api_token(
    user: User, name: str, days: int = DEFAULT_TOKEN_LIFETIME_DAYS, read_only: bool = False
) -> tuple[ApiToken, str]:
    """Returns the stored token and its plain text, which is never kept. Every token expires after `days`."""
    if days not in TOKEN_LIFETIMES_DAYS:
        raise ValidationFailed.field("days", "Choose how long the token lasts: 7, 30, 90 or 365 days.")
    plain = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        user=user,
        name=name.strip(),
        token_hash=_hash_token(plain),
        prefix=plain[:10],
        expires_at=utcnow() + timedelta(days=days),
        read_only=read_only,
    )
    db.session.add(token)
    db.session.flush()
    return token, plain


def own_api_token(user: User, token_id: int) -> ApiToken:
    """One of the user's own tokens; another person's is not found."""
    token = db.session.get(ApiToken, token_id)
    if token is None or token.user_id != user.id:
        raise NotFound("No such token.")
    return token


def revoke_api_token(user: User, token_id: int) -> ApiToken:
    token = own_api_token(user, token_id)
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        db.session.flush()
    return token


def token_for(plain: str) -> ApiToken | None:
    """The live token (not revoked, not expired, its user active) a bearer's text is, its user's roles loaded."""
    token = (
        db.session.scalars(
            select(ApiToken)
            .where(ApiToken.token_hash == _hash_token(plain))
            .options(joinedload(ApiToken.user).joinedload(User.grants))
        )
        .unique()
        .first()
    )
    now = utcnow()
    if token is None or token.revoked_at is not None or not token.user.active:
        return None
    if token.expires_at is not None and token.expires_at <= now:
        return None
    if token.last_used_at is None or now - token.last_used_at > TOKEN_USE_RESOLUTION:
        token.last_used_at = now
    return token
