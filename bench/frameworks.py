"""Call-offs arriving at once against a framework with room for a few: exactly that many accepted.

    .venv/bin/python -m bench.frameworks [--call-offs 50] [--room 10] [--backend postgresql]

A framework of one consortium's 50 members (bench.seeding's world: users and their email
choices included) with a fixed rate of £100 and a ceiling of `room` x £100, no allowance.
`call-offs` threads, each with its own database connection and acting as its own member's
user, wait at a barrier and place one call-off each at the same moment through the service
the page and the API call. Target (issue 17, PostgreSQL): exactly `room` accepted, the rest
refused with the ceiling's message, consumption exactly at the ceiling; the time the burst
takes is reported beside the time one call-off takes alone.
"""

import argparse
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from decimal import Decimal
from threading import Barrier

from sqlalchemy import func, select

from app.factory import create_app
from bench.common import Figure, add_backend_option, bench_app, chosen_backends, throwaway_database
from bench.seeding import pool_world
from frameworks import services
from frameworks.models import CallOff, Framework, Route
from frameworks.terms import LotTerms
from kernel.clock import uk_today
from kernel.errors import Conflict
from kernel.extensions import db
from organisations.models import Consortium, Supplier, User

PRICE_PENCE = 10_000


def seed(members: int, room: int) -> tuple[int, int, list[tuple[int, int]]]:
    """(framework id, lot id, [(user id, member id)]) of a live framework with room for `room` call-offs."""
    world = pool_world(members, codes=("AAA",))
    admin = db.session.get_one(User, world.admin_id)
    consortium = db.session.scalars(select(Consortium)).one()
    supplier = db.session.scalars(select(Supplier)).first()
    assert supplier is not None
    today = uk_today()
    framework = services.create_framework(
        admin,
        name="Bench marketing",
        consortium_ids=[consortium.id],
        supplier_ids=[supplier.id],
        lots=[LotTerms("Press release", "release", "releases", [(1, Decimal(PRICE_PENCE).scaleb(-2))])],
        starts_on=today,
        ends_on=today + timedelta(days=365),
        ceiling_pence=room * PRICE_PENCE,
        allowance_percent=Decimal(0),
        fee_percent=Decimal(2),
        route=Route.DIRECT_AWARD,
    )
    services.make_live(admin, framework.id)
    db.session.commit()
    return framework.id, framework.lots[0].id, world.users


def place(app, barrier: Barrier | None, framework_id: int, lot_id: int, user_id: int, member_id: int) -> str:
    """One call-off in its own app context (its own session and connection): "accepted", or the refusal."""
    with app.app_context():
        user = db.session.get_one(User, user_id)
        if barrier is not None:
            barrier.wait(timeout=60)
        try:
            services.place_call_off(user, framework_id=framework_id, lot_id=lot_id, member_id=member_id, quantity=1)
            db.session.commit()
            return "accepted"
        except Conflict as refused:
            db.session.rollback()
            return refused.message
        finally:
            db.session.remove()


def run(backend: str, call_offs: int, room: int) -> dict:
    with throwaway_database(backend) as url:
        with bench_app(url).app_context():
            framework_id, lot_id, users = seed(call_offs + 1, room)
        app = create_app(
            {
                "SQLALCHEMY_DATABASE_URI": url,
                "SECRET_KEY": "benchmark",
                "SQLALCHEMY_ENGINE_OPTIONS": {"pool_size": call_offs + 5},
            }
        )
        started = time.perf_counter()
        alone = place(app, None, framework_id, lot_id, *users[-1])  # warm-up, and one call-off on its own
        single = time.perf_counter() - started
        with app.app_context():
            framework = db.session.get_one(Framework, framework_id)
            framework.ceiling_pence += PRICE_PENCE  # the warm-up's call-off leaves `room` as set
            db.session.commit()
        barrier = Barrier(call_offs)
        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=call_offs) as pool:
            answers = list(pool.map(lambda u: place(app, barrier, framework_id, lot_id, *u), users[:call_offs]))
        burst = time.perf_counter() - started
        with app.app_context():
            framework = db.session.get_one(Framework, framework_id)
            stored = db.session.scalar(select(func.count()).select_from(CallOff)) - 1
            at_ceiling = framework.consumed_pence == framework.ceiling_pence
            db.engine.dispose()
    accepted = answers.count("accepted")
    refused = [a for a in answers if a != "accepted"]
    met = alone == "accepted" and accepted == room and stored == room and at_ceiling
    met = met and all("past its ceiling" in a for a in refused)
    print(f"\n{backend}: {call_offs} call-offs at once against a framework with room for {room}")
    print(f"  one call-off alone      {single * 1000:8.1f} ms")
    print(
        f"  the burst               {burst * 1000:8.1f} ms: "
        f"{accepted} accepted, {len(refused)} refused, {stored} stored"
    )
    print(
        f"  consumption at the ceiling: {'yes' if at_ceiling else 'NO'} "
        f"(target exactly {room}: {'met' if met else 'NOT met'})"
    )
    return {
        "figures": [
            Figure(
                "frameworks",
                f"{backend}: {call_offs} concurrent call-offs, room for {room}",
                f"exactly {room} accepted",
                f"{accepted} accepted in {burst * 1000:.0f} ms",
                met if backend == "postgresql" else None,
            )
        ]
    }


def main(argv=None) -> list[dict]:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--call-offs", type=int, default=50)
    parser.add_argument("--room", type=int, default=10)
    add_backend_option(parser)
    args = parser.parse_args(argv)
    return [run(backend, args.call_offs, args.room) for backend in chosen_backends(args)]


if __name__ == "__main__":
    main()
