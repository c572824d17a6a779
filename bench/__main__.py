"""Every benchmark, one after the other, then one table: figure, target from its issue, measured, met.

    .venv/bin/python -m bench                      # full size, as the issues set them (about 15 minutes)
    .venv/bin/python -m bench --quick              # shorter runs and smaller data, a few minutes
    .venv/bin/python -m bench --only close --only invoice --backend postgresql

Each benchmark still runs alone (`python -m bench.close`, ...) and prints its own figures;
see bench/README.md. A --quick run's figures are for orientation: the demand dashboard is
measured on a tenth of the data, the others at full size for less time.
"""

import argparse
import sys
import traceback

from bench import close, demand, invoice, pledge, xero
from bench.common import Figure, print_table

BENCHMARKS = {
    "pledge": (pledge.main, [], ["--seconds", "5"]),
    "close": (close.main, [], ["--repeat", "1"]),
    "demand": (demand.main, [], ["--pools", "100", "--pledges", "100000", "--seconds", "5"]),
    "invoice": (invoice.main, [], ["--pdfs", "100"]),
    "xero": (xero.main, [], ["--repeat", "2"]),
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
