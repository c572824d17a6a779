"""The accountant's Xero export of a consortium with 10,000 invoices, against a one-query CSV baseline.

    .venv/bin/python -m bench.xero [--members 10000] [--credit-notes 100] [--repeat 5]

Invoices one order shared by `members` members of one consortium in bench.seeding's world
(users and their email choices included), with what a real order carries: goods, each
member's share of the delivery charge, the consortium's handling fee and the solidarity line,
and `credit-notes` part credits. Then times the export as the page makes
it (`billing.xero.consortium_sales_rows` and the CSV text), each run in a fresh
session, after one warm-up run; and the baseline, one SELECT of every line joined to its
invoice written straight to CSV. Target (issues 13 and 14, PostgreSQL): under 2 s, in a number of queries that does
not grow with the invoices (20,005 queries and 9-11 s before).
"""

import argparse
import csv
import io
import statistics
import time

from sqlalchemy import event, select

from bench.common import Figure, add_backend_option, bench_app, chosen_backends, throwaway_database
from bench.seeding import pool_world
from billing import services
from billing.models import Invoice, InvoiceLine
from billing.xero import SALES_HEADER, consortium_sales_rows
from kernel.csv_export import csv_text
from kernel.extensions import db
from orders import closing, purchase_orders
from organisations.models import Consortium, User

TARGET_SECONDS = 2.0


def invoice_order(members: int, credit_notes: int) -> int:
    """The consortium's id, once its order is invoiced and some invoices are part credited."""
    world = pool_world(members, codes=("AAA",))
    pool_id = world.pool_id
    admin = db.session.get_one(User, world.admin_id)
    consortium = db.session.scalars(select(Consortium)).one()
    order = closing.close_pool(admin, pool_id).purchase_orders[0]
    purchase_orders.send(admin, order)
    purchase_orders.record_delivery(admin, order)
    db.session.commit()
    issued = services.issue_invoices(admin, order.id)
    db.session.commit()
    step = max(len(issued) // max(credit_notes, 1), 1)
    for invoice in list(issued)[::step][:credit_notes]:
        goods = invoice.lines[0]
        services.issue_credit_note(admin, invoice, [services.CreditItem(goods.id, 1)], "One pack short")
    db.session.commit()
    return consortium.id


def export(consortium_id: int) -> tuple[int, int]:
    """The page's work: (rows, queries)."""
    queries = 0

    def count(*_args) -> None:
        nonlocal queries
        queries += 1

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        rows = consortium_sales_rows(consortium_id)
        csv_text(SALES_HEADER, rows)
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    return len(rows), queries


def baseline(consortium_id: int) -> int:
    """The floor: one SELECT of every line with its invoice's columns, written to CSV as it comes."""
    result = db.session.execute(
        select(
            Invoice.buyer_name,
            Invoice.buyer_email,
            Invoice.buyer_address,
            Invoice.number,
            Invoice.reference,
            Invoice.issue_date,
            Invoice.due_date,
            InvoiceLine.description,
            InvoiceLine.quantity,
            InvoiceLine.unit_price,
            InvoiceLine.vat_rate,
            InvoiceLine.net_pence,
        )
        .join(InvoiceLine, InvoiceLine.invoice_id == Invoice.id)
        .where(Invoice.consortium_id == consortium_id)
        .order_by(Invoice.number, InvoiceLine.position)
    )
    writer = csv.writer(io.StringIO())
    rows = 0
    for row in result:
        writer.writerow(row)
        rows += 1
    return rows


def timed(work, consortium_id: int, repeat: int) -> tuple[list[float], object]:
    """One warm-up run, then `repeat` measured ones, each in a fresh session (nothing cached in it)."""
    outcome = None
    times = []
    for n in range(repeat + 1):
        db.session.remove()
        started = time.perf_counter()
        outcome = work(consortium_id)
        if n:
            times.append(time.perf_counter() - started)
    return times, outcome


def p95(times: list[float]) -> float:
    return statistics.quantiles(times, n=20, method="inclusive")[-1] if len(times) > 1 else times[0]


def run(backend: str, members: int, credit_notes: int, repeat: int) -> dict:
    with throwaway_database(backend) as url:
        app = bench_app(url)
        with app.app_context():
            consortium_id = invoice_order(members, credit_notes)
            invoices = db.session.scalar(select(db.func.count()).select_from(Invoice))
            base_times, base_rows = timed(baseline, consortium_id, repeat)
            export_times, (rows, queries) = timed(export, consortium_id, repeat)
            db.session.remove()
            db.engine.dispose()
    median, high = statistics.median(export_times), p95(export_times)
    base_median = statistics.median(base_times)
    met = median < TARGET_SECONDS
    print(f"\n{backend}: Xero export of {invoices:,} invoices and {credit_notes:,} credit notes ({rows:,} rows)")
    print(f"  baseline (one SELECT to CSV)   median {base_median * 1000:8.1f} ms ({base_rows:,} invoice lines)")
    print(
        f"  export                         median {median * 1000:8.1f} ms, p95 {high * 1000:.1f} ms, {queries} queries "
        f"(target under {TARGET_SECONDS:.0f} s: {'met' if met else 'NOT met'}; {median / base_median:.1f}x baseline)"
    )
    figures = [
        Figure(
            "xero",
            f"Xero export of {invoices:,} invoices ({backend})",
            f"< {TARGET_SECONDS:.0f} s",
            f"{median:.3f} s median, p95 {high:.3f} s, {queries} queries; baseline {base_median:.3f} s",
            met,
        )
    ]
    return {"backend": backend, "seconds": median, "queries": queries, "met": met, "figures": figures}


def main(argv=None) -> list[dict]:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--members", type=int, default=10_000)
    parser.add_argument("--credit-notes", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=5)
    add_backend_option(parser)
    args = parser.parse_args(argv)
    return [run(backend, args.members, args.credit_notes, args.repeat) for backend in chosen_backends(args)]


if __name__ == "__main__":
    main()
