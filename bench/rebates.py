"""Sharing a rebate over 10,000 members' invoices: the claim from the invoices, then the shares to the penny.

    .venv/bin/python -m bench.rebates [--members 10000] [--repeat 5] [--backend postgresql]

bench.seeding's pool of `members` pledges in one consortium is closed, delivered and invoiced
(untimed). Each round makes a new rebate agreement over those invoices, then times
`rebates.services.claim` (every eligible invoice line, less credit notes, read into one row per
member) and, once the rebate is recorded received, `rebates.services.share` with 10% retained
(shares by largest remainder, recorded as payments to the members), each with its commit.
One warm-up round, then `repeat` measured ones: median and p95 of claim + share. Target
(issue 17): under 2 s, and the shares plus the retention sum exactly to what was received.
The baseline, timed as often: every member's invoiced net in one GROUP BY, then every share row
of the warm-up round written back (its own values) in one executemany UPDATE, with the commit:
the least a claim and a share must read and write.
"""

import argparse
import statistics
import time
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import func, select, update

from bench.close import percentile
from bench.common import Figure, add_backend_option, bench_app, chosen_backends, throwaway_database
from bench.seeding import pool_world
from billing import services as billing
from billing.models import Invoice, InvoiceLine
from kernel.clock import uk_today
from kernel.extensions import db
from orders import closing, purchase_orders
from organisations.models import User
from rebates import services
from rebates.calculation import Basis, Method, Tier
from rebates.models import RebateShare, ShareRoute

TARGET_SECONDS = 2.0


def one_round(admin: User, consortium_id: int, supplier_id: int, n: int) -> tuple[float, float, bool, int]:
    """Seconds to claim, seconds to share, whether the shares sum exactly, and how many members shared."""
    today = uk_today()
    agreement = services.create_agreement(
        admin,
        services.AgreementTerms(
            name=f"Bench rebate {n}",
            supplier_id=supplier_id,
            basis=Basis.SPEND,
            method=Method.GRADUATED,
            period_start=today - timedelta(days=1),
            period_end=today,
            tiers=[Tier(0, Decimal("1")), Tier(10_000_000, Decimal("2.5"))],
            share_route=ShareRoute.PAYMENT,
            consortium_id=consortium_id,
            retention_percent=Decimal("10"),
            retention_note="bench",
        ),
    )
    db.session.commit()
    started = time.perf_counter()
    services.claim(agreement.id, today + timedelta(days=1))
    db.session.commit()
    claimed = time.perf_counter() - started
    services.record_received(admin, agreement, agreement.rebate_pence or 0, today, "bench")
    db.session.commit()
    started = time.perf_counter()
    services.share(admin, agreement)
    db.session.commit()
    shared = time.perf_counter() - started
    distributed, count = db.session.execute(
        select(func.sum(RebateShare.share_pence), func.count()).where(RebateShare.rebate_agreement_id == agreement.id)
    ).one()
    exact = distributed + agreement.retained_pence == agreement.received_pence
    return claimed, shared, exact, count


def baseline(agreement_id: int) -> float:
    """Seconds to read every member's invoiced net and write back every share row of one agreement."""
    db.session.remove()
    started = time.perf_counter()
    spend = db.session.execute(
        select(Invoice.member_id, func.sum(InvoiceLine.net_pence))
        .join(InvoiceLine, InvoiceLine.invoice_id == Invoice.id)
        .group_by(Invoice.member_id)
    ).all()
    rows = db.session.execute(
        select(RebateShare.id, RebateShare.share_pence).where(RebateShare.rebate_agreement_id == agreement_id)
    ).all()
    db.session.execute(update(RebateShare), [{"id": row_id, "share_pence": pence} for row_id, pence in rows])
    db.session.commit()
    assert len(spend) >= len(rows)
    return time.perf_counter() - started


def run(backend: str, members: int, repeat: int) -> dict:
    with throwaway_database(backend) as url:
        app = bench_app(url)
        with app.app_context():
            world = pool_world(members, codes=("AAA",))
            admin = db.session.get_one(User, world.admin_id)
            order = closing.close_pool(admin, world.pool_id).purchase_orders[0]
            purchase_orders.send(admin, order)
            purchase_orders.record_delivery(admin, order)
            billing.issue_invoices(admin, order.id)
            db.session.commit()
            consortium_id, supplier_id = order.consortium_id, order.supplier_id
            one_round(admin, consortium_id, supplier_id, 0)
            warm_up = db.session.scalar(select(func.min(RebateShare.rebate_agreement_id)))
            rounds = [one_round(admin, consortium_id, supplier_id, n) for n in range(1, repeat + 1)]
            floor = statistics.median(baseline(warm_up) for _ in range(repeat))
            db.engine.dispose()
    totals = [claimed + shared for claimed, shared, _, _ in rounds]
    median, high = statistics.median(totals), percentile(totals, 95)
    exact = all(r[2] for r in rounds)
    count = rounds[0][3]
    print(f"\n{backend}: a rebate shared over {count:,} members' invoices")
    print(f"  claim (from invoices)     median {statistics.median(r[0] for r in rounds) * 1000:8.1f} ms")
    print(f"  share (largest remainder) median {statistics.median(r[1] for r in rounds) * 1000:8.1f} ms")
    print(f"  claim + share             median {median * 1000:8.1f} ms, p95 {high * 1000:.1f} ms (target < 2 s)")
    print(f"  baseline (GROUP BY + one UPDATE of the shares) median {floor * 1000:8.1f} ms")
    print(f"  shares + retention sum exactly to what was received: {'yes' if exact else 'NO'}")
    return {
        "backend": backend,
        "seconds": median,
        "figures": [
            Figure(
                "rebates",
                f"rebate claimed and shared over {count:,} members' invoices ({backend})",
                f"< {TARGET_SECONDS:g} s, exact",
                f"median {median:.3f} s, p95 {high:.3f} s, {'exact' if exact else 'NOT exact'}; baseline {floor:.3f} s",
                median < TARGET_SECONDS and exact,
            )
        ],
    }


def main(argv=None) -> list[dict]:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--members", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=5)
    add_backend_option(parser)
    args = parser.parse_args(argv)
    return [run(backend, args.members, args.repeat) for backend in chosen_backends(args)]


if __name__ == "__main__":
    main()
