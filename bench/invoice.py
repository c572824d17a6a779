"""Invoicing an order shared by 10,000 members, and rendering invoice PDFs.

    .venv/bin/python -m bench.invoice [--members 10000] [--pdfs 1000]

Closes and delivers a pool of `members` pledges in one consortium, then times
`billing.services.issue_invoices` and its commit (target, issue 5: under 2 s on PostgreSQL
and on SQLite), then renders `pdfs` of the invoices and reports the time per PDF.
"""

import argparse
import time

from sqlalchemy import select

from bench.close import seed
from bench.common import Figure, add_backend_option, bench_app, chosen_backends, throwaway_database
from billing import services
from billing.models import Invoice
from billing.pdf import invoice_pdf
from kernel.extensions import db
from orders import closing, purchase_orders
from organisations.models import User

TARGET_SECONDS = 2.0


def run(backend: str, members: int, pdfs: int) -> dict:
    with throwaway_database(backend) as url:
        app = bench_app(url)
        with app.app_context():
            pool_id = seed(members, codes=("AAA",))
            admin = db.session.scalar(select(User).where(User.email == "admin@bench.example"))
            order = closing.close_pool(admin, pool_id).purchase_orders[0]
            purchase_orders.send(admin, order)
            purchase_orders.record_delivery(admin, order)
            db.session.commit()
            started = time.perf_counter()
            issued = services.issue_invoices(admin, order.id)
            db.session.commit()
            seconds = time.perf_counter() - started
            count = len(issued)
            invoices = db.session.scalars(select(Invoice).limit(pdfs)).all()
            for invoice in invoices:
                invoice.lines, invoice.vat_lines  # noqa: B018  (load before timing the rendering alone)
            started = time.perf_counter()
            for invoice in invoices:
                invoice_pdf(invoice)
            per_pdf = (time.perf_counter() - started) / max(len(invoices), 1)
            db.engine.dispose()
    met = seconds < TARGET_SECONDS
    print(f"\n{backend}: invoices for one order shared by {members:,} members")
    print(
        f"  issue_invoices + commit   {seconds * 1000:8.1f} ms for {count:,} invoices "
        f"(target under {TARGET_SECONDS:.0f} s: {'met' if met else 'NOT met'})"
    )
    print(f"  invoice PDF               {per_pdf * 1000:8.1f} ms per PDF over {len(invoices):,} PDFs")
    figures = [
        Figure(
            "invoice",
            f"issue invoices for an order shared by {members:,} members ({backend})",
            f"< {TARGET_SECONDS:.0f} s",
            f"{seconds:.3f} s for {count:,} invoices",
            met,
        ),
        Figure(
            "invoice",
            f"invoice PDF, over {len(invoices):,} PDFs ({backend})",
            "reported",
            f"{per_pdf * 1000:.1f} ms per PDF",
            None,
        ),
    ]
    return {"backend": backend, "seconds": seconds, "per_pdf": per_pdf, "met": met, "figures": figures}


def main(argv=None) -> list[dict]:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--members", type=int, default=10_000)
    parser.add_argument("--pdfs", type=int, default=1_000)
    add_backend_option(parser)
    args = parser.parse_args(argv)
    return [run(backend, args.members, args.pdfs) for backend in chosen_backends(args)]


if __name__ == "__main__":
    main()
