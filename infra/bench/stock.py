"""The campaign stock burst: 10,000 claims racing for 5,000 units on PostgreSQL must issue
exactly 5,000 coupons; prints claims per second, coalesced against naive.

Run from the repository root:

    .venv/bin/python -m infra.bench.stock --postgres URL
    .venv/bin/python -m infra.bench.stock --postgres URL --claims 20000 --threads 128

Each mode gets a fresh schema (dropped at the end); the race itself and the table are
infra/bench/writes.py's.
"""

from __future__ import annotations

import argparse

from infra.bench.processes import fresh_schema
from infra.bench.writes import instrumented, print_table, stock_race


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--postgres", required=True, help="postgresql:// URL of a server")
    parser.add_argument("--claims", type=int, default=10_000, help="claimers; units are half")
    parser.add_argument("--threads", type=int, default=64)
    parser.add_argument("--modes", default="coalesced,naive")
    args = parser.parse_args()
    runs = []
    for mode in args.modes.split(","):
        with fresh_schema(args.postgres) as url:
            app, clock = instrumented(mode, url, None)
            try:
                runs.append(stock_race(app, mode, args.claims, args.threads, clock))
            finally:
                app.close()
    print_table(runs)


if __name__ == "__main__":
    main()
