"""Portable SQL for the views: `%s` placeholders, run on SQLite or PostgreSQL.

Views write plain SQL that both stores understand (TEXT and BIGINT columns,
INSERT … ON CONFLICT upserts). On PostgreSQL the view tables live in the event
store's schema; every transaction sets the search_path to it.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from eventsourcing.persistence import TrackingRecorder
from eventsourcing.postgres import PostgresTrackingRecorder

SHANGHAI = timezone(timedelta(hours=8), "Asia/Shanghai")  # no daylight saving in China
Row = tuple[Any, ...]


def iso(moment: datetime | None) -> str | None:
    """A UTC timestamp as sortable ISO text."""
    return moment.astimezone(UTC).isoformat() if moment else None


def local_day(moment: datetime) -> str:
    """The Asia/Shanghai calendar day of a moment, as YYYY-MM-DD."""
    return moment.astimezone(SHANGHAI).date().isoformat()


class Sql:
    """One transaction's cursor, speaking `%s` placeholders on both stores."""

    def __init__(self, cursor: Any, postgres: bool) -> None:
        self.cursor = cursor
        self.postgres = postgres

    def statement(self, text: str) -> str:
        return text if self.postgres else text.replace("%s", "?")

    def run(self, text: str, params: Sequence[Any] = ()) -> None:
        self.cursor.execute(self.statement(text), tuple(params))

    def run_many(self, text: str, rows: Sequence[Sequence[Any]]) -> None:
        if rows:
            self.cursor.executemany(self.statement(text), [tuple(r) for r in rows])

    def rows(self, text: str, params: Sequence[Any] = ()) -> list[Row]:
        if not self.postgres:
            self.run(text, params)
            return [tuple(row) for row in self.cursor.fetchall()]
        # A cursor of its own, so a read never picks up a pipelined write's result.
        with self.cursor.connection.cursor() as cursor:
            cursor.execute(text, tuple(params))
            return [tuple(row.values()) for row in cursor.fetchall()]

    def value(self, text: str, params: Sequence[Any] = ()) -> Any:
        found = self.rows(text, params)
        return found[0][0] if found else None


class Database:
    """Transactions on the event store's database, for views and their queries."""

    def __init__(self, tracking: TrackingRecorder) -> None:
        self.tracking = tracking
        self.postgres = isinstance(tracking, PostgresTrackingRecorder)

    @contextmanager
    def transaction(self, *, commit: bool) -> Iterator[Sql]:
        with self.tracking.datastore.transaction(commit=commit) as cursor:
            if self.postgres:
                cursor.execute(f'SET LOCAL search_path TO "{self.tracking.datastore.schema}"')
            yield Sql(cursor, self.postgres)

    @contextmanager
    def pipeline(self, sql: Sql) -> Iterator[None]:
        """Send many statements without waiting for each answer (PostgreSQL)."""
        if self.postgres:
            with sql.cursor.connection.pipeline():
                yield
        else:
            yield

    def read(self, text: str, params: Sequence[Any] = ()) -> list[Row]:
        with self.transaction(commit=False) as sql:
            return sql.rows(text, params)

    @property
    def tracking_table(self) -> str:
        if self.postgres:
            return self.tracking.tracking_table_name
        return "tracking"
