"""Every benchmark, one after the other, then one table: figure, target from its issue, measured, met.

    .venv/bin/python -m bench                      # full size, as the issues set them (most of an hour on 2 cores)
    .venv/bin/python -m bench --quick              # shorter runs and smaller data, a few minutes
    .venv/bin/python -m bench --only close --only invoice --backend postgresql

Each benchmark still runs alone (`python -m bench.close`, ...) and prints its own figures;
see bench/README.md. A --quick run's figures are for orientation: it skips the 100,000-pledge
close and the 50,000-member invoicing, pledges and delivers the outbox in a world of 2,000
members, measures the demand dashboard on a tenth of the data, grows the demo's pages by 2,000
members and 200 pools, and repeats less.
"""

import argparse
import sys
import traceback

from bench import close, demand, frameworks, invoice, outbox, pages, pledge, xero
from bench.common import Figure, print_table

BENCHMARKS = {
    "pledge": (pledge.main, [], ["--members", "2000", "--seconds", "5", "--crossings", "3"]),
    "close": (close.main, [], ["--large", "0", "--repeat", "2"]),
    "invoice": (invoice.main, [], ["--large", "0", "--repeat", "2", "--pdfs", "100"]),
    "outbox": (outbox.main, [], ["--members", "2000"]),
    "xero": (xero.main, [], ["--repeat", "2"]),
    "demand": (demand.main, [], ["--pools", "500", "--pledges", "100000", "--seconds", "5"]),
    "pages": (pages.main, [], ["--members", "2000", "--pools", "200", "--repeat", "10"]),
    "frameworks": (frameworks.main, [], []),
}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="shorter runs and smaller data")
    parser.add_argument("--only", choices=BENCHMARKS, action="append", help="only these benchmarks (repeatable)")
    parser.add_argument(
        "--backend",
        choices=("postgresql", "sqlite"),
        action="append",
        help="only these databases (default: PostgreSQL if reachable, and SQLite)",
    )
    args = parser.parse_args(argv)
    backend_args = [arg for backend in args.backend or [] for arg in ("--backend", backend)]
    figures: list[Figure] = []
    broken = False
    for name in args.only or BENCHMARKS:
        run, full, quick = BENCHMARKS[name]
        print(f"\n=== {name} ===", flush=True)
        try:
            results = run((quick if args.quick else full) + backend_args)
        except Exception as error:  # one broken benchmark still leaves the others' figures in the table
            traceback.print_exc()
            figures.append(Figure(name, "(did not run)", "-", f"failed: {error!r}"[:80], False))
            broken = True
            continue
        figures.extend(f for result in results for f in result["figures"])
    print(f"\nBenchmarks{' (--quick)' if args.quick else ''}:")
    print_table(figures)
    return 1 if broken else 0


if __name__ == "__main__":
    sys.exit(main())
