"""Configuration from environment variables only; nothing secret lives in the repository."""

import os
import secrets
from pathlib import Path

from app import logs


def _instance_secret_key(instance_path: str) -> str:
    """A random key made once and kept in instance/, so sessions survive restarts.

    Workers starting together on a fresh instance must all end up with the same key: each
    writes a candidate to its own file (readable by the owner only) and links it into place,
    which succeeds for one of them; the others read the winner's key.
    """
    path = Path(instance_path) / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        candidate = path.with_name(f".secret_key.{os.getpid()}.{secrets.token_hex(4)}")
        descriptor = os.open(candidate, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(descriptor, "w") as file:
                file.write(secrets.token_hex(32))
            os.link(candidate, path)
        except FileExistsError:
            pass
        finally:
            candidate.unlink()
    return path.read_text().strip()


def _normalise_database_url(url: str) -> str:
    """Accepts the postgres:// form hosting platforms hand out and uses psycopg 3."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def _flag(value: str | None, default: bool) -> bool:
    if value is None or not value.strip():
        return default
    return value.strip().lower() in ("1", "true", "yes", "on")


def _smtp(env) -> dict:
    """SMTP settings; without SMTP_HOST no email leaves the platform and the log is the delivery."""
    use_ssl = _flag(env.get("SMTP_SSL"), False)
    return {
        "SMTP_HOST": env.get("SMTP_HOST") or None,
        "SMTP_PORT": int(env.get("SMTP_PORT") or (465 if use_ssl else 587)),
        "SMTP_USERNAME": env.get("SMTP_USERNAME") or None,
        "SMTP_PASSWORD": env.get("SMTP_PASSWORD") or None,
        "SMTP_SSL": use_ssl,
        "SMTP_STARTTLS": not use_ssl and _flag(env.get("SMTP_STARTTLS"), True),
        "SMTP_TIMEOUT": int(env.get("SMTP_TIMEOUT") or 30),
        "MAIL_FROM": env.get("MAIL_FROM") or None,
        "OUTBOX_MAX_ATTEMPTS": int(env.get("OUTBOX_MAX_ATTEMPTS") or 8),
        "OUTBOX_BATCH": int(env.get("OUTBOX_BATCH") or 50),
        "OUTBOX_CONNECTIONS": int(env.get("OUTBOX_CONNECTIONS") or 4),
        "PUBLIC_URL": (env.get("PUBLIC_URL") or "http://127.0.0.1:5000").rstrip("/"),
    }


def _limiter_storage_options(uri: str) -> dict:
    """A Redis that does not answer fails in a second, not the operating system's minutes, so a sign-in waits no
    longer than that before the in-memory fallback takes over."""
    if uri.startswith(("redis://", "rediss://", "redis+")):
        return {"socket_connect_timeout": 1, "socket_timeout": 1}
    return {}


def from_environment(instance_path: str) -> dict:
    env = os.environ
    development = env.get("MARKETPLACE_ENV", "production") == "development"
    database_url = env.get("DATABASE_URL") or f"sqlite:///{Path(instance_path) / 'marketplace.db'}"
    return {
        "SECRET_KEY": env.get("SECRET_KEY") or _instance_secret_key(instance_path),
        "SQLALCHEMY_DATABASE_URI": _normalise_database_url(database_url),
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": not development,
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": not development,
        "RATELIMIT_STORAGE_URI": env.get("RATELIMIT_STORAGE_URI", "memory://"),
        "RATELIMIT_KEY_PREFIX": env.get("RATELIMIT_KEY_PREFIX", "marketplace"),
        "RATELIMIT_HEADERS_ENABLED": False,
        # With Redis unreachable the limits are counted in each process's memory, and signing in goes on.
        "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
        "RATELIMIT_SWALLOW_ERRORS": True,
        "RATELIMIT_STORAGE_OPTIONS": _limiter_storage_options(env.get("RATELIMIT_STORAGE_URI", "memory://")),
        "API_RATE_LIMIT": env.get("API_RATE_LIMIT", "600 per minute"),
        # Failed sign-ins to one account from one address; SIGN_IN_LIMIT_PER_ADDRESS counts an address's
        # failures whatever the account.
        "SIGN_IN_LIMIT_PER_ACCOUNT": env.get("SIGN_IN_LIMIT_PER_ACCOUNT", "5 per 15 minutes"),
        "SIGN_IN_LIMIT_PER_ADDRESS": env.get("SIGN_IN_LIMIT_PER_ADDRESS", "20 per 15 minutes"),
        "PASSWORD_RESET_LIMIT": env.get("PASSWORD_RESET_LIMIT", "5 per hour"),
        "JOIN_LIMIT": env.get("JOIN_LIMIT", "5 per hour"),
        "INVITATION_DAYS": int(env.get("INVITATION_DAYS", "14")),
        "TRUSTED_PROXIES": int(env.get("TRUSTED_PROXIES", "0")),
        "PASSWORD_HASH_METHOD": "scrypt",
        "BENCHMARK_BASELINE": env.get("BENCHMARK_BASELINE") == "1",
        "LOG_LEVEL": logs.level_of(env.get("LOG_LEVEL")),
        "PREFERRED_URL_SCHEME": "http" if development else "https",
        "STRIPE_SECRET_KEY": env.get("STRIPE_SECRET_KEY") or None,
        "STRIPE_WEBHOOK_SECRET": env.get("STRIPE_WEBHOOK_SECRET") or None,
        "STRIPE_WEBHOOK_TOLERANCE": int(env.get("STRIPE_WEBHOOK_TOLERANCE", "300")),
        "STRIPE_TIMEOUT": float(env.get("STRIPE_TIMEOUT") or 5),
        "STRIPE_CHECKOUT_ORIGIN": (env.get("STRIPE_CHECKOUT_ORIGIN") or "https://checkout.stripe.com").rstrip("/"),
        "STRIPE_API_BASE": env.get("STRIPE_API_BASE") or None,
        "GUNICORN_TIMEOUT": int(env.get("GUNICORN_TIMEOUT") or 30),
        # Uploaded policy documents: library.storage names the backends.
        "LIBRARY_STORAGE": env.get("LIBRARY_STORAGE") or "disk",
        "LIBRARY_STORAGE_PATH": env.get("LIBRARY_STORAGE_PATH") or str(Path(instance_path) / "library"),
    } | _smtp(env)
