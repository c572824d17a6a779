"""Fixtures: every database test runs on SQLite and again on PostgreSQL when one answers.

TEST_DATABASES=sqlite (or postgresql) narrows the run; TEST_POSTGRES_URL names the
server (a throwaway database is created on it and dropped afterwards).
"""

import os
import tempfile
import uuid
from datetime import datetime

import pytest
from flask import g
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from app.factory import create_app
from kernel import clock
from kernel.extensions import db, limiter
from tests import factories

POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
BACKENDS = [name.strip() for name in os.environ.get("TEST_DATABASES", "sqlite,postgresql").split(",") if name.strip()]

TEST_CONFIG = {
    "TESTING": True,
    "SECRET_KEY": "tests-only-secret",
    "WTF_CSRF_ENABLED": False,
    "SESSION_COOKIE_SECURE": False,
    "REMEMBER_COOKIE_SECURE": False,
    "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
    "RATELIMIT_STORAGE_URI": "memory://",
    # Uploaded policy documents go to a directory of the test run, not the instance folder.
    "LIBRARY_STORAGE_PATH": tempfile.mkdtemp(prefix="library-documents-"),
}


def _postgres_admin_engine():
    engine = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except OperationalError:
        engine.dispose()
        return None
    return engine


def make_throwaway_database(backend: str, tmp_path_factory) -> tuple[str, callable]:
    """A new empty database URL and a function that removes it."""
    if backend == "sqlite":
        path = tmp_path_factory.mktemp("db") / f"{uuid.uuid4().hex}.db"
        return f"sqlite:///{path}", lambda: None
    admin = _postgres_admin_engine()
    if admin is None:
        pytest.skip(f"PostgreSQL is not reachable at {make_url(POSTGRES_URL).render_as_string()}")
    name = f"marketplace_test_{uuid.uuid4().hex[:12]}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))

    def drop():
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False), drop


@pytest.fixture(scope="session", params=BACKENDS)
def database_url(request, tmp_path_factory):
    url, drop = make_throwaway_database(request.param, tmp_path_factory)
    app = create_app(TEST_CONFIG | {"SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        db.create_all()
        db.engine.dispose()
    yield url
    drop()


@pytest.fixture
def backend(database_url) -> str:
    return make_url(database_url).get_backend_name()


@pytest.fixture
def postgresql_only(backend):
    if backend != "postgresql":
        pytest.skip("needs PostgreSQL's row locks and concurrent writers")


@pytest.fixture(scope="session")
def _shared_apps() -> dict:
    """One app per database for the tests that need no configuration of their own: making an app
    (compiling its routes) costs more than most tests."""
    return {}


@pytest.fixture
def app(database_url, request, _shared_apps):
    marker = request.node.get_closest_marker("app_config")
    if marker:
        app = _new_app(TEST_CONFIG | {"SQLALCHEMY_DATABASE_URI": database_url} | marker.args[0])
    else:
        app = _shared_apps.get(database_url) or _shared_apps.setdefault(
            database_url, _new_app(TEST_CONFIG | {"SQLALCHEMY_DATABASE_URI": database_url})
        )
        limiter.reset()  # the sign-in counts of earlier tests
    config, loader = dict(app.config), app.jinja_env.loader
    with app.app_context():
        yield app
        db.session.remove()
        _empty_tables()
        db.engine.dispose()
    app.config.clear()
    app.config.update(config)
    if app.jinja_env.loader is not loader:
        app.jinja_env.loader = loader
        app.jinja_env.cache.clear()


def _new_app(config: dict):
    app = create_app(config)
    app.before_request_funcs.setdefault(None, []).insert(0, _forget_previous_requests_user)
    return app


def _forget_previous_requests_user() -> None:
    """Tests hold one app context across requests; each request must still find its own user, its
    sign-in session and its own session's CSRF token (Flask-WTF caches it on `g`)."""
    g.pop("_login_user", None)
    g.pop("sign_in_session", None)
    g.pop("api_user", None)
    g.pop("csrf_token", None)


def _empty_tables() -> None:
    """Deletes every row and restarts the ids used; on PostgreSQL ten times faster than a TRUNCATE of every table."""
    tables = db.metadata.sorted_tables
    with db.engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("; ".join(f'DELETE FROM "{t.name}"' for t in reversed(tables))))
            used = connection.scalars(
                text("SELECT format('%I.%I', schemaname, sequencename) FROM pg_sequences WHERE last_value IS NOT NULL")
            ).all()
            if used:
                connection.execute(text("SELECT " + ", ".join(f"setval('{name}', 1, false)" for name in used)))
        else:
            for table in reversed(tables):
                connection.execute(table.delete())


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def world(app):
    """Two consortia, each with a network, members and a supplier, and a user for every role."""
    return factories.World.build()


def pytest_configure(config):
    config.addinivalue_line("markers", "app_config(dict): extra configuration for the app fixture")


class FrozenClock:
    """Stands still at one instant: every `utcnow()` and `uk_today()` of the app reads it (see kernel.clock)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self._monkeypatch = monkeypatch

    def set(self, instant: datetime) -> None:
        if instant.tzinfo is None:
            raise ValueError("freeze the clock at an aware instant")
        self._monkeypatch.setattr(clock, "_now", lambda: instant)


@pytest.fixture
def frozen_clock(monkeypatch: pytest.MonkeyPatch) -> FrozenClock:
    """`frozen_clock.set(datetime(2026, 7, 1, 23, 30, tzinfo=UTC))`; the real clock is back after the test."""
    return FrozenClock(monkeypatch)
