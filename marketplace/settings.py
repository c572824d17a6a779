"""Configuration from environment variables only; nothing secret lives in the repository."""
import os
import secrets
from pathlib import Path


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
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


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
        "SIGN_IN_LIMIT_PER_ACCOUNT": env.get("SIGN_IN_LIMIT_PER_ACCOUNT", "5 per 15 minutes"),
        "SIGN_IN_LIMIT_PER_ADDRESS": env.get("SIGN_IN_LIMIT_PER_ADDRESS", "20 per 15 minutes"),
        "TRUSTED_PROXIES": int(env.get("TRUSTED_PROXIES", "0")),
        "PASSWORD_HASH_METHOD": "scrypt",
        "BENCHMARK_BASELINE": env.get("BENCHMARK_BASELINE") == "1",
        "PREFERRED_URL_SCHEME": "http" if development else "https",
        "STRIPE_SECRET_KEY": env.get("STRIPE_SECRET_KEY") or None,
        "STRIPE_WEBHOOK_SECRET": env.get("STRIPE_WEBHOOK_SECRET") or None,
        "STRIPE_WEBHOOK_TOLERANCE": int(env.get("STRIPE_WEBHOOK_TOLERANCE", "300")),
    }
