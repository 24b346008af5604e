"""Review queues' reads: a page of rows in one status, and how many rows each status has."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from projections.sql import Database, Row


def page_in_status(
    db: Database,
    table: str,
    columns: str,
    status: str,
    order: str,
    narrow: tuple[str, UUID | None],
    limit: int,
    offset: int,
) -> list[Row]:
    """Rows with this status, in `order`; with `narrow` = (column, id), only that id's."""
    column, value = narrow
    where, params = "status = %s", [status]
    if value:
        where, params = f"{where} AND {column} = %s", [*params, str(value)]
    return db.read(
        f"SELECT {columns} FROM {table} WHERE {where} ORDER BY {order} LIMIT %s OFFSET %s",
        [*params, limit, offset],
    )


def counts_by_status(db: Database, table: str, statuses: Sequence[str]) -> dict[str, int]:
    """How many rows there are of each status (0 for none)."""
    rows = db.read(f"SELECT status, COUNT(*) FROM {table} GROUP BY status")
    return dict.fromkeys(statuses, 0) | dict(rows)
