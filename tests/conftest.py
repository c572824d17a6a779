"""Fixtures: every database test runs on SQLite and again on PostgreSQL when one answers.

TEST_DATABASES=sqlite (or postgresql) narrows the run; TEST_POSTGRES_URL names the
server (a throwaway database is created on it and dropped afterwards).
"""

import fcntl
import os
import sqlite3
import tempfile
import uuid
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from datetime import datetime
from pathlib import Path

import pytest
from flask import g
from hypothesis import settings
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from app.factory import create_app
from kernel import clock
from kernel.extensions import db, limiter
from tests import factories

# Property tests have no deadline: on a machine shared with browser tests an example can take longer than
# hypothesis's 200 ms by waiting for the CPU, which says nothing about the code.
settings.register_profile("suite", deadline=None)
settings.load_profile("suite")

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


def make_throwaway_database(backend: str, tmp_path_factory, template: str | None = None) -> tuple[str, callable]:
    """A new database URL, empty or a copy of `template`'s (a URL on the same backend), and a function that
    removes it."""
    if backend == "sqlite":
        path = tmp_path_factory.mktemp("db") / f"{uuid.uuid4().hex}.db"
        if template:
            with (
                closing(sqlite3.connect(make_url(template).database)) as source,
                closing(sqlite3.connect(path)) as copy,
            ):
                source.backup(copy)  # the write-ahead log's pages too, unlike copying the file
        return f"sqlite:///{path}", lambda: None
    admin = _postgres_admin_engine()
    if admin is None:
        pytest.skip(f"PostgreSQL is not reachable at {make_url(POSTGRES_URL).render_as_string()}")
    name = f"marketplace_test_{uuid.uuid4().hex[:12]}"
    with admin.connect() as connection:
        copied = f' TEMPLATE "{make_url(template).database}"' if template else ""
        connection.execute(text(f'CREATE DATABASE "{name}"{copied}'))

    def drop():
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False), drop


def _run_directory(tmp_path_factory) -> Path:
    """The directory this run's processes share: an xdist worker's own temporary directory is inside it."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


@contextmanager
def _run_lock(tmp_path_factory, name: str) -> Iterator[None]:
    """Held by one process of the run at a time (xdist's workers are processes)."""
    with (_run_directory(tmp_path_factory) / f"{name}.lock").open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def copy_of_template(backend: str, name: str, load: Callable[[str], None], tmp_path_factory) -> tuple[str, callable]:
    """A new database holding what `load(url)` writes into an empty one, with a function that removes it.

    `load` runs once per run and backend (the first process to ask, the others wait): every later database is a
    copy, seconds cheaper than migrating and loading again. The PostgreSQL templates go at the end of the run.
    """
    record = _run_directory(tmp_path_factory) / f"template-{name}-{backend}.url"
    with _run_lock(tmp_path_factory, f"template-{name}-{backend}"):
        if not record.exists():
            template, _ = make_throwaway_database(backend, tmp_path_factory)
            load(template)
            record.write_text(template)
        template = record.read_text()
        url, drop = make_throwaway_database(backend, tmp_path_factory, template=template)
    return url, drop


def load_demo(database_url: str) -> None:
    """`flask db upgrade` and `flask demo`, run through the app's CLI in this process to spare two app imports.

    The demo's passwords are hashed with the tests' cheap method: its forty scrypt hashes take ten seconds
    on a busy machine, half as long as a whole journey.
    """
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": database_url,
            "PASSWORD_HASH_METHOD": TEST_CONFIG["PASSWORD_HASH_METHOD"],
            "SECRET_KEY": TEST_CONFIG["SECRET_KEY"],
        }
    )
    runner = app.test_cli_runner()
    with app.app_context():
        for args in (["db", "upgrade"], ["demo"]):
            result = runner.invoke(args=args)
            if result.exit_code:
                raise RuntimeError(f"flask {' '.join(args)} failed:\n{result.output}") from result.exception
        db.session.remove()
        db.engine.dispose()


@pytest.fixture(params=BACKENDS)
def demo_app(request, tmp_path_factory):
    """The app over its own copy of the loaded demo: the demo is loaded once per run and backend (the browser
    tests' servers copy the same one), where loading it for each test that reads it took seconds."""
    url, drop = copy_of_template(request.param, "demo", load_demo, tmp_path_factory)
    app = _new_app(TEST_CONFIG | {"SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()
    drop()


def _drop_templates(run_directory: Path) -> None:
    admin = None
    for record in run_directory.glob("template-*-postgresql.url"):
        admin = admin or _postgres_admin_engine()
        if admin is not None:
            with admin.connect() as connection:
                connection.execute(
                    text(f'DROP DATABASE IF EXISTS "{make_url(record.read_text()).database}" WITH (FORCE)')
                )
    if admin is not None:
        admin.dispose()


def pytest_sessionfinish(session):
    """The run's first process (the only one without xdist) outlives its workers: it drops their templates."""
    if not hasattr(session.config, "workerinput"):
        _drop_templates(session.config._tmp_path_factory.getbasetemp())


@pytest.fixture(scope="session")
def _databases(tmp_path_factory) -> Iterator[Callable[[str], str]]:
    """Each backend's test database with the models' tables, made in this process the first time a test asks for
    that backend and kept to the end: the `app` fixture empties it after every test."""
    made: dict[str, str] = {}
    drops = []

    def database(backend: str) -> str:
        if backend not in made:
            url, drop = make_throwaway_database(backend, tmp_path_factory)
            drops.append(drop)
            app = create_app(TEST_CONFIG | {"SQLALCHEMY_DATABASE_URI": url})
            with app.app_context():
                db.create_all()
                db.engine.dispose()
            made[backend] = url
        return made[backend]

    yield database
    for drop in drops:
        drop()


@pytest.fixture(params=BACKENDS)
def database_url(request, _databases) -> str:
    """Function-scoped, so a run alternating backends (test[sqlite], test[postgresql], ...) keeps both databases
    instead of making one again at every switch, as a session-scoped parametrized fixture would."""
    return _databases(request.param)


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
        if marker:  # an app of its own: its connections go with it (a shared app keeps its warm ones)
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


def pytest_collection_modifyitems(items):
    """The browser tests first, as they take longest: `make test` runs `--dist worksteal`, which gives each worker a
    half of this order and lets a worker that runs out take the rest of the other's, so no long test is left for
    the end while the other worker idles."""
    items.sort(key=lambda item: "e2e" not in item.path.parts)


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
