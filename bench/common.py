"""What every benchmark shares: throwaway databases, gunicorn on a free port, an HTTP load driver.

The driver is asyncio over raw sockets, so one client core can keep 2 gunicorn workers busy.
"""
import asyncio
import contextlib
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

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

    from marketplace.app import create_app

    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": "benchmark",
                      "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000"})
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))
    return app


@contextlib.contextmanager
def gunicorn(database_url: str, workers: int = 2) -> Iterator[tuple[str, int]]:
    port = free_port()
    env = os.environ | {"DATABASE_URL": database_url, "SECRET_KEY": "benchmark", "BENCHMARK_BASELINE": "1",
                        "WEB_CONCURRENCY": str(workers), "GUNICORN_BIND": f"127.0.0.1:{port}",
                        "GUNICORN_ACCESS_LOG": "", "RATELIMIT_STORAGE_URI": "memory://"}
    process = subprocess.Popen([sys.executable, "-m", "gunicorn", "wsgi:app"], cwd=ROOT, env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
                break
            if process.poll() is not None:
                raise RuntimeError(process.stderr.read().decode())
            time.sleep(0.1)
        _wait_until_workers_answer("127.0.0.1", port, workers)
        yield "127.0.0.1", port
    finally:
        process.terminate()
        process.wait(timeout=30)


def _wait_until_workers_answer(host: str, port: int, workers: int, timeout: float = 120) -> None:
    """gunicorn's master accepts connections before its workers have loaded the app; measuring then
    would charge their start-up to whichever endpoint goes first. Wait until a burst of requests
    (enough to reach every worker) is answered quickly."""
    deadline = time.monotonic() + timeout
    burst = Request("GET", "/api/v1/ready-check", "")

    async def answered() -> bool:
        async def one() -> bool:
            try:
                reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port), 2)
                writer.write(burst.encode(host, port))
                await writer.drain()
                response = await asyncio.wait_for(reader.read(), 2)
                writer.close()
                return response.startswith(b"HTTP/1.1 404")
            except (OSError, asyncio.TimeoutError):
                return False

        return all(await asyncio.gather(*(one() for _ in range(workers * 4))))

    while not asyncio.run(answered()):
        if time.monotonic() > deadline:
            raise RuntimeError("gunicorn's workers did not start answering")
        time.sleep(0.2)


@dataclass
class Request:
    method: str
    path: str
    token: str
    body: bytes = b""

    def encode(self, host: str, port: int) -> bytes:
        head = (f"{self.method} {self.path} HTTP/1.1\r\nHost: {host}:{port}\r\n"
                f"Authorization: Bearer {self.token}\r\nContent-Type: application/json\r\n"
                f"Content-Length: {len(self.body)}\r\nConnection: close\r\n\r\n")
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


def drive(name: str, host: str, port: int, clients: int, seconds: float,
          next_request: Callable[[int, int], Request], ok=(200, 201)) -> Figures:
    """`clients` concurrent clients, each sending its next request as soon as the last is answered."""
    results: list[tuple[float, int]] = []

    async def main():
        stop = time.monotonic() + seconds
        await asyncio.gather(*(_client(host, port, next_request, i, stop, results) for i in range(clients)))

    started = time.monotonic()
    asyncio.run(main())
    elapsed = time.monotonic() - started
    good = [latency for latency, status in results if status in ok]
    return Figures(name, len(good), len(results) - len(good), elapsed, good)


def print_figures(title: str, rows: list[Figures]) -> None:
    print(f"\n{title}")
    print(f"{'endpoint':<34}{'requests/s':>12}{'p50 ms':>10}{'p99 ms':>10}{'errors':>8}")
    for row in rows:
        print(f"{row.name:<34}{row.per_second:>12.1f}{row.percentile(50):>10.1f}{row.percentile(99):>10.1f}{row.errors:>8}")
