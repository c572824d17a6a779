"""What every benchmark shares: throwaway databases, gunicorn on a free port, an HTTP load driver.

The driver is asyncio over raw sockets, so one client core can keep 2 gunicorn workers busy.
"""

import asyncio
import contextlib
import http.client
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from organisations import outbox
from organisations.demo import demo_authenticator_code

ROOT = Path(__file__).resolve().parent.parent
POSTGRES_URL = os.environ.get("BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def postgres_reachable() -> bool:
    engine = create_engine(POSTGRES_URL)
    try:
        with engine.connect():
            return True
    except Exception:
        return False
    finally:
        engine.dispose()


@contextlib.contextmanager
def throwaway_database(backend: str) -> Iterator[str]:
    if backend == "sqlite":
        with tempfile.TemporaryDirectory() as folder:
            yield f"sqlite:///{folder}/bench.db"
        return
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    name = f"bench_{uuid.uuid4().hex[:10]}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def bench_app(database_url: str):
    """The app on a migrated database, as production would run it."""
    from flask_migrate import upgrade

    from app.factory import create_app

    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": database_url,
            "SECRET_KEY": "benchmark",
            "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
        }
    )
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))
    return app


@contextlib.contextmanager
def gunicorn(database_url: str, workers: int = 2) -> Iterator[tuple[str, int]]:
    port = free_port()
    env = os.environ | {
        "DATABASE_URL": database_url,
        "SECRET_KEY": "benchmark",
        "BENCHMARK_BASELINE": "1",
        "WEB_CONCURRENCY": str(workers),
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "GUNICORN_ACCESS_LOG": "",
        "RATELIMIT_STORAGE_URI": "memory://",
        # Each API token may send 600 requests a minute, against one client's flood; a benchmark is that flood on
        # purpose (a baseline alone sends thousands a second), so the allowance is lifted, as fuzzing lifts it.
        "API_RATE_LIMIT": "1000000 per minute",
    }
    # --preload: the app is imported once, before the workers fork, so no worker is still
    # importing it when the first measured request arrives. Its log (the outbox's INFO lines
    # among them) goes to a file: a pipe nobody reads fills up and stalls the workers.
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--preload", "wsgi:app"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=log,
        )
        try:
            deadline = time.monotonic() + 60
            while not _answers(port):
                if process.poll() is not None:
                    log.seek(0)
                    raise RuntimeError(log.read().decode())
                if time.monotonic() > deadline:
                    raise RuntimeError("gunicorn did not answer within 60 s")
                time.sleep(0.1)
            yield "127.0.0.1", port
        finally:
            process.terminate()
            process.wait(timeout=30)


def _answers(port: int) -> bool:
    with contextlib.suppress(OSError, http.client.HTTPException):
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
        connection.request("GET", "/api/v1/openapi.json")
        return connection.getresponse().status == 200
    return False


# Each code signs an account in once, whichever way a benchmark signs in (in process or through gunicorn), so
# the codes used are tracked for every benchmark's database together.
AUTHENTICATOR_SCOPE = "bench"


def sign_in_cookie(host: str, port: int, email: str, password: str) -> str:
    """Signs in through the real forms (CSRF tokens, and the authenticator code for accounts with two-factor
    sign-in, as the demo's admin and secretaries have) and returns the session cookie."""
    connection = http.client.HTTPConnection(host, port)
    cookie, token = _form_page(connection, "/sign-in", None)
    answer = _post_form(connection, "/sign-in", cookie, {"email": email, "password": password, "csrf_token": token})
    if answer.status == 302 and answer.getheader("Location", "").endswith("/sign-in/code"):
        cookie, token = _form_page(connection, "/sign-in/code", _cookie_of(answer) or cookie)
        code = demo_authenticator_code(AUTHENTICATOR_SCOPE, email)
        answer = _post_form(connection, "/sign-in/code", cookie, {"code": code, "csrf_token": token})
    if answer.status != 302:
        raise RuntimeError(f"{email} could not sign in: {answer.status}")
    return _cookie_of(answer) or cookie


def _form_page(connection: http.client.HTTPConnection, path: str, cookie: str | None) -> tuple[str, str]:
    connection.request("GET", path, headers={"Cookie": cookie} if cookie else {})
    page = connection.getresponse()
    html = page.read().decode()
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    if token is None:
        raise RuntimeError(f"{path} shows no form ({page.status})")
    return _cookie_of(page) or cookie or "", token.group(1)


def _post_form(connection: http.client.HTTPConnection, path: str, cookie: str, fields: dict[str, str]):
    headers = {"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie}
    connection.request("POST", path, body=urllib.parse.urlencode(fields), headers=headers)
    answer = connection.getresponse()
    answer.read()
    return answer


def _cookie_of(response) -> str | None:
    header = response.getheader("Set-Cookie")
    return header.split(";")[0] if header else None


@dataclass
class Expansion:
    events: int
    messages: int
    seconds: float


def expand_events() -> Expansion:
    """What the sender does with the events a change queued: each user's message rendered and written."""
    started = time.perf_counter()
    report = outbox.expand_pending()
    return Expansion(report.events, report.messages, time.perf_counter() - started)


@dataclass
class Request:
    method: str
    path: str
    token: str
    body: bytes = b""

    def encode(self, host: str, port: int) -> bytes:
        head = (
            f"{self.method} {self.path} HTTP/1.1\r\nHost: {host}:{port}\r\n"
            f"Authorization: Bearer {self.token}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(self.body)}\r\nConnection: close\r\n\r\n"
        )
        return head.encode() + self.body


@dataclass
class Figures:
    name: str
    requests: int
    errors: int
    seconds: float
    latencies: list[float]

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds

    def percentile(self, p: float) -> float:
        if not self.latencies:
            return float("nan")
        return statistics.quantiles(self.latencies, n=100, method="inclusive")[int(p) - 1] * 1000


async def _client(host, port, next_request: Callable[[int], Request], index: int, stop: float, results: list):
    iteration = 0
    while time.monotonic() < stop:
        request = next_request(index, iteration)
        iteration += 1
        started = time.monotonic()
        try:
            reader, writer = await asyncio.open_connection(host, port)
            writer.write(request.encode(host, port))
            await writer.drain()
            response = await reader.read()
            writer.close()
            status = int(response.split(b" ", 2)[1])
        except (OSError, ValueError, IndexError):
            status = 0
        results.append((time.monotonic() - started, status))


def drive(
    name: str,
    host: str,
    port: int,
    clients: int,
    seconds: float,
    next_request: Callable[[int, int], Request],
    ok=(200, 201),
    warmup: float = 3.0,
) -> Figures:
    """`clients` concurrent clients, each sending its next request as soon as the last is answered.

    The first `warmup` seconds of the same load are not counted: connections, caches and the
    workers' first requests settle before the measured run.
    """
    results: list[tuple[float, int]] = []

    async def load(seconds: float, into: list[tuple[float, int]]) -> None:
        stop = time.monotonic() + seconds
        await asyncio.gather(*(_client(host, port, next_request, i, stop, into) for i in range(clients)))

    asyncio.run(load(warmup, []))
    started = time.monotonic()
    asyncio.run(load(seconds, results))
    elapsed = time.monotonic() - started
    good = [latency for latency, status in results if status in ok]
    return Figures(name, len(good), len(results) - len(good), elapsed, good)


async def _send(host: str, port: int, request: Request) -> int:
    try:
        reader, writer = await asyncio.open_connection(host, port)
        writer.write(request.encode(host, port))
        await writer.drain()
        response = await reader.read()
        writer.close()
        return int(response.split(b" ", 2)[1])
    except (OSError, ValueError, IndexError):
        return 0


def drive_at_rate(
    name: str,
    host: str,
    port: int,
    rate: float,
    seconds: float,
    next_request: Callable[[int, int], Request],
    clients: int,
    ok=(200, 201),
    warmup: float = 3.0,
) -> Figures:
    """An open-loop load: requests sent at `rate` per second on a fixed schedule, whatever the answers.

    Latency runs from each request's scheduled send time, so a request the server makes wait
    behind others counts its wait (no coordinated omission). Request n goes out as client
    n % `clients`, the same members as the closed-loop run. The first `warmup` seconds are not
    counted.
    """

    async def load(seconds: float, into: list[tuple[float, int]]) -> float:
        loop = asyncio.get_running_loop()
        start = loop.time()
        tasks = []

        async def one(n: int, scheduled: float) -> None:
            status = await _send(host, port, next_request(n % clients, n // clients))
            into.append((loop.time() - scheduled, status))

        for n in range(int(rate * seconds)):
            scheduled = start + n / rate
            await asyncio.sleep(max(0.0, scheduled - loop.time()))
            tasks.append(asyncio.create_task(one(n, scheduled)))
        await asyncio.gather(*tasks)
        return loop.time() - start

    asyncio.run(load(warmup, []))
    results: list[tuple[float, int]] = []
    elapsed = asyncio.run(load(seconds, results))
    good = [latency for latency, status in results if status in ok]
    return Figures(name, len(good), len(results) - len(good), elapsed, good)


def print_figures(title: str, rows: list[Figures]) -> None:
    print(f"\n{title}")
    print(f"{'endpoint':<34}{'requests/s':>12}{'median ms':>10}{'p95 ms':>10}{'p99 ms':>10}{'errors':>8}")
    for row in rows:
        print(
            f"{row.name:<34}{row.per_second:>12.1f}{row.percentile(50):>10.1f}{row.percentile(95):>10.1f}"
            f"{row.percentile(99):>10.1f}{row.errors:>8}"
        )


@dataclass
class Figure:
    """One line of `python -m bench`'s table: a measured figure against its issue's target."""

    benchmark: str
    name: str
    target: str
    measured: str
    met: bool | None  # None: reported for the record, no target


def add_backend_option(parser) -> None:
    parser.add_argument(
        "--backend",
        choices=("postgresql", "sqlite"),
        action="append",
        help="only these (default: PostgreSQL if reachable, and SQLite)",
    )


def chosen_backends(args) -> list[str]:
    return args.backend or (["postgresql"] if postgres_reachable() else []) + ["sqlite"]


def print_table(figures: list[Figure]) -> None:
    widths = [
        max(len(getattr(f, column)) for f in [*figures, Figure("benchmark", "figure", "target", "measured", None)])
        for column in ("benchmark", "name", "target", "measured")
    ]
    header = ("benchmark", "figure", "target", "measured", "met")
    print("  ".join(h.ljust(w) for h, w in zip(header, [*widths, 3], strict=True)))
    print("  ".join("-" * w for w in [*widths, 3]))
    for f in figures:
        met = "-" if f.met is None else "yes" if f.met else "NO"
        print(
            "  ".join(v.ljust(w) for v, w in zip((f.benchmark, f.name, f.target, f.measured), widths, strict=True))
            + "  "
            + met
        )
