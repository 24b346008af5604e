"""PostgreSQL connections: what a deployment of N API workers may open, against what the
server allows. A deployment that does not fit with room to spare is refused.

    .venv/bin/python -m infra.bench.budget --workers 4 [--outbox]   # LIANJIE_DATABASE_URL

Every process opens one eventsourcing pool of at most LIANJIE_DB_POOL_SIZE +
LIANJIE_DB_POOL_OVERFLOW connections (views, policies, idempotency and the coalescing
writer share it). `lianjie project` also holds two LISTEN connections (the views and the
policies each wait on NOTIFY) and the outbox sender one. The room kept is a fifth of
what the server has left after its superuser reserve and the connections already open.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass

import psycopg
from rich.console import Console
from rich.table import Table

from services.settings import Settings, pop_query_param

ROOM = 0.2
PROJECTION_LISTENERS = 2
OUTBOX_LISTENERS = 1


@dataclass(frozen=True)
class Server:
    max_connections: int
    reserved: int
    in_use: int

    @property
    def available(self) -> int:
        return self.max_connections - self.reserved - self.in_use


@dataclass(frozen=True)
class Budget:
    """Who may open how many connections, and whether that fits the server."""

    needs: list[tuple[str, int]]
    server: Server

    @property
    def needed(self) -> int:
        return sum(n for _, n in self.needs)

    @property
    def allowed(self) -> int:
        return int(self.server.available * (1 - ROOM))

    @property
    def fits(self) -> bool:
        return self.needed <= self.allowed

    def table(self) -> Table:
        table = Table(title="PostgreSQL connection budget")
        table.add_column("who")
        table.add_column("connections", justify="right")
        for who, count in self.needs:
            table.add_row(who, str(count))
        table.add_row("[b]needed", f"[b]{self.needed}")
        s = self.server
        table.add_row(
            f"allowed: (max_connections {s.max_connections} − reserved {s.reserved} − "
            f"open now {s.in_use}) × {1 - ROOM:.0%}",
            str(self.allowed),
        )
        return table


def needs(
    settings: Settings, workers: int, *, project: bool, outbox: bool, harness: bool
) -> list[tuple[str, int]]:
    pool = settings.db_pool_size + settings.db_pool_overflow
    lines = [(f"{workers} API workers × pool {pool}", workers * pool)] if workers else []
    if project:
        lines.append((f"lianjie project: pool {pool} + {PROJECTION_LISTENERS} LISTEN", pool + 2))
    if outbox:
        lines.append((f"outbox sender: pool {pool} + {OUTBOX_LISTENERS} LISTEN", pool + 1))
    if harness:
        lines.append((f"lianjie bench itself: pool {pool} + 1", pool + 1))
    return lines


def server_of(database_url: str) -> Server:
    _, url = pop_query_param(database_url, "schema")
    with psycopg.connect(url, autocommit=True) as conn:
        settings = conn.execute(
            "SELECT current_setting('max_connections')::int, "
            "current_setting('superuser_reserved_connections')::int, "
            "(SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend')"
        ).fetchone()
    assert settings is not None
    # Our own probe is one of the open connections and goes away now.
    return Server(settings[0], settings[1], settings[2] - 1)


def budget(
    settings: Settings,
    workers: int,
    *,
    project: bool = True,
    outbox: bool = False,
    harness: bool = False,
) -> Budget:
    """What these processes need against what the server at settings.database_url has."""
    lines = needs(settings, workers, project=project, outbox=outbox, harness=harness)
    return Budget(lines, server_of(settings.database_url))


def main() -> int:
    parser = argparse.ArgumentParser(description="Check a deployment's PostgreSQL connections.")
    parser.add_argument("--workers", type=int, required=True)
    parser.add_argument("--outbox", action="store_true", help="an outbox sender process too")
    args = parser.parse_args()
    plan = budget(Settings(), args.workers, outbox=args.outbox)
    console = Console(stderr=True)
    console.print(plan.table())
    if not plan.fits:
        console.print("[red]does not fit: fewer workers, smaller LIANJIE_DB_POOL_* or more room")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
