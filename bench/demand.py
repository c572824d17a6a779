"""The supplier's demand dashboard under load: 5,000 open pools and 1,000,000 pledges (issues 4 and 14).

    .venv/bin/python -m bench.demand [--pools 5000] [--pledges 1000000] [--clients 2] [--seconds 15]

Builds the data with bulk inserts (one supplier's offers, three consortia charging a handling
fee, members with their users and email choices from bench.seeding, pools with delivery
charges and solidarity rates, pledges with their history and the pools' running totals to
match, and closed pools with purchase orders), serves the app with gunicorn (2 workers) and
requests, as the supplier, the JSON API (bearer token) and the HTML page (session cookie from
a real sign-in), and, for the record, the CSV and the chart. Each runs 3 s of warm-up before it is
measured. The baseline, in the same run and through the same server: `GET /api/v1/me` with the
same token, the cheapest signed-in JSON answer (one token lookup, no pools). Target (issue 14,
PostgreSQL): the dashboard under 200 ms per request, mean and p95.
"""

import argparse
import random
import time
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import select, text

from bench.common import (
    Figure,
    Request,
    add_backend_option,
    bench_app,
    chosen_backends,
    drive,
    gunicorn,
    sign_in_cookie,
    throwaway_database,
)
from bench.seeding import DELIVERY_CHARGE_PENCE, SOLIDARITY_RATE_PERCENT, add_consortia, add_users, bulk, next_id
from catalogue.models import Category, Offer, PriceTier, VatRate
from kernel.clock import uk_date, utcnow
from kernel.extensions import db
from kernel.money import line_pence
from orders.models import (
    Pledge,
    PledgeChange,
    Pool,
    PoolBandTotal,
    PoolPledgeDay,
    PoolStatus,
    PoolTier,
    PurchaseOrder,
    PurchaseOrderStatus,
    pool_consortium,
)
from organisations import services as people
from organisations.models import Member, Organisation, Role, TurnoverBand

TARGET_MS = 200
BATCH = 10_000  # pledges built before they and their pools are written
CONSORTIA = 3
OFFERS = 10
NATIONAL_EVERY = 50
CLOSED_POOLS = 100
PASSWORD = "bench-password-123"
ORDER_STATUSES = (PurchaseOrderStatus.SENT, PurchaseOrderStatus.CONFIRMED, PurchaseOrderStatus.DELIVERED)


@dataclass
class Seeded:
    supplier_id: int
    token: str
    email: str
    pledges: int
    changes: int


def seed(app, pools: int, pledges: int) -> Seeded:
    rng = random.Random(4)
    now = utcnow()
    with app.app_context():
        address = {
            "address_line1": "1 High Street",
            "city": "Dundee",
            "postcode": "DD1 1AA",
            "contact_email": "bench@example.org",
        }
        consortia, networks = add_consortia(tuple(f"BE{n}" for n in range(CONSORTIA)))
        supplier = people.save_supplier(address | {"legal_name": "Bench Supplies Ltd"})
        user = people.save_user({"email": "supplier@bench.example", "name": "Bench Supplier", "password": PASSWORD})
        people.grant_role(user, Role.SUPPLIER, supplier.id)
        token = people.create_api_token(user, "bench")[1]
        category = db.session.scalar(select(Category).where(Category.slug == "stationery"))
        offers = []
        for n in range(OFFERS):
            offer = Offer(
                supplier=supplier,
                category=category,
                name=f"Bench offer {n}",
                unit="box",
                pack_size=5,
                vat_rate=VatRate.STANDARD,
                list_price=Decimal("25"),
                tiers=[
                    PriceTier(min_quantity=2_000, unit_price=Decimal("22")),
                    PriceTier(min_quantity=6_000, unit_price=Decimal("20")),
                    PriceTier(min_quantity=12_000, unit_price=Decimal("18.5")),
                ],
            )
            db.session.add(offer)
            offers.append(offer)
        db.session.flush()

        per_pool = max(pledges // pools, 1)
        per_consortium = per_pool + 20  # a few members never pledge
        organisation_id, member_id = next_id(Organisation), next_id(Member)
        members = {
            c: list(range(member_id + c * per_consortium, member_id + (c + 1) * per_consortium))
            for c in range(CONSORTIA)
        }
        total_members = CONSORTIA * per_consortium
        bulk(
            Organisation.__table__,
            (
                address
                | {
                    "id": organisation_id + i,
                    "legal_name": f"Bench member {i}",
                    "is_social_enterprise": True,
                    "created_at": now,
                }
                for i in range(total_members)
            ),
        )
        bulk(
            Member.__table__,
            (
                {
                    "id": member_id + i,
                    "organisation_id": organisation_id + i,
                    "network_id": networks[i // per_consortium].id,
                    "headcount": 5,
                    "turnover_band": TurnoverBand.UNDER_100K,
                    "active": True,
                    "created_at": now,
                }
                for i in range(total_members)
            ),
        )

        add_users([m for ids in members.values() for m in ids])

        pool_id, pledge_id, change_id = next_id(Pool), next_id(Pledge), next_id(PledgeChange)
        batch = {"pools": [], "links": [], "tiers": [], "pledges": [], "changes": [], "days": [], "bands": []}
        written = changes = 0

        def flush_batch():
            """Pools before their pledges, pledges before their history: the foreign keys hold at every step."""
            nonlocal written, changes
            bulk(Pool.__table__, batch["pools"])
            bulk(pool_consortium, batch["links"])
            bulk(PoolTier.__table__, batch["tiers"])
            written += bulk(Pledge.__table__, batch["pledges"])
            changes += bulk(PledgeChange.__table__, batch["changes"])
            bulk(PoolPledgeDay.__table__, batch["days"])
            bulk(PoolBandTotal.__table__, batch["bands"])
            for rows in batch.values():
                rows.clear()

        remaining = pledges
        for n in range(pools):
            pid = pool_id + n
            national = n % NATIONAL_EVERY == 0
            homes = list(range(CONSORTIA)) if national else [n % CONSORTIA]
            candidates = [m for c in homes for m in members[c]]
            count = min(per_pool if n < pools - 1 else remaining, len(candidates), remaining)
            remaining -= count
            quantity_total = flexible_total = 0
            opened = now - timedelta(days=30)
            by_day: dict = {}
            by_consortium: dict = {}
            for member in rng.sample(candidates, count):
                quantity, flexible = rng.randint(1, 20), rng.choice((0, 0, 0, 1, 2))
                changed = opened + timedelta(seconds=rng.randint(0, 30 * 86400 - 1))
                batch["pledges"].append(
                    {
                        "id": pledge_id,
                        "pool_id": pid,
                        "member_id": member,
                        "quantity": quantity,
                        "flexible_extra": flexible,
                        "created_at": changed,
                        "updated_at": changed,
                    }
                )
                batch["changes"].append(
                    {
                        "id": change_id,
                        "pledge_id": pledge_id,
                        "changed_by_id": user.id,
                        "changed_at": changed,
                        "old_quantity": 0,
                        "new_quantity": quantity,
                        "old_flexible_extra": 0,
                        "new_flexible_extra": flexible,
                    }
                )
                pledge_id, change_id = pledge_id + 1, change_id + 1
                quantity_total, flexible_total = quantity_total + quantity, flexible_total + flexible
                by_day[uk_date(changed)] = by_day.get(uk_date(changed), 0) + quantity
                home = (member - member_id) // per_consortium
                by_consortium[home] = by_consortium.get(home, 0) + quantity
            batch["days"] += [{"pool_id": pid, "day": day, "units_delta": units} for day, units in by_day.items()]
            batch["bands"] += [  # the totals each pledge keeps; every bench member is in the same band
                {
                    "pool_id": pid,
                    "consortium_id": consortia[c].id,
                    "turnover_band": TurnoverBand.UNDER_100K,
                    "quantity": units,
                }
                for c, units in by_consortium.items()
            ]
            batch["pools"].append(
                {
                    "id": pid,
                    "offer_id": offers[n % OFFERS].id,
                    "held_list_price": offers[n % OFFERS].list_price,
                    "is_national": national,
                    "status": PoolStatus.OPEN,
                    "deadline": now + timedelta(days=1 + n % 60),
                    "minimum_quantity": rng.randint(1_000, 12_000),
                    "capacity": None,
                    "delivery_charge_pence": DELIVERY_CHARGE_PENCE,
                    "solidarity_rate_percent": SOLIDARITY_RATE_PERCENT,
                    "created_by_id": user.id,
                    "created_at": opened,
                    "opened_at": opened,
                    "pledged_quantity": quantity_total,
                    "pledged_flexible": flexible_total,
                    "member_count": count,
                }
            )
            batch["links"] += [{"pool_id": pid, "consortium_id": consortia[c].id} for c in homes]
            batch["tiers"] += [
                {"pool_id": pid, "min_quantity": t.min_quantity, "unit_price": t.unit_price}
                for t in offers[n % OFFERS].tiers
            ]
            if len(batch["pledges"]) >= BATCH:
                flush_batch()
        flush_batch()
        pool_rows, link_rows = [], []
        order_rows = []
        for n in range(CLOSED_POOLS):
            pid = pool_id + pools + n
            offer = offers[n % OFFERS]
            pool_rows.append(
                {
                    "id": pid,
                    "offer_id": offer.id,
                    "is_national": False,
                    "status": PoolStatus.ORDERED,
                    "deadline": now - timedelta(days=1 + n % 200),
                    "minimum_quantity": 100,
                    "capacity": None,
                    "delivery_charge_pence": DELIVERY_CHARGE_PENCE,
                    "solidarity_rate_percent": SOLIDARITY_RATE_PERCENT,
                    "created_by_id": user.id,
                    "created_at": now - timedelta(days=250),
                    "opened_at": now - timedelta(days=250),
                    "closed_at": now - timedelta(days=1 + n % 200),
                    "closing_unit_price": Decimal("20"),
                    "held_list_price": offer.list_price,
                    "pledged_quantity": 0,
                    "pledged_flexible": 0,
                    "member_count": 0,
                }
            )
            consortium = consortia[n % CONSORTIA]
            link_rows.append({"pool_id": pid, "consortium_id": consortium.id})
            units = 5 * rng.randint(100, 2_000)
            order_rows.append(
                {
                    "number": f"{consortium.code}-PO-BENCH-{n:04d}",
                    "pool_id": pid,
                    "consortium_id": consortium.id,
                    "supplier_id": supplier.id,
                    "offer_id": offer.id,
                    "status": ORDER_STATUSES[n % 3],
                    "offer_name": offer.name,
                    "unit": offer.unit,
                    "pack_size": 5,
                    "vat_rate": VatRate.STANDARD,
                    "unit_price": Decimal("20"),
                    "list_price": offer.list_price,
                    "packs": units // 5,
                    "units": units,
                    "goods_pence": line_pence(units, Decimal("20")),
                    "delivery_charge_pence": 0,
                    "created_at": now - timedelta(days=1 + n % 200),
                }
            )
        bulk(Pool.__table__, pool_rows)
        bulk(pool_consortium, link_rows)
        bulk(PurchaseOrder.__table__, order_rows)
        db.session.commit()
        if db.engine.dialect.name == "postgresql":
            for table in ("organisation", "member", "pool", "pledge", "pledge_change"):
                db.session.execute(
                    text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
                )
            db.session.commit()
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                connection.execute(text("VACUUM ANALYZE"))
        else:
            db.session.execute(text("ANALYZE"))
            db.session.commit()
        seeded = Seeded(supplier.id, token, user.email, written, changes)
        db.engine.dispose()
        return seeded


@dataclass
class PageRequest(Request):
    cookie: str = ""

    def encode(self, host: str, port: int) -> bytes:
        return (
            f"{self.method} {self.path} HTTP/1.1\r\nHost: {host}:{port}\r\nCookie: {self.cookie}\r\n"
            f"Connection: close\r\n\r\n"
        ).encode()


def report(name: str, figures, targeted: bool, scale: str) -> dict:
    """The dashboard itself (JSON and HTML) has the issue's target; the CSV and chart are for the record."""
    mean = sum(figures.latencies) / len(figures.latencies) * 1000 if figures.latencies else float("nan")
    met = mean < TARGET_MS and figures.percentile(95) < TARGET_MS if targeted else None
    verdict = "-" if met is None else "met" if met else "NOT met"
    print(
        f"{name:<42}{figures.requests:>9}{mean:>10.1f}{figures.percentile(50):>10.1f}"
        f"{figures.percentile(95):>10.1f}{figures.percentile(99):>10.1f}{figures.errors:>8}   {verdict}"
    )
    figure = Figure(
        "demand",
        f"{name}, {scale}",
        f"mean and p95 < {TARGET_MS} ms" if targeted else "reported",
        f"{mean:.1f} ms mean, median {figures.percentile(50):.0f}, p95 {figures.percentile(95):.0f}, "
        f"p99 {figures.percentile(99):.0f} ms, {figures.errors} errors",
        met,
    )
    return {"endpoint": name, "requests": figures.requests, "mean_ms": mean, "met": met, "figures": [figure]}


def run(backend: str, pools: int, pledges: int, clients: int, seconds: float) -> list[dict]:
    with throwaway_database(backend) as url:
        app = bench_app(url)
        started = time.monotonic()
        seeded = seed(app, pools, pledges)
        built = time.monotonic() - started
        with gunicorn(url) as (host, port):
            cookie = sign_in_cookie(host, port, seeded.email, PASSWORD)
            base = f"/supplier/{seeded.supplier_id}/demand"
            cases = [
                (
                    "baseline: GET /api/v1/me (JSON)",
                    False,
                    lambda i, n: Request("GET", "/api/v1/me", seeded.token),
                ),
                (
                    "GET /api/v1/supplier/demand (JSON)",
                    True,
                    lambda i, n: Request("GET", "/api/v1/supplier/demand", seeded.token),
                ),
                (f"GET {base} (HTML)", True, lambda i, n: PageRequest("GET", base, "", cookie=cookie)),
                (f"GET {base}.csv", False, lambda i, n: PageRequest("GET", base + ".csv", "", cookie=cookie)),
                (
                    f"GET {base}/pledged-units.svg",
                    False,
                    lambda i, n: PageRequest("GET", base + "/pledged-units.svg", "", cookie=cookie),
                ),
            ]
            figures = [
                (name, targeted, drive(name, host, port, clients, seconds, make)) for name, targeted, make in cases
            ]
    print(
        f"\n{backend}: {pools:,} open pools + {CLOSED_POOLS} closed, {seeded.pledges:,} pledges, "
        f"{seeded.changes:,} pledge changes (built in {built:.0f} s); {clients} clients, {seconds:.0f} s each, "
        f"gunicorn 2 workers; target: mean and p95 under {TARGET_MS} ms per request"
    )
    print(
        f"{'endpoint':<42}{'requests':>9}{'mean ms':>10}{'median ms':>10}{'p95 ms':>10}{'p99 ms':>10}{'errors':>8}"
        "   target"
    )
    scale = f"{pools:,} pools, {seeded.pledges:,} pledges ({backend})"
    return [report(name, f, targeted, scale) | {"backend": backend} for name, targeted, f in figures]


def main(argv=None) -> list[dict]:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pools", type=int, default=5_000)
    parser.add_argument("--pledges", type=int, default=1_000_000)
    parser.add_argument("--clients", type=int, default=2)
    parser.add_argument("--seconds", type=float, default=15)
    add_backend_option(parser)
    args = parser.parse_args(argv)
    return [
        row
        for backend in chosen_backends(args)
        for row in run(backend, args.pools, args.pledges, args.clients, args.seconds)
    ]


if __name__ == "__main__":
    main()
