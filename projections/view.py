"""The base of every read model: tables, event handlers and batched writes.

A view declares its tables and, with `@handles(EventClass)`, one method per event
it reads. The runner hands it a batch of events; the handlers write through a
`Batch` that keeps row statements in order and adds up counters in memory, so a
batch of thousands of events costs a handful of round trips.

When a batch is flushed, `plan` lets a statement join the previous run of the same
statement when it provably commutes with every statement it moves ahead of, so a
batch becomes a few long runs (on PostgreSQL: multi-row statements) instead of
thousands of single statements. Every row ends up exactly as in event order.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol

from eventsourcing.utils import get_topic

from projections.sql import (
    UNKNOWN,
    Shape,
    Sql,
    TableInfo,
    analyse,
    statement_table,
    table_infos,
    value_key,
)

Handler = Callable[["View", Any, "Batch"], None]


def handles(*event_classes: type) -> Callable[[Handler], Handler]:
    """Mark a view method as the handler of these event classes."""

    def mark(method: Handler) -> Handler:
        method.handled_topics = [get_topic(cls) for cls in event_classes]  # type: ignore[attr-defined]
        return method

    return mark


ShapeOf = Callable[[str], Shape | None]


class Reads(Protocol):
    """What handlers may look up while handling: rows committed before their batch."""

    def rows(self, text: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]: ...

    def value(self, text: str, params: Sequence[Any] = ()) -> Any: ...


def remembered(memory: dict[str, Any], key: str, query: str, batch: Batch) -> Any:
    """A fact that never changes (who takes a quiz, a campaign's kind, a member's first
    store): from memory, else one lookup in the view's own table (`query` takes the key)."""
    if key not in memory:
        memory[key] = batch.sql.value(query, [key])
    return memory[key]


class Batch:
    """Writes gathered while a batch of events is handled, flushed in one transaction."""

    def __init__(self, sql: Reads, shape_of: ShapeOf | None = None) -> None:
        self.sql = sql  # for lookups while handling; writes wait for flush()
        self.statements: list[tuple[str, tuple[Any, ...]]] = []
        self.counters: dict[str, dict[tuple[Any, ...], list[Any]]] = defaultdict(dict)
        self.shape_of = shape_of  # how statements may be regrouped (None: never)

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
        shape_of = self.shape_of
        if shape_of is None:
            for text, group in grouped(self.statements):
                sql.run_many(text, group)
        else:
            for run in plan(self.statements, shape_of):
                sql.run_group(run.text, run.rows, run.shape)
        for upsert, totals in self.counters.items():
            rows = [params(key, values) for key, values in totals.items()]
            sql.run_group(upsert, rows, shape_of(upsert) if shape_of else None)


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


# ------------------------------------------------------------------------ planning


@dataclass
class Run:
    """Consecutive executions of one statement, in their original relative order."""

    text: str
    shape: Shape | None
    rows: list[tuple[Any, ...]] = field(default_factory=list)


class Seen:
    """One statement's runs on a table: for every pinned value and unique key, the last
    run (index) in which an execution pinned or took it."""

    __slots__ = ("claims", "pins", "shape", "takes", "values")

    def __init__(self, shape: Shape) -> None:
        self.shape = shape
        self.values: dict[str, dict[Any, int]] = {column: {} for column, _, _ in shape.pins}
        self.claims: dict[frozenset[str], int] = {}
        self.pins = [(self.values[c], i, k) for c, i, k in shape.pins]
        self.takes = shape.key_takes

    def record(self, row: tuple[Any, ...], index: int) -> None:
        for values, param, constant in self.pins:
            value = value_key(row[param] if param is not None else constant)
            if value is not None:
                values[value] = index
        for unique, deciding in self.takes:
            if deciding is True or (
                deciding is not False and all(row[i] is not None for i in deciding)
            ):
                self.claims[unique] = index


def plan(statements: Sequence[tuple[str, tuple[Any, ...]]], shape_of: ShapeOf) -> list[Run]:
    """The statements as runs of one statement each, to execute run after run.

    A statement joins the latest run of the same statement when it commutes with
    every statement of its table in the runs after that one (statements of other
    tables always commute: analysed statements touch their own table only). A
    statement that is not understood is a fence: it runs in its place and nothing
    moves across it. So every row ends as if the statements ran one by one in order.
    """
    runs: list[Run] = []
    latest: dict[str, int] = {}  # statement -> its latest run since the last fence
    seen: dict[str, Seen] = {}
    tables: dict[str, list[str]] = defaultdict(list)  # table -> its statements
    shapes: dict[str, Shape | None] = {}
    for text, row in statements:
        if text in shapes:
            shape = shapes[text]
        else:
            shape = shapes[text] = shape_of(text)
        if shape is None:
            runs.append(Run(text, None, [row]))
            latest.clear()
            seen.clear()
            tables.clear()
            continue
        index = latest.get(text)
        others = tables[shape.table]
        if index is None:
            seen[text] = Seen(shape)
            others.append(text)
        elif index == len(runs) - 1 or all(
            latest[other] <= index or commutes(shape, row, seen[other], index)
            for other in others
            if other is not text
        ):
            runs[index].rows.append(row)
            if len(others) > 1:  # (alone on its table, nothing checks against it yet)
                seen[text].record(row, index)
            continue
        index = latest[text] = len(runs)
        runs.append(Run(text, shape, [row]))
        if len(others) > 1:
            seen[text].record(row, index)
    return runs


def commutes(shape: Shape, row: tuple[Any, ...], them: Seen, after: int) -> bool:
    """Can this execution run before the other statement's executions in runs after `after`?

    Yes when (two UPDATEs) neither writes a column the other reads or writes, or
    when both pin a column that neither writes to values that differ (so they touch
    disjoint rows; a NULL matches nothing) and no unique key that column is not part
    of lets one decide whether the other succeeds or does nothing.
    """
    pairing = _pairing(shape, them.shape)
    if pairing is True:
        return True
    claims = them.claims
    for column, index, constant, checks in pairing:
        value = value_key(row[index] if index is not None else constant)
        if value is UNKNOWN:
            continue
        seen = them.values.get(column)
        if (
            seen
            and value is not None
            and (seen.get(value, -1) > after or seen.get(UNKNOWN, -1) > after)
        ):
            continue
        for kind, detail in checks:
            if kind == "they take" and claims.get(detail, -1) > after:
                break
            if kind == "I take" and all(row[i] is not None for i in detail):
                break
        else:
            return True
    return False


_PAIRS: dict[tuple[int, int], tuple[Shape, Shape, Any]] = {}


def _pairing(shape: Shape, theirs: Shape) -> Any:
    """True when the two statements always commute; else the columns that can tell
    their rows apart, each with the unique-key checks left to make per execution."""
    key = (id(shape), id(theirs))
    found = _PAIRS.get(key)
    if found is not None and found[0] is shape and found[1] is theirs:
        return found[2]
    pairing = _pairing_of(shape, theirs)
    _PAIRS[key] = (shape, theirs, pairing)
    return pairing


def _pairing_of(shape: Shape, theirs: Shape) -> Any:
    if shape.kind == theirs.kind == "update" and _columns_apart(shape, theirs):
        return True
    pinned = {column for column, _, _ in theirs.pins}
    written = shape.writes | theirs.writes
    pairing = []
    for column, index, constant in shape.pins:
        if column not in pinned or column in written:
            continue
        checks: list[tuple[str, Any]] = []
        blocked = False
        for unique in shape.uniques:
            if column in unique:
                continue  # rows that differ in this column differ in this key
            mine, frees = shape.takes(unique), shape.frees(unique)
            they_take, they_free = theirs.takes(unique), theirs.frees(unique)
            if (frees or shape.any_conflict) and they_take is not False:
                checks.append(("they take", unique))  # unless no run of theirs takes it
            if (they_free or theirs.any_conflict) and (mine is not False or frees):
                if mine is True or frees or (shape.any_conflict and they_free):
                    blocked = True
                else:
                    checks.append(("I take", mine))  # unless this row leaves it NULL
        if not blocked:
            pairing.append((column, index, constant, checks))
    return pairing


def _columns_apart(shape: Shape, theirs: Shape) -> bool:
    """Two UPDATEs commute when neither writes what the other reads or writes, and they
    write no columns of one unique key (each row ends the same in either order)."""
    if shape.writes & (theirs.reads | theirs.writes) or theirs.writes & shape.reads:
        return False
    return not any(shape.writes & unique and theirs.writes & unique for unique in shape.uniques)


def takes(shape: Shape, row: tuple[Any, ...], unique: frozenset[str]) -> bool:
    """Does this execution give some row this unique key's value (all columns non-NULL)?"""
    deciding = shape.takes(unique)
    if isinstance(deciding, bool):
        return deciding
    return all(row[index] is not None for index in deciding)


_UNIQUE_INDEX = re.compile(r"(?i)\s*CREATE\s+UNIQUE\b")  # a constraint, never deferred


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

    def shape_of(self, text: str) -> Shape | None:
        """What a statement of this view does to its tables (None: keep it in place)."""
        cls = type(self)
        shapes = cls.__dict__.get("_shapes")
        if shapes is None:
            shapes = {}
            cls._shapes = shapes  # type: ignore[attr-defined]
            cls._infos = table_infos(cls.tables, cls.indexes)  # type: ignore[attr-defined]
        if text not in shapes:
            info: TableInfo | None = cls._infos.get(statement_table(text) or "")  # type: ignore[attr-defined]
            shapes[text] = analyse(text, info)
        return shapes[text]

    def create(self, sql: Sql, *, secondary_indexes: bool = True) -> None:
        """Create the tables and indexes that do not exist; without `secondary_indexes`,
        only the unique indexes (constraints the statements rely on)."""
        for table, columns in self.tables.items():
            sql.run(f"CREATE TABLE IF NOT EXISTS {table} ({columns})")
        for index in self.indexes:
            if secondary_indexes or _UNIQUE_INDEX.match(index):
                sql.run(index)

    def drop(self, sql: Sql) -> None:
        for table in self.tables:
            sql.run(f"DROP TABLE IF EXISTS {table}")

    def handle(self, events: Iterable[tuple[str, Any]], batch: Batch) -> None:
        for topic, event in events:
            handler = self.handlers.get(topic)
            if handler:
                handler(self, event, batch)
