"""Pledging: throughput and latency against a one-INSERT baseline, and how long a tier-crossing pledge holds the pool.

    .venv/bin/python -m bench.pledge [--members 10000] [--clients 32] [--seconds 20] [--crossings 20]

bench.seeding's world: a national pool already pledged by `members` members, each with its
users and their email choices; `clients` of those members pledge and re-pledge through
gunicorn (2 workers). The baseline is an endpoint doing one authenticated INSERT, served
only when `BENCHMARK_BASELINE=1`.

1. Throughput at saturation, closed loop (each client sends again as soon as it is answered).
2. Latency at a fixed offered load below saturation: an open loop sending at 70% of the
   baseline's measured throughput, latency from each request's scheduled send time; the
   pledge's p95 against the baseline's at the same load. At saturation latency is only queueing.
3. The pool's lock during a pledge that lifts the pool into a better tier (the one that tells
   the members): in this process, on the same database, a new tier just above the pool's total
   is added and one member pledges one unit more, `crossings` times after a warm-up. The lock
   is held from the statement that takes it (PostgreSQL: the SELECT ... FOR UPDATE on the pool;
   SQLite: the writer-lock UPDATE before it), timed as it is sent, until the commit returns,
   found with SQLAlchemy's cursor events. Nothing is changed in the app to measure it.

Targets (issue 14, PostgreSQL): throughput at least 0.7x the baseline's; p95 at 70% load at
most 2x the baseline's p95 at that load; lock held under 10 ms whatever the member count.
"""

import argparse
import statistics
import time
from decimal import Decimal

from sqlalchemy import event, select, text

from app.benchmark import PROBE_TABLE
from bench.close import percentile
from bench.common import (
    Figure,
    Request,
    add_backend_option,
    bench_app,
    chosen_backends,
    drive,
    drive_at_rate,
    gunicorn,
    print_figures,
    throwaway_database,
)
from bench.seeding import pool_world
from kernel.extensions import db
from orders import services
from orders.models import Pledge, Pool, PoolTier
from organisations import services as people
from organisations.models import RoleGrant, User

THROUGHPUT_TARGET = 0.7
LOAD_SHARE = 0.7
P95_TARGET = 2.0
LOCK_TARGET_MS = 10.0


def seed(app, members: int, clients: int) -> tuple[int, list[str]]:
    """The pool and an API token for the first user of each of `clients` members."""
    with app.app_context():
        db.session.execute(text(PROBE_TABLE))
        world = pool_world(members)
        tokens = [people.create_api_token(db.session.get_one(User, u), "bench")[1] for u, _ in world.users[:clients]]
        db.session.commit()
        return world.pool_id, tokens


def lock_times(pool_id: int, crossings: int) -> list[float]:
    """Seconds the pool's lock is held by each of `crossings` tier-crossing pledges, after one warm-up."""
    user_id, member_id = db.session.execute(
        select(RoleGrant.user_id, RoleGrant.member_id)
        .where(RoleGrant.member_id.is_not(None))
        .order_by(RoleGrant.id)
        .limit(1)
    ).one()
    taken: list[float] = []

    def mark(_conn, _cursor, statement: str, *_args) -> None:
        if "FOR UPDATE" in statement or statement.startswith("UPDATE pool SET id"):
            taken.append(time.perf_counter())

    held = []
    event.listen(db.engine, "before_cursor_execute", mark)
    try:
        for _ in range(crossings + 1):
            db.session.expire_all()
            pool = db.session.get_one(Pool, pool_id)
            lowest = min(t.unit_price for t in pool.held_tiers)
            db.session.add(
                PoolTier(pool_id=pool_id, min_quantity=pool.pledged_quantity + 1, unit_price=lowest - Decimal("0.01"))
            )
            quantity = db.session.execute(
                select(Pledge.quantity).where(Pledge.pool_id == pool_id, Pledge.member_id == member_id)
            ).scalar_one()
            db.session.commit()
            actor = db.session.get_one(User, user_id)
            taken.clear()
            services.pledge(actor, pool_id, quantity + 1)
            db.session.commit()
            held.append(time.perf_counter() - taken[0])
    finally:
        event.remove(db.engine, "before_cursor_execute", mark)
    return held[1:]


def run(backend: str, members: int, clients: int, seconds: float, crossings: int) -> dict:
    with throwaway_database(backend) as url:
        app = bench_app(url)
        pool_id, tokens = seed(app, members, clients)
        with app.app_context():
            db.engine.dispose()

        def insert(i: int, n: int) -> Request:
            return Request("POST", "/api/v1/benchmark/insert", tokens[i])

        def pledge(i: int, n: int) -> Request:
            return Request("PUT", f"/api/v1/pools/{pool_id}/pledge", tokens[i], f'{{"quantity": {1 + n % 5}}}'.encode())

        with gunicorn(url) as (host, port):
            baseline = drive("baseline: one INSERT", host, port, clients, seconds, insert)
            saturated = drive("PUT /api/v1/pools/<id>/pledge", host, port, clients, seconds, pledge)
            rate = LOAD_SHARE * baseline.per_second
            base_load = drive_at_rate(f"baseline at {rate:.0f}/s", host, port, rate, seconds, insert, clients)
            pledge_load = drive_at_rate(f"pledge at {rate:.0f}/s", host, port, rate, seconds, pledge, clients)
        with app.app_context():
            held = lock_times(pool_id, crossings)
            db.engine.dispose()
    print_figures(
        f"{backend}: {clients} clients of {members:,} members, {seconds:.0f} s each, gunicorn 2 workers",
        [baseline, saturated, base_load, pledge_load],
    )
    throughput = saturated.per_second / baseline.per_second
    p95 = pledge_load.percentile(95) / base_load.percentile(95)
    held_median, held_p95 = statistics.median(held) * 1000, percentile(held, 95) * 1000
    print(f"  tier-crossing pledge holds the pool's lock: median {held_median:.1f} ms, p95 {held_p95:.1f} ms")
    figures = [
        Figure(
            "pledge",
            f"pledge throughput vs one-INSERT baseline, {clients} clients ({backend})",
            f">= {THROUGHPUT_TARGET}x baseline",
            f"{throughput:.2f}x ({saturated.per_second:.0f} vs {baseline.per_second:.0f} req/s)",
            throughput >= THROUGHPUT_TARGET,
        ),
        Figure(
            "pledge",
            f"pledge p95 at {rate:.0f} req/s, 70% of baseline's throughput ({backend})",
            f"<= {P95_TARGET:g}x baseline p95",
            f"{p95:.2f}x ({pledge_load.percentile(95):.0f} vs {base_load.percentile(95):.0f} ms; "
            f"median {pledge_load.percentile(50):.0f}, p99 {pledge_load.percentile(99):.0f} ms; "
            f"{pledge_load.errors} errors)",
            p95 <= P95_TARGET and pledge_load.errors == 0,
        ),
        Figure(
            "pledge",
            f"tier-crossing pledge in a {members:,}-member pool: pool lock held ({backend})",
            f"< {LOCK_TARGET_MS:g} ms",
            f"median {held_median:.1f} ms, p95 {held_p95:.1f} ms over {len(held)}",
            held_median < LOCK_TARGET_MS,
        ),
    ]
    return {"backend": backend, "throughput_ratio": throughput, "p95_ratio": p95, "figures": figures}


def main(argv=None) -> list[dict]:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--members", type=int, default=10_000)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--crossings", type=int, default=20)
    add_backend_option(parser)
    args = parser.parse_args(argv)
    return [run(b, args.members, args.clients, args.seconds, args.crossings) for b in chosen_backends(args)]


if __name__ == "__main__":
    main()
