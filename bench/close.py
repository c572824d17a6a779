"""Closing a national pool of 10,000 pledges from 10,000 members in 3 consortia, against a bulk-insert baseline.

    .venv/bin/python -m bench.close [--pledges 10000] [--large 100000] [--repeat 5]

The world is bench.seeding's: every member has its users and their email choices, so the
close queues its notifications as it would for real. The close is `orders.closing.close_pool`
and its commit; the baseline reads the same pledges with one GROUP BY and one join, and
inserts the same purchase orders and allocation rows into the app's own tables (same indexes
and keys) with `kernel.bulk.insert_rows`, one multi-row statement, as the close does. One
warm-up round of each, then `repeat` measured ones: median and p95. Targets (issue 14,
PostgreSQL): 10,000 pledges under 1 s and at most 3x the baseline; 100,000 under 6 s.
"""

import argparse
import statistics
import time

from sqlalchemy import insert, select

from bench.common import (
    Expansion,
    Figure,
    add_backend_option,
    bench_app,
    chosen_backends,
    expand_events,
    throwaway_database,
)
from bench.seeding import pool_world
from kernel.bulk import insert_rows
from kernel.clock import utcnow
from kernel.extensions import db
from orders import closing
from orders.models import Allocation, Pledge, Pool, PoolTier, PurchaseOrder, PurchaseOrderStatus
from organisations.models import Member, Network, Organisation, OutboxEvent, OutboxMessage

TARGET_SECONDS = {10_000: 1.0, 100_000: 6.0}
TARGET_RATIO = 3.0


def baseline(pool_id: int) -> float:
    """The floor: the pledges totalled and read once, then the orders and allocations written in bulk."""
    pool = db.session.get_one(Pool, pool_id)
    offer = pool.offer
    started = time.perf_counter()
    totals = db.session.execute(
        select(Network.consortium_id, db.func.sum(Pledge.quantity), db.func.count())
        .join(Member, Pledge.member_id == Member.id)
        .join(Network)
        .where(Pledge.pool_id == pool_id)
        .group_by(Network.consortium_id)
    ).all()
    rows = db.session.execute(
        select(
            Network.consortium_id,
            Pledge.member_id,
            Pledge.id,
            Pledge.quantity,
            Pledge.flexible_extra,
            Organisation.legal_name,
            Organisation.address_line1,
            Organisation.contact_email,
        )
        .join(Member, Pledge.member_id == Member.id)
        .join(Network)
        .join(Organisation)
        .where(Pledge.pool_id == pool_id)
    ).all()
    order_ids = {}
    for consortium_id, units, _count in totals:
        order_ids[consortium_id] = db.session.execute(
            insert(PurchaseOrder)
            .values(
                number=f"BASE-{pool_id}-{consortium_id}",
                pool_id=pool_id,
                consortium_id=consortium_id,
                supplier_id=offer.supplier_id,
                offer_id=offer.id,
                status=PurchaseOrderStatus.DRAFT,
                offer_name=offer.name,
                unit=offer.unit,
                pack_size=offer.pack_size,
                vat_rate=offer.vat_rate,
                unit_price=offer.list_price,
                list_price=offer.list_price,
                packs=units // offer.pack_size,
                units=units,
                goods_pence=0,
                delivery_charge_pence=0,
                created_at=utcnow(),
            )
            .returning(PurchaseOrder.id)
        ).scalar_one()
    insert_rows(
        Allocation.__table__,
        [
            {
                "purchase_order_id": order_ids[r[0]],
                "member_id": r[1],
                "pledge_id": r[2],
                "pledged_units": r[3],
                "flexible_extra": r[4],
                "units": r[3],
                "reason": "As pledged.",
                "member_name": r[5],
                "delivery_address": r[6],
                "contact_email": r[7],
            }
            for r in rows
        ],
    )
    db.session.commit()
    elapsed = time.perf_counter() - started
    _reopen(pool_id)
    return elapsed


def close_once(pool_id: int) -> tuple[float, Expansion]:
    """Times the close and its commit; then, untimed, the sender writes the messages of the events it queued
    (what each user will be sent); then the pool is open again for the next round."""
    started = time.perf_counter()
    result = closing.close_pool(None, pool_id)
    db.session.commit()
    elapsed = time.perf_counter() - started
    assert len(result.purchase_orders) >= 1 and sum(o.units for o in result.purchase_orders) > 0
    expansion = expand_events()
    _reopen(pool_id)
    return elapsed, expansion


def _reopen(pool_id: int) -> None:
    """Undoes a close, its messages included, so the next round queues them again."""
    order_ids = select(PurchaseOrder.id).where(PurchaseOrder.pool_id == pool_id)
    db.session.execute(Allocation.__table__.delete().where(Allocation.purchase_order_id.in_(order_ids)))
    db.session.execute(PurchaseOrder.__table__.delete().where(PurchaseOrder.pool_id == pool_id))
    db.session.execute(PoolTier.__table__.delete().where(PoolTier.pool_id == pool_id))
    db.session.execute(OutboxMessage.__table__.delete())
    db.session.execute(OutboxEvent.__table__.delete())
    db.session.execute(
        Pool.__table__.update().where(Pool.id == pool_id).values(status="open", closed_at=None, closing_unit_price=None)
    )
    db.session.commit()
    db.session.expire_all()


def percentile(times: list[float], p: int) -> float:
    """The p-th percentile (inclusive method); the only figure when there is one."""
    return statistics.quantiles(times, n=100, method="inclusive")[p - 1] if len(times) > 1 else times[0]


def run(backend: str, pledges: int, repeat: int) -> dict:
    with throwaway_database(backend) as url:
        app = bench_app(url)
        with app.app_context():
            world = pool_world(pledges)
            baseline(world.pool_id)
            close_once(world.pool_id)
            bases = [baseline(world.pool_id) for _ in range(repeat)]
            closes = [close_once(world.pool_id) for _ in range(repeat)]
            db.engine.dispose()
    times = [seconds for seconds, _ in closes]
    expansion = closes[0][1]
    queued = expansion.messages
    median, high = statistics.median(times), percentile(times, 95)
    base = statistics.median(bases)
    ratio = median / base
    target = TARGET_SECONDS.get(pledges, 6.0 * pledges / 100_000 if pledges > 10_000 else 1.0)
    print(
        f"\n{backend}: close of a national pool, {pledges:,} pledges, {len(world.users):,} users, "
        f"3 consortia ({repeat} rounds after a warm-up)"
    )
    print(f"  baseline (read + bulk insert)     median {base * 1000:8.1f} ms")
    print(f"  close_pool + commit               median {median * 1000:8.1f} ms, p95 {high * 1000:.1f} ms")
    print(
        f"  events queued by the close        {expansion.events:,}, which the sender wrote as {queued:,} messages "
        f"in {expansion.seconds:.2f} s (outside the close)"
    )
    figures = [
        Figure(
            "close",
            f"close {pledges:,} pledges, users included, events for {queued:,} messages queued ({backend})",
            f"< {target:g} s",
            f"median {median:.3f} s, p95 {high:.3f} s",
            median < target,
        ),
    ]
    if pledges <= 10_000:
        figures.append(
            Figure(
                "close",
                f"close {pledges:,} pledges vs read + bulk-insert baseline ({backend})",
                f"<= {TARGET_RATIO:.0f}x baseline",
                f"{ratio:.1f}x ({base * 1000:.0f} ms baseline)",
                ratio <= TARGET_RATIO,
            )
        )
    return {"backend": backend, "seconds": median, "ratio": ratio, "figures": figures}


def main(argv=None) -> list[dict]:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pledges", type=int, default=10_000)
    parser.add_argument("--large", type=int, default=100_000, help="the linear-growth size; 0 to skip it")
    parser.add_argument("--repeat", type=int, default=5)
    add_backend_option(parser)
    args = parser.parse_args(argv)
    sizes = [args.pledges] + ([args.large] if args.large else [])
    return [run(backend, size, args.repeat) for backend in chosen_backends(args) for size in sizes]


if __name__ == "__main__":
    main()
