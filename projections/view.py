"""The base of every read model: tables, event handlers and batched writes.

A view declares its tables and, with `@handles(EventClass)`, one method per event
it reads. The runner hands it a batch of events; the handlers write through a
`Batch` that keeps row statements in order and adds up counters in memory, so a
batch of thousands of events costs a handful of round trips.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from typing import Any, ClassVar

from eventsourcing.utils import get_topic

from projections.sql import Sql

Handler = Callable[["View", Any, "Batch"], None]


def handles(*event_classes: type) -> Callable[[Handler], Handler]:
    """Mark a view method as the handler of these event classes."""

    def mark(method: Handler) -> Handler:
        method.handled_topics = [get_topic(cls) for cls in event_classes]  # type: ignore[attr-defined]
        return method

    return mark


class Batch:
    """Writes gathered while a batch of events is handled, flushed in one transaction."""

    def __init__(self, sql: Sql) -> None:
        self.sql = sql  # for lookups while handling; writes wait for flush()
        self.statements: list[tuple[str, tuple[Any, ...]]] = []
        self.counters: dict[str, dict[tuple[Any, ...], list[Any]]] = defaultdict(dict)

    def run(self, text: str, *params: Any) -> None:
        """A row statement, run in order with the others."""
        self.statements.append((text, params))

    def add(self, upsert: str, key: tuple[Any, ...], *amounts: int, earliest: Any = None) -> None:
        """Add amounts to the counters at `key`, keeping the earliest of `earliest` if given.

        `upsert` takes the key, the amounts and (when given) the earliest value as params.
        """
        totals = self.counters[upsert].setdefault(key, [0] * len(amounts) + [earliest])
        for index, amount in enumerate(amounts):
            totals[index] += amount
        if earliest is not None and (totals[-1] is None or earliest < totals[-1]):
            totals[-1] = earliest

    def flush(self, sql: Sql) -> None:
        for text, group in grouped(self.statements):
            sql.run_many(text, group)
        for upsert, totals in self.counters.items():
            sql.run_many(upsert, [params(key, values) for key, values in totals.items()])


def params(key: tuple[Any, ...], values: list[Any]) -> tuple[Any, ...]:
    amounts, earliest = values[:-1], values[-1]
    return (*key, *amounts) if earliest is None else (*key, *amounts, earliest)


def grouped(statements: Sequence[tuple[str, tuple]]) -> Iterable[tuple[str, list[tuple]]]:
    """Consecutive runs of the same statement, so each run is one executemany."""
    current, group = None, []
    for text, params in statements:
        if text != current and group:
            yield current, group
            group = []
        current = text
        group.append(params)
    if group:
        yield current, group


class View:
    """A read model: its tables (DDL), handlers by event topic, and its name."""

    name: ClassVar[str]
    tables: ClassVar[dict[str, str]]  # table name -> column definitions
    indexes: ClassVar[list[str]] = []
    handlers: ClassVar[dict[str, Handler]]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.handlers = {
            topic: method
            for method in vars(cls).values()
            for topic in getattr(method, "handled_topics", ())
        }

    @property
    def topics(self) -> list[str]:
        return list(self.handlers)

    def create(self, sql: Sql) -> None:
        for table, columns in self.tables.items():
            sql.run(f"CREATE TABLE IF NOT EXISTS {table} ({columns})")
        for index in self.indexes:
            sql.run(index)

    def drop(self, sql: Sql) -> None:
        for table in self.tables:
            sql.run(f"DROP TABLE IF EXISTS {table}")

    def handle(self, events: Iterable[tuple[str, Any]], batch: Batch) -> None:
        for topic, event in events:
            handler = self.handlers.get(topic)
            if handler:
                handler(self, event, batch)
