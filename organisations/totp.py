"""Time-based one-time codes (RFC 6238, via pyotp) and recovery codes, with no database and no Flask.

A code is accepted for its own 30-second step and one either side (a phone's clock drifts), and
never twice: the caller keeps the last step accepted and passes it back (RFC 6238, section 5.2).
"""

import hashlib
import hmac
import secrets
from datetime import datetime

import pyotp
import segno

ISSUER = "Consortia Marketplace"
STEP_SECONDS = 30
RECOVERY_CODE_COUNT = 10
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i to misread


def new_secret() -> str:
    return pyotp.random_base32()


def setup_uri(secret: str, email: str) -> str:
    """The otpauth:// address an authenticator app reads from the QR code."""
    return pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=ISSUER)


def qr_code_svg_data_uri(uri: str) -> str:
    """The QR code as an inline SVG image, so no third party ever sees the secret."""
    return str(segno.make(uri, error="m").svg_data_uri(scale=5, border=2))


def step_at(moment: datetime) -> int:
    return int(moment.timestamp()) // STEP_SECONDS


def accepted_step(secret: str, code: str, moment: datetime, last_step: int | None) -> int | None:
    """The step `code` belongs to if it is right at `moment` and newer than `last_step`, else None."""
    code = "".join(code.split())
    if len(code) != 6 or not code.isdigit():
        return None
    totp = pyotp.TOTP(secret)
    now = step_at(moment)
    for step in (now - 1, now, now + 1):
        if (last_step is None or step > last_step) and hmac.compare_digest(totp.at(step * STEP_SECONDS), code):
            return step
    return None


def code_at(secret: str, step: int) -> str:
    """The code for one step: what an authenticator app shows; tests and the demo's helper use it."""
    return str(pyotp.TOTP(secret).at(step * STEP_SECONDS))


def new_recovery_codes() -> list[str]:
    """Ten codes of ten characters (about 49 bits each), written xxxxx-xxxxx."""
    codes = []
    for _ in range(RECOVERY_CODE_COUNT):
        raw = "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(10))
        codes.append(f"{raw[:5]}-{raw[5:]}")
    return codes


def hash_recovery_code(code: str) -> str:
    """Recovery codes are random and long, so a plain SHA-256 of the normalised code is enough to keep."""
    normalised = "".join(code.lower().split()).replace("-", "")
    return hashlib.sha256(normalised.encode()).hexdigest()
