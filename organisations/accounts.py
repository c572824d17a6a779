"""A person's own account: sign-in sessions, password reset and change, two-factor sign-in.

Each sign-in is a row (SignInSession) whose random key the browser's cookie carries; the row is
looked up once per request by the key's hash. Ending a session deletes its row, so a copied
cookie stops working on every host at the same moment. Services here take the user they act on
and flush; the request commits.
"""

import hashlib
import re
import secrets
from datetime import timedelta
from typing import cast

from flask import current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import CursorResult, delete, select
from sqlalchemy.orm import joinedload

from kernel.clock import utcnow
from kernel.errors import NotFound, ValidationFailed
from kernel.extensions import db
from organisations import outbox, totp
from organisations.models import RecoveryCode, SignInSession, TwoFactor, User
from organisations.notifications import external_url
from organisations.passwords import check_new_password
from organisations.services import user_by_email

SESSION_IDLE_LIMIT = timedelta(days=14)  # a session unused this long is over
SEEN_RESOLUTION = timedelta(minutes=5)  # last seen is noted at most this often, to keep reads read-only
CODE_STEP_LIMIT = timedelta(minutes=10)  # between the right password and the authenticator code
RESET_LINK_AGE = timedelta(minutes=30)
RESET_SALT = "password-reset"
RESET_KIND = "password_reset"


# Sign-in sessions


def _key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def start_session(user: User, address: str, user_agent: str) -> str:
    """A new session for `user`, awaiting the authenticator code if they have two-factor sign-in;
    returns the key for the cookie (only its hash is kept). Their sessions long unused are cleared."""
    now = utcnow()
    db.session.execute(
        delete(SignInSession).where(
            SignInSession.user_id == user.id, SignInSession.last_seen_at < now - SESSION_IDLE_LIMIT
        )
    )
    key = secrets.token_urlsafe(32)
    db.session.add(
        SignInSession(
            user_id=user.id,
            key_hash=_key_hash(key),
            last_seen_at=now,
            address=address[:45],
            device=describe_device(user_agent),
            awaiting_code=user.has_two_factor,
        )
    )
    db.session.flush()
    return key


def session_for_key(key: str, awaiting_code: bool = False) -> SignInSession | None:
    """The live session a cookie's key names, its user and their roles loaded in the same query."""
    found = (
        db.session.scalars(
            select(SignInSession)
            .where(SignInSession.key_hash == _key_hash(key))
            .options(
                joinedload(SignInSession.user).joinedload(User.grants),
                joinedload(SignInSession.user).joinedload(User.two_factor),
            )
        )
        .unique()
        .first()
    )
    if found is None or found.awaiting_code != awaiting_code or not found.user.active:
        return None
    now = utcnow()
    if now - found.last_seen_at > (CODE_STEP_LIMIT if awaiting_code else SESSION_IDLE_LIMIT):
        return None
    if now - found.last_seen_at > SEEN_RESOLUTION:
        found.last_seen_at = now
    return found


def sessions_of(user: User) -> list[SignInSession]:
    """The user's signed-in sessions, most recently used first."""
    return list(
        db.session.scalars(
            select(SignInSession)
            .where(
                SignInSession.user_id == user.id,
                SignInSession.awaiting_code.is_(False),
                SignInSession.last_seen_at >= utcnow() - SESSION_IDLE_LIMIT,
            )
            .order_by(SignInSession.last_seen_at.desc(), SignInSession.id.desc())
        )
    )


def own_session(user: User, session_id: int) -> SignInSession:
    """One of the user's own sessions; another person's is not found."""
    found = db.session.get(SignInSession, session_id)
    if found is None or found.user_id != user.id:
        raise NotFound("No such session.")
    return found


def end_session(user: User, session_id: int) -> None:
    """Ends one of the user's own sessions; another person's is not found."""
    db.session.delete(own_session(user, session_id))
    db.session.flush()


def end_sessions(user: User, keep_id: int | None = None) -> int:
    """Ends every session of the user but `keep_id`; returns how many ended."""
    query = delete(SignInSession).where(SignInSession.user_id == user.id)
    if keep_id is not None:
        query = query.where(SignInSession.id != keep_id)
    result = cast(CursorResult, db.session.execute(query))
    db.session.flush()
    return int(result.rowcount or 0)


_BROWSERS = (("Edg/", "Edge"), ("OPR/", "Opera"), ("Firefox/", "Firefox"), ("Chrome/", "Chrome"), ("Safari/", "Safari"))
_SYSTEMS = (
    ("iPhone", "iPhone"),
    ("iPad", "iPad"),
    ("Android", "Android"),
    ("Windows", "Windows"),
    ("Mac OS X", "macOS"),
    ("CrOS", "ChromeOS"),
    ("Linux", "Linux"),
)


def describe_device(user_agent: str) -> str:
    """ "Firefox on Windows" from a browser's User-Agent, for people to recognise their own devices."""
    browser = next((name for marker, name in _BROWSERS if marker in user_agent), None)
    system = next((name for marker, name in _SYSTEMS if marker in user_agent), None)
    if browser and system:
        return f"{browser} on {system}"
    cleaned = re.sub(r"[^\x20-\x7e]", "", user_agent).strip()
    return (browser or system or cleaned or "Unknown device")[:200]


# Passwords


def _check(password: str, user: User, field: str) -> None:
    errors = check_new_password(password, [user.name, user.email])
    if errors:
        raise ValidationFailed(errors[0], {field: errors})


def change_password(user: User, current: str, new: str, keep_session_id: int | None) -> None:
    """The current password is asked for, so an unattended signed-in browser cannot take the account;
    every other session ends."""
    if not user.check_password(current):
        raise ValidationFailed.field("current_password", "That is not your current password.")
    _check(new, user, "new_password")
    user.set_password(new)
    end_sessions(user, keep_id=keep_session_id)


def _reset_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=RESET_SALT)


def _password_fingerprint(user: User) -> str:
    """Changes whenever the password does, so a link works once: using it changes the password."""
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:16]


def request_password_reset(email: str) -> None:
    """Emails a reset link if an active account has this address; says nothing either way."""
    user = user_by_email(email)
    if user is None or not user.active:
        return
    token = _reset_serializer().dumps([user.id, _password_fingerprint(user)])
    outbox.enqueue(
        RESET_KIND,
        user.email,
        "Reset your Consortia Marketplace password",
        "password_reset",
        {
            "user": user,
            "reset_url": external_url("marketplace.reset_password", token=token),
            "minutes": int(RESET_LINK_AGE.total_seconds() // 60),
        },
    )


def user_for_reset_token(token: str) -> User | None:
    """The user a reset link is for, while it is fresh and unused; None otherwise."""
    try:
        user_id, fingerprint = _reset_serializer().loads(token, max_age=int(RESET_LINK_AGE.total_seconds()))
    except (BadSignature, ValueError, TypeError):
        return None
    user = db.session.get(User, user_id) if isinstance(user_id, int) else None
    if user is None or not user.active or fingerprint != _password_fingerprint(user):
        return None
    return user


def reset_password(user: User, new: str) -> None:
    """Every session ends: whoever knew the old password is signed out everywhere."""
    _check(new, user, "new_password")
    user.set_password(new)
    end_sessions(user)


# Two-factor sign-in


def turn_on_two_factor(user: User, secret: str, code: str) -> list[str]:
    """Keeps `secret` once a code from it proves the app holds it; returns new recovery codes,
    shown once (only their hashes are kept)."""
    step = totp.accepted_step(secret, code, utcnow(), None)
    if step is None:
        raise ValidationFailed.field("code", "That code is not right. Check the time on your phone and try again.")
    user.two_factor = TwoFactor(secret=secret, last_step=step)
    return _new_recovery_codes(user)


def _new_recovery_codes(user: User) -> list[str]:
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = totp.new_recovery_codes()
    db.session.add_all(RecoveryCode(user_id=user.id, code_hash=totp.hash_recovery_code(code)) for code in codes)
    db.session.flush()
    return codes


def new_recovery_codes(user: User, password: str) -> list[str]:
    """A fresh set replacing the old; the password is asked for again."""
    if not user.check_password(password):
        raise ValidationFailed.field("password", "That is not your password.")
    return _new_recovery_codes(user)


def turn_off_two_factor(user: User, password: str) -> None:
    if user.needs_two_factor:
        raise ValidationFailed.field("password", "Admins and secretaries must keep two-factor sign-in on.")
    if not user.check_password(password):
        raise ValidationFailed.field("password", "That is not your password.")
    user.two_factor = None
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    db.session.flush()


def unused_recovery_codes(user: User) -> int:
    return len(
        db.session.scalars(
            select(RecoveryCode.id).where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))
        ).all()
    )


def pass_second_factor(signing_in: SignInSession, code: str) -> bool:
    """The authenticator's code (each step once) or an unused recovery code completes the sign-in."""
    user = signing_in.user
    app = user.two_factor
    if app is None:
        return False
    step = totp.accepted_step(app.secret, code, utcnow(), app.last_step)
    if step is not None:
        app.last_step = step
    elif not _use_recovery_code(user, code):
        return False
    signing_in.awaiting_code = False
    signing_in.last_seen_at = utcnow()
    db.session.flush()
    return True


def _use_recovery_code(user: User, code: str) -> bool:
    found = db.session.scalar(
        select(RecoveryCode).where(
            RecoveryCode.user_id == user.id,
            RecoveryCode.code_hash == totp.hash_recovery_code(code),
            RecoveryCode.used_at.is_(None),
        )
    )
    if found is None:
        return False
    found.used_at = utcnow()
    return True
