"""Delivering the outbox after closing a pool of 10,000 members, to a local SMTP sink.

    .venv/bin/python -m bench.outbox [--members 10000]

bench.seeding's world (each member's users and their email choices): a national pool of
`members` pledges is closed, which queues one event; one sender (`flask send-outbox`) writes a
message for every user who kept the pool-closed email on, then delivers them over SMTP to
aiosmtpd's Sink in its own process (it accepts and discards each message). A warm-up of 100
messages first. Timed: the sender writing the close's event as one message per user
(rendered), then sending them all. Target (issue 14, PostgreSQL): at least
500 messages a second, writing included.
"""

import argparse
import contextlib
import socket
import subprocess
import sys
import time
from collections.abc import Iterator

from sqlalchemy import delete

from bench.common import Figure, add_backend_option, bench_app, chosen_backends, free_port, throwaway_database
from bench.seeding import pool_world
from kernel.extensions import db
from orders import closing
from organisations import mailer, outbox
from organisations.models import OutboxEvent, OutboxMessage

TARGET_PER_SECOND = 500
WARMUP = 100


@contextlib.contextmanager
def smtp_sink() -> Iterator[int]:
    """aiosmtpd's Sink listening on a free port, in its own process; its port."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "aiosmtpd", "-n", "-c", "aiosmtpd.handlers.Sink", "-l", f"127.0.0.1:{port}"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            with contextlib.suppress(OSError):
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            if time.monotonic() > deadline:
                raise RuntimeError("the SMTP sink did not answer within 30 s")
            time.sleep(0.1)
        yield port
    finally:
        process.terminate()
        process.wait(timeout=30)


def warm_up() -> None:
    """Sends WARMUP plain messages first, so the timed run starts with a warm connection and database."""
    db.session.add_all(
        OutboxMessage(kind="warm_up", to_email=f"w{n}@bench.example", subject="Warm-up", body_text="-", body_html="-")
        for n in range(WARMUP)
    )
    db.session.commit()
    mailer.send_pending()


def run(backend: str, members: int) -> dict:
    with throwaway_database(backend) as url, smtp_sink() as port:
        app = bench_app(url)
        app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=port, SMTP_STARTTLS=False, MAIL_FROM="pools@bench.example")
        with app.app_context():
            world = pool_world(members)
            closing.close_pool(None, world.pool_id)
            db.session.commit()
            db.session.execute(delete(OutboxEvent).where(OutboxEvent.kind != "pool_closed"))
            db.session.commit()
            warm_up()
            started = time.perf_counter()
            expansion = outbox.expand_pending()
            written = time.perf_counter()
            report = mailer.send_pending()
            seconds = time.perf_counter() - started
            queued = expansion.messages
            db.engine.dispose()
    per_second = report.sent / seconds
    print(f"\n{backend}: outbox after closing a pool of {members:,} members: {queued:,} messages for its users")
    writing = written - started
    print(
        f"  written from the close's event in {writing:.2f} s, then sent in {seconds - writing:.2f} s: "
        f"{report.sent:,} in {seconds:.2f} s, {per_second:.0f} messages/s "
        f"({report.failed} failed, {report.retrying} retrying)"
    )
    figures = [
        Figure(
            "outbox",
            f"deliver the outbox after a {members:,}-member close, {queued:,} messages ({backend})",
            f">= {TARGET_PER_SECOND} messages/s",
            f"{per_second:.0f} messages/s ({report.sent:,} in {seconds:.2f} s)",
            per_second >= TARGET_PER_SECOND and not report.failed,
        )
    ]
    return {"backend": backend, "per_second": per_second, "figures": figures}


def main(argv=None) -> list[dict]:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--members", type=int, default=10_000)
    add_backend_option(parser)
    args = parser.parse_args(argv)
    return [run(backend, args.members) for backend in chosen_backends(args)]


if __name__ == "__main__":
    main()
