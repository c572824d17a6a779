"""Pledge throughput and latency against a one-INSERT baseline, on PostgreSQL and SQLite.

    .venv/bin/python -m bench.pledge [--clients 32] [--seconds 20]

Serves the app with gunicorn (2 workers); each client is a different member that pledges
and re-pledges into one pool. Target (issue 3): pledge requests/s at least 50% of the
baseline's, and pledge p99 at most 2.5 times the baseline's p99.
"""

import argparse
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import text

from app.benchmark import PROBE_TABLE
from bench.common import (
    Figure,
    Request,
    add_backend_option,
    bench_app,
    chosen_backends,
    drive,
    gunicorn,
    print_figures,
    throwaway_database,
)
from catalogue.models import Category, Offer, PriceTier, VatRate
from kernel.clock import utcnow
from kernel.extensions import db
from orders import services
from organisations import notifications
from organisations import services as people
from organisations.models import Role, TurnoverBand

THROUGHPUT_TARGET = 0.5
P99_TARGET = 2.5


def seed(app, clients: int) -> tuple[int, list[str]]:
    """One consortium, `clients` members each with a user and token, one open pool."""
    with app.app_context():
        db.session.execute(text(PROBE_TABLE))
        organisation = {
            "address_line1": "1 High Street",
            "city": "Dundee",
            "postcode": "DD1 1AA",
            "contact_email": "bench@example.org",
        }
        consortium = people.save_consortium(
            organisation | {"name": "Bench", "code": "BEN", "legal_name": "Bench", "vat_number": "GB284719365"}
        )
        consortium.handling_fee_percent = Decimal("2.5")
        network = people.save_network({"name": "Bench network", "consortium_id": consortium.id})
        secretary = people.save_user({"email": "secretary@bench.example", "name": "S", "password": "x" * 12})
        people.grant_role(secretary, Role.SECRETARY, consortium.id)
        supplier = people.save_supplier(organisation | {"legal_name": "Bench Supplies"})
        category = db.session.scalar(db.select(Category).where(Category.slug == "stationery"))
        offer = Offer(
            supplier=supplier,
            category=category,
            name="Paper",
            unit="box",
            vat_rate=VatRate.STANDARD,
            list_price=Decimal("25"),
            tiers=[
                PriceTier(min_quantity=50, unit_price=Decimal("22")),
                PriceTier(min_quantity=100, unit_price=Decimal("20")),
            ],
        )
        db.session.add(offer)
        db.session.flush()
        pool = services.create_pool(
            secretary,
            offer,
            [consortium],
            services.PoolTerms(deadline=utcnow() + timedelta(days=1), delivery_charge_pence=4_500),
        )
        services.open_pool(secretary, pool)
        tokens = []
        for n in range(clients):
            member = people.save_member(
                organisation
                | {
                    "legal_name": f"Member {n}",
                    "network_id": network.id,
                    "headcount": 5,
                    "turnover_band": TurnoverBand.UNDER_100K,
                }
            )
            user = people.save_user({"email": f"m{n}@bench.example", "name": f"M{n}", "password": "x" * 12})
            people.grant_role(user, Role.MEMBER, member.id)
            if n % 3 == 0:
                # As real users do, some switch off the tier-change email; the rest are told on each new tier.
                notifications.set_received(user, [k for k in notifications.kinds_for(user) if k != "pool_tier_reached"])
            tokens.append(people.create_api_token(user, "bench")[1])
        db.session.commit()
        return pool.id, tokens


def run(backend: str, clients: int, seconds: float) -> dict:
    with throwaway_database(backend) as url:
        app = bench_app(url)
        pool_id, tokens = seed(app, clients)
        with app.app_context():
            db.engine.dispose()
        with gunicorn(url) as (host, port):
            baseline = drive(
                "baseline: one INSERT",
                host,
                port,
                clients,
                seconds,
                lambda i, n: Request("POST", "/api/v1/benchmark/insert", tokens[i]),
            )
            pledge = drive(
                "PUT /api/v1/pools/<id>/pledge",
                host,
                port,
                clients,
                seconds,
                lambda i, n: Request(
                    "PUT", f"/api/v1/pools/{pool_id}/pledge", tokens[i], f'{{"quantity": {1 + n % 5}}}'.encode()
                ),
            )
    print_figures(f"{backend}: {clients} clients, {seconds:.0f} s each, gunicorn 2 workers", [baseline, pledge])
    throughput = pledge.per_second / baseline.per_second
    p99 = pledge.percentile(99) / baseline.percentile(99)
    print(
        f"pledge/baseline throughput {throughput:.2f} (target >= {THROUGHPUT_TARGET}): "
        f"{'met' if throughput >= THROUGHPUT_TARGET else 'NOT met'}"
    )
    print(f"pledge/baseline p99        {p99:.2f} (target <= {P99_TARGET}): {'met' if p99 <= P99_TARGET else 'NOT met'}")
    figures = [
        Figure(
            "pledge",
            f"pledge throughput vs baseline, {clients} clients ({backend})",
            f">= {THROUGHPUT_TARGET:.2f}x baseline",
            f"{throughput:.2f}x ({pledge.per_second:.0f} vs {baseline.per_second:.0f} req/s)",
            throughput >= THROUGHPUT_TARGET,
        ),
        Figure(
            "pledge",
            f"pledge p99 vs baseline, {clients} clients ({backend})",
            f"<= {P99_TARGET}x baseline",
            f"{p99:.2f}x ({pledge.percentile(99):.0f} vs {baseline.percentile(99):.0f} ms)",
            p99 <= P99_TARGET,
        ),
        Figure(
            "pledge",
            f"pledge latency, {clients} clients ({backend})",
            "reported",
            f"median {pledge.percentile(50):.0f} ms, p95 {pledge.percentile(95):.0f} ms "
            f"(baseline {baseline.percentile(50):.0f} / {baseline.percentile(95):.0f} ms)",
            None,
        ),
    ]
    return {
        "backend": backend,
        "throughput_ratio": throughput,
        "p99_ratio": p99,
        "met": throughput >= THROUGHPUT_TARGET and p99 <= P99_TARGET,
        "figures": figures,
    }


def main(argv=None) -> list[dict]:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=20)
    add_backend_option(parser)
    args = parser.parse_args(argv)
    return [run(backend, args.clients, args.seconds) for backend in chosen_backends(args)]


if __name__ == "__main__":
    main()
