"""Invoicing an order shared by 10,000 members (users included), and rendering invoice PDFs.

    .venv/bin/python -m bench.invoice [--members 10000] [--large 50000] [--repeat 3] [--pdfs 1000]

bench.seeding's world (each member's users and email choices, the consortium's handling fee,
the pool's delivery charge and solidarity rate): a pool of `members` pledges in one consortium
is closed and delivered, then `billing.services.issue_invoices` and its commit are timed, the
invoice emails queued with them. One warm-up round, then `repeat` measured ones, each on the
order with its invoices and messages taken away again: median and p95. Targets (issue 14,
PostgreSQL): 10,000 members under 2 s, 50,000 under 10 s. Then `pdfs` invoice PDFs are
rendered and the time per PDF is reported.
"""

import argparse
import statistics
import time

from sqlalchemy import delete, select

from bench.close import percentile
from bench.common import Figure, add_backend_option, bench_app, chosen_backends, expand_events, throwaway_database
from bench.seeding import pool_world
from billing import services
from billing.models import Invoice, InvoiceLine, InvoiceVat
from billing.pdf import invoice_pdf
from kernel.extensions import db
from orders import closing, purchase_orders
from organisations.models import OutboxEvent, OutboxMessage, User

TARGET_SECONDS = {10_000: 2.0, 50_000: 10.0}


def issue_once(admin: User, order_id: int) -> tuple[float, int, int]:
    """Seconds to issue and commit; invoices issued; the messages the sender then writes for the event
    (untimed). Then the order is uninvoiced again."""
    started = time.perf_counter()
    issued = services.issue_invoices(admin, order_id)
    db.session.commit()
    seconds = time.perf_counter() - started
    queued = expand_events().messages
    invoice_ids = select(Invoice.id).where(Invoice.purchase_order_id == order_id)
    db.session.execute(delete(InvoiceVat).where(InvoiceVat.invoice_id.in_(invoice_ids)))
    db.session.execute(delete(InvoiceLine).where(InvoiceLine.invoice_id.in_(invoice_ids)))
    db.session.execute(delete(Invoice).where(Invoice.purchase_order_id == order_id))
    db.session.execute(delete(OutboxMessage))
    db.session.execute(delete(OutboxEvent))
    db.session.commit()
    db.session.expire_all()
    return seconds, len(issued), queued


def run(backend: str, members: int, repeat: int, pdfs: int) -> dict:
    with throwaway_database(backend) as url:
        app = bench_app(url)
        with app.app_context():
            world = pool_world(members, codes=("AAA",))
            admin = db.session.get_one(User, world.admin_id)
            order = closing.close_pool(admin, world.pool_id).purchase_orders[0]
            purchase_orders.send(admin, order)
            purchase_orders.record_delivery(admin, order)
            db.session.execute(delete(OutboxMessage))
            db.session.execute(delete(OutboxEvent))
            db.session.commit()
            order_id = order.id
            issue_once(admin, order_id)
            rounds = [issue_once(admin, order_id) for _ in range(repeat)]
            per_pdf = None
            if pdfs:
                services.issue_invoices(admin, order_id)
                db.session.commit()
                invoices = db.session.scalars(select(Invoice).limit(pdfs)).all()
                for invoice in invoices:
                    invoice.lines, invoice.vat_lines  # noqa: B018  (load before timing the rendering alone)
                started = time.perf_counter()
                for invoice in invoices:
                    invoice_pdf(invoice)
                per_pdf = (time.perf_counter() - started) / max(len(invoices), 1)
            db.engine.dispose()
    times = [seconds for seconds, _, _ in rounds]
    _, count, queued = rounds[0]
    median, high = statistics.median(times), percentile(times, 95)
    target = TARGET_SECONDS.get(members, 2.0 * members / 10_000)
    print(f"\n{backend}: invoices for one order shared by {members:,} members, {len(world.users):,} users")
    print(
        f"  issue_invoices + commit   median {median * 1000:8.1f} ms, p95 {high * 1000:.1f} ms "
        f"for {count:,} invoices; the sender then wrote {queued:,} messages"
    )
    figures = [
        Figure(
            "invoice",
            f"invoices for {members:,} members, users included, {queued:,} messages ({backend})",
            f"< {target:g} s",
            f"median {median:.3f} s, p95 {high:.3f} s",
            median < target,
        )
    ]
    if per_pdf is not None:
        print(f"  invoice PDF               {per_pdf * 1000:8.1f} ms per PDF over {pdfs:,} PDFs")
        figures.append(
            Figure(
                "invoice", f"invoice PDF, over {pdfs:,} PDFs ({backend})", "reported", f"{per_pdf * 1000:.1f} ms", None
            ),
        )
    return {"backend": backend, "seconds": median, "per_pdf": per_pdf, "figures": figures}


def main(argv=None) -> list[dict]:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--members", type=int, default=10_000)
    parser.add_argument("--large", type=int, default=50_000, help="the second size; 0 to skip it")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--pdfs", type=int, default=1_000)
    add_backend_option(parser)
    args = parser.parse_args(argv)
    return [
        run(backend, size, args.repeat, args.pdfs if size == args.members else 0)
        for backend in chosen_backends(args)
        for size in [args.members] + ([args.large] if args.large else [])
    ]


if __name__ == "__main__":
    main()
