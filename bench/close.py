"""Closing a national pool of 10,000 pledges from 10,000 members in 3 consortia, against a raw-SQL baseline.

    .venv/bin/python -m bench.close [--pledges 10000] [--repeat 3]

The baseline does the same aggregation with one GROUP BY and bulk-inserts the same allocation
rows (same columns, raw SQL); the close is `orders.closing.close_pool` and its commit. Target (issue 4):
under 1 s, and at most 5 times the baseline, on PostgreSQL and on SQLite.
"""

import argparse
import statistics
import time
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import insert, select, text

from bench.common import Figure, add_backend_option, bench_app, chosen_backends, throwaway_database
from catalogue.models import Category, Offer, PriceTier, VatRate
from kernel.clock import utcnow
from kernel.extensions import db
from orders import closing, services
from orders.models import Allocation, Pledge, Pool, PoolTier, PurchaseOrder
from organisations import services as people
from organisations.models import Member, Network, Organisation, Role, TurnoverBand

TARGET_SECONDS = 1.0
TARGET_RATIO = 5.0
CHUNK = 2000

BASELINE_TABLE = (
    "CREATE TABLE IF NOT EXISTS benchmark_allocation (purchase_order_id INTEGER, member_id INTEGER, "
    "pledge_id INTEGER, pledged_units INTEGER, flexible_extra INTEGER, units INTEGER, reason VARCHAR(300), "
    "member_name VARCHAR(200), delivery_address VARCHAR(500), contact_email VARCHAR(254))"
)


def _chunks(rows: list[dict]):
    for start in range(0, len(rows), CHUNK):
        yield rows[start : start + CHUNK]


def seed(pledges: int, codes: tuple[str, ...] = ("AAA", "BBB", "CCC")) -> int:
    """Consortia (three by default), `pledges` members spread over them, each pledging into one open pool."""
    organisation = {
        "address_line1": "1 High Street",
        "city": "Dundee",
        "postcode": "DD1 1AA",
        "contact_email": "bench@example.org",
    }
    admin = people.save_user({"email": "admin@bench.example", "name": "A", "password": "x" * 12})
    people.grant_role(admin, Role.ADMIN)
    networks = []
    consortia = []
    for code in codes:
        consortium = people.save_consortium(
            organisation | {"name": code, "code": code, "legal_name": code, "vat_number": "GB284719365"}
        )
        consortia.append(consortium)
        networks.append(people.save_network({"name": f"{code} network", "consortium_id": consortium.id}))
    supplier = people.save_supplier(organisation | {"legal_name": "Bench Supplies"})
    category = db.session.scalar(select(Category).where(Category.slug == "stationery"))
    offer = Offer(
        supplier=supplier,
        category=category,
        name="Paper",
        unit="ream",
        pack_size=5,
        vat_rate=VatRate.STANDARD,
        list_price=Decimal("4.20"),
        tiers=[
            PriceTier(min_quantity=1000, unit_price=Decimal("3.85")),
            PriceTier(min_quantity=20000, unit_price=Decimal("3.4900")),
        ],
    )
    db.session.add(offer)
    db.session.flush()
    pool = services.create_pool(admin, offer, consortia, services.PoolTerms(deadline=utcnow() + timedelta(days=1)))
    services.open_pool(admin, pool)
    first_org = (db.session.scalar(select(db.func.max(Organisation.id))) or 0) + 1
    db.session.execute(
        insert(Organisation),
        [
            organisation
            | {"id": first_org + n, "legal_name": f"Member {n}", "is_social_enterprise": True, "created_at": utcnow()}
            for n in range(pledges)
        ],
    )
    first_member = (db.session.scalar(select(db.func.max(Member.id))) or 0) + 1
    for rows in _chunks(
        [
            {
                "id": first_member + n,
                "organisation_id": first_org + n,
                "network_id": networks[n % len(networks)].id,
                "headcount": 5,
                "turnover_band": TurnoverBand.UNDER_100K,
                "active": True,
                "created_at": utcnow(),
            }
            for n in range(pledges)
        ]
    ):
        db.session.execute(insert(Member), rows)
    now = utcnow()
    quantities = [1 + (n * 7) % 23 for n in range(pledges)]
    extras = [(n * 3) % 4 for n in range(pledges)]
    for rows in _chunks(
        [
            {
                "pool_id": pool.id,
                "member_id": first_member + n,
                "quantity": quantities[n],
                "flexible_extra": extras[n],
                "created_at": now + timedelta(microseconds=n),
                "updated_at": now,
            }
            for n in range(pledges)
        ]
    ):
        db.session.execute(insert(Pledge), rows)
    pool.pledged_quantity, pool.pledged_flexible, pool.member_count = sum(quantities), sum(extras), pledges
    db.session.execute(text(BASELINE_TABLE))
    db.session.commit()
    return pool.id


def baseline(pool_id: int) -> float:
    """The floor: one GROUP BY over the pledges, then the same allocation rows bulk-inserted with raw SQL."""
    started = time.perf_counter()
    db.session.execute(
        select(Network.consortium_id, db.func.sum(Pledge.quantity), db.func.sum(Pledge.flexible_extra), db.func.count())
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
    db.session.execute(
        text(
            "INSERT INTO benchmark_allocation (purchase_order_id, member_id, pledge_id, pledged_units, flexible_extra, "
            "units, reason, member_name, delivery_address, contact_email) "
            "VALUES (:o, :m, :p, :q, :f, :u, 'As pledged.', :n, :a, :e)"
        ),
        [
            {"o": r[0], "m": r[1], "p": r[2], "q": r[3], "f": r[4], "u": r[3], "n": r[5], "a": r[6], "e": r[7]}
            for r in rows
        ],
    )
    db.session.commit()
    elapsed = time.perf_counter() - started
    db.session.execute(text("DELETE FROM benchmark_allocation"))
    db.session.commit()
    return elapsed


def close_once(pool_id: int) -> float:
    """Times the close and its commit, then puts the pool back to open for the next round."""
    started = time.perf_counter()
    result = closing.close_pool(None, pool_id)
    db.session.commit()
    elapsed = time.perf_counter() - started
    assert len(result.purchase_orders) == 3 and sum(o.units for o in result.purchase_orders) > 0
    _reopen(pool_id)
    return elapsed


def _reopen(pool_id: int) -> None:
    order_ids = select(PurchaseOrder.id).where(PurchaseOrder.pool_id == pool_id)
    db.session.execute(Allocation.__table__.delete().where(Allocation.purchase_order_id.in_(order_ids)))
    db.session.execute(PurchaseOrder.__table__.delete().where(PurchaseOrder.pool_id == pool_id))
    db.session.execute(PoolTier.__table__.delete().where(PoolTier.pool_id == pool_id))
    db.session.execute(
        Pool.__table__.update().where(Pool.id == pool_id).values(status="open", closed_at=None, closing_unit_price=None)
    )
    db.session.commit()
    db.session.expire_all()


def run(backend: str, pledges: int, repeat: int) -> dict:
    with throwaway_database(backend) as url:
        app = bench_app(url)
        with app.app_context():
            pool_id = seed(pledges)
            base = min(baseline(pool_id) for _ in range(repeat))
            closes = [close_once(pool_id) for _ in range(repeat)]
            db.engine.dispose()
    best, median = min(closes), statistics.median(closes)
    ratio = best / base
    met = best < TARGET_SECONDS and ratio <= TARGET_RATIO
    print(f"\n{backend}: close of a national pool, {pledges:,} pledges, 3 consortia (best of {repeat})")
    print(f"  baseline (GROUP BY + bulk insert) {base * 1000:8.1f} ms")
    print(f"  close_pool + commit               {best * 1000:8.1f} ms (median {median * 1000:.1f} ms)")
    print(
        f"  target: under {TARGET_SECONDS:.0f} s and at most {TARGET_RATIO:.0f}x the baseline: "
        f"{ratio:.1f}x, {'met' if met else 'NOT met'}"
    )
    figures = [
        Figure(
            "close",
            f"close a national pool of {pledges:,} pledges ({backend})",
            f"< {TARGET_SECONDS:.0f} s",
            f"{best:.3f} s (median {median:.3f} s)",
            best < TARGET_SECONDS,
        ),
        Figure(
            "close",
            f"close vs GROUP BY + bulk insert baseline ({backend})",
            f"<= {TARGET_RATIO:.0f}x baseline",
            f"{ratio:.1f}x ({base * 1000:.0f} ms baseline)",
            ratio <= TARGET_RATIO,
        ),
    ]
    return {"backend": backend, "seconds": best, "ratio": ratio, "met": met, "figures": figures}


def main(argv=None) -> list[dict]:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pledges", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    add_backend_option(parser)
    args = parser.parse_args(argv)
    return [run(backend, args.pledges, args.repeat) for backend in chosen_backends(args)]


if __name__ == "__main__":
    main()
