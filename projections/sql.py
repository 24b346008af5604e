"""Portable SQL for the views: `%s` placeholders, run on SQLite or PostgreSQL.

Views write plain SQL that both stores understand (TEXT and BIGINT columns,
INSERT … ON CONFLICT upserts). On PostgreSQL the view tables live in the event
store's schema; every transaction sets the search_path to it.

The second half of this module reads simple row statements (`analyse`) so that a
batch can be written with fewer, larger statements without changing a single row:
see projections/view.py (`plan`) and `Sql.run_group`.
"""

from __future__ import annotations

import re
import sqlite3
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta, timezone
from functools import cached_property, lru_cache
from typing import Any
from uuid import UUID

import psycopg
from eventsourcing.application import Application
from eventsourcing.persistence import IntegrityError, TrackingRecorder
from eventsourcing.postgres import PostgresTrackingRecorder

SHANGHAI = timezone(timedelta(hours=8), "Asia/Shanghai")  # no daylight saving in China
Row = tuple[Any, ...]


def iso(moment: datetime | None) -> str | None:
    """A UTC timestamp as sortable ISO text."""
    if moment is None:
        return None
    return (moment if moment.tzinfo is UTC else moment.astimezone(UTC)).isoformat()


def optional_uuid(text: str | None) -> UUID | None:
    """A UUID column read back: NULL or empty text is None."""
    return UUID(text) if text else None


def local_day(moment: datetime) -> str:
    """The Asia/Shanghai calendar day of a moment, as YYYY-MM-DD."""
    return moment.astimezone(SHANGHAI).date().isoformat()


class Sql:
    """One transaction's cursor, speaking `%s` placeholders on both stores."""

    def __init__(self, cursor: Any, postgres: bool) -> None:
        self.cursor = cursor
        self.postgres = postgres
        self._raw: Any = None  # a psycopg RawCursor ($n placeholders) for multi-row statements

    def statement(self, text: str) -> str:
        return text if self.postgres else text.replace("%s", "?")

    def run(self, text: str, params: Sequence[Any] = ()) -> None:
        self.cursor.execute(self.statement(text), tuple(params))

    def run_many(self, text: str, rows: Sequence[Sequence[Any]]) -> None:
        if rows:
            self.cursor.executemany(self.statement(text), [tuple(r) for r in rows])

    def run_group(self, text: str, rows: Sequence[Sequence[Any]], shape: Shape | None) -> None:
        """Run `text` once per row, in order; as multi-row statements where that is the same.

        On PostgreSQL much of a one-row statement's cost is per statement: the
        driver's work, the protocol messages, bind and execute start-up on the server.
        A multi-row statement pays it once for up to 256 rows. An INSERT (plain or ON
        CONFLICT DO NOTHING) of n rows is the same as n INSERTs in order; an ON
        CONFLICT … DO UPDATE one only while no two rows share a conflict target (a row
        would be hit twice), so such runs are cut before a repeated target. Likewise an
        UPDATE that pins a unique key runs as `UPDATE … FROM (VALUES …)` while no two
        rows pin the same key (each then touches its own row once). SQLite runs every
        row through executemany (in-process, no round trip).
        """
        if not self.postgres or shape is None or len(rows) < 2 or not shape.multi_rows:
            self.run_many(text, rows)
            return
        for run in _distinct_runs(rows, shape.target) if shape.target else [rows]:
            start = 0
            while start < len(run):
                size = _chunk_size(len(run) - start, shape.params)
                chunk = run[start : start + size]
                if size == 1:
                    self.cursor.execute(text, tuple(chunk[0]))
                else:
                    flat = [value for row in chunk for value in row]
                    self.raw_cursor().execute(shape.multi_row(size), flat)
                start += size

    def raw_cursor(self) -> Any:
        """A cursor on the same connection (and transaction) taking $1, $2… placeholders.

        psycopg parses `%s` queries longer than 4 KB anew on every call; multi-row
        statements are long, so they are written with server-side placeholders.
        """
        if self._raw is None:
            self._raw = psycopg.RawCursor(self.cursor.connection)
        return self._raw

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


def tracking_recorder(app: Application, attempts: int = 5) -> TrackingRecorder:
    """The application's tracking recorder; its CREATE TABLE can lose a race with another
    process starting at the same moment (PostgreSQL then refuses the duplicate type):
    ask again, and IF NOT EXISTS finds the winner's table."""
    for attempt in range(1, attempts):
        try:
            return app.factory.tracking_recorder()
        except IntegrityError:
            time.sleep(0.05 * attempt)
    return app.factory.tracking_recorder()


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

    def take_write_lock(self, sql: Sql) -> None:
        """SQLite: take the one write lock now, trying every millisecond (PostgreSQL: nothing).

        SQLite's own busy handler sleeps longer and longer between tries (up to 100 ms),
        so a writer that meets another's short transaction would wait far longer than
        that transaction holds the lock. A write statement that changes nothing takes
        the lock; until the connection's busy timeout, it is tried again.
        """
        if self.postgres:
            return
        cursor = sql.cursor
        cursor.execute("PRAGMA busy_timeout")
        timeout_ms = cursor.fetchone()[0]
        deadline = time.monotonic() + timeout_ms / 1000
        cursor.execute("PRAGMA busy_timeout = 0")
        try:
            while True:
                try:
                    cursor.execute(f"UPDATE {self.tracking_table} SET notification_id = 0 WHERE 0")
                    return
                except sqlite3.OperationalError as error:
                    busy = error.sqlite_errorcode == sqlite3.SQLITE_BUSY
                    if not busy or time.monotonic() >= deadline:
                        raise
                    time.sleep(0.001)
        finally:
            cursor.execute(f"PRAGMA busy_timeout = {timeout_ms}")

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


# --------------------------------------------------------------------------------------
# Reading row statements: what a statement touches, to know what may run together.
#
# Only simple statements on a view's own tables are read: INSERT INTO t (cols)
# VALUES (…) [ON CONFLICT [(cols)] DO NOTHING | DO UPDATE SET …], UPDATE t SET …
# [WHERE …] and DELETE FROM t [WHERE …], whose names are t's columns, keywords and a
# few pure functions. Anything else (subqueries, other tables, unknown functions,
# quoted names, several statements) is not analysed and keeps its place in a batch.
# --------------------------------------------------------------------------------------

_TOKEN = re.compile(
    r"\s*(?:(?P<param>%s)|(?P<string>'(?:[^']|'')*')|(?P<number>\d+(?:\.\d+)?)"
    r"|(?P<word>[A-Za-z_][A-Za-z0-9_]*)|(?P<op>::|<>|!=|<=|>=|\|\||[-+*/(),.=<>]))"
)
_KEYWORDS = frozenset(
    ("AND", "OR", "NOT", "NULL", "IS", "TRUE", "FALSE", "CASE", "WHEN", "THEN", "ELSE", "END",
     "IN", "BETWEEN", "LIKE", "DISTINCT", "EXCLUDED", "INSERT", "INTO", "VALUES", "ON",
     "CONFLICT", "DO", "NOTHING", "UPDATE", "SET", "WHERE", "DELETE", "FROM")
)  # fmt: skip
_FUNCTIONS = frozenset(
    ("COALESCE", "GREATEST", "LEAST", "ABS", "NULLIF", "LOWER", "UPPER", "LENGTH")
)
_CONSTANTS = {"NULL": None, "TRUE": True, "FALSE": False}
UNKNOWN: Any = object()  # a value that cannot be known before the statement runs
Token = tuple[str, str]  # (kind, text)
Value = tuple[int | None, Any]  # (param index, or None and a constant)


@dataclass(frozen=True)
class TableInfo:
    """A view table as its DDL declares it: columns, constant defaults, unique keys."""

    name: str
    columns: frozenset[str]
    defaults: tuple[tuple[str, Any], ...]  # what an INSERT that omits a column stores
    uniques: tuple[frozenset[str], ...]
    exact: frozenset[str] = frozenset()  # text and integer columns: equal values, equal keys
    types: tuple[tuple[str, str], ...] = ()  # column -> its type, where a cast keeps values

    def default(self, column: str) -> Any:
        return dict(self.defaults)[column]


@dataclass(frozen=True)
class Shape:
    """What a row statement does to its table, for ordering and merging.

    `pins` are equality conditions every touched row meets: (column, param index or
    None, constant). An INSERT touches the new row (every column known, defaults
    included: `new_row`); an upsert or DO NOTHING with a target also reads the row
    with the target's values; an UPDATE or DELETE touches the rows its WHERE
    equalities pin. `writes` are columns changed on existing rows.
    """

    table: str
    kind: str  # insert | ignore (ON CONFLICT DO NOTHING) | upsert | update | delete
    pins: tuple[tuple[str, int | None, Any], ...]
    writes: frozenset[str]
    new_row: tuple[tuple[str, int | None, Any], ...]
    any_conflict: bool  # ON CONFLICT DO NOTHING without a target: reads every unique key
    uniques: tuple[frozenset[str], ...]
    params: int
    target: tuple[int, ...] | None = None  # an upsert's conflict target, as param indices
    values: tuple[str, str, str] | None = None  # (text before, "(…)" row, text after)
    reads: frozenset[str] = frozenset()  # an UPDATE's columns other than those it assigns
    joined: tuple[str, str, int] | None = None  # an UPDATE as (SET part, WHERE part, params)

    @property
    def multi_rows(self) -> bool:
        return self.values is not None or self.joined is not None

    def multi_row(self, rows: int) -> str:
        """This statement for `rows` rows at once, with $n placeholders (see multi_rows)."""
        if self.values is not None:
            return _multi_row(self.values, rows)
        assert self.joined is not None
        return _multi_update(self.joined, rows)

    @property
    def inserts(self) -> bool:
        return self.kind in ("insert", "ignore", "upsert")

    @cached_property
    def key_takes(self) -> tuple[tuple[frozenset[str], bool | tuple[int, ...]], ...]:
        """`takes` for each unique key of the table, worked out once."""
        return tuple((unique, self.takes(unique)) for unique in self.uniques)

    def takes(self, unique: frozenset[str]) -> bool | tuple[int, ...]:
        """May this statement give a row this unique key's value? True, False, or the
        param indices that decide it (the key is taken unless one of them is NULL)."""
        if self.writes & unique:
            return True
        if not self.inserts:
            return False
        deciding = []
        for column, index, constant in self.new_row:
            if column in unique:
                if index is None and constant is None:
                    return False  # always NULL: never taken
                if index is not None:
                    deciding.append(index)
        return tuple(deciding) if deciding else True

    def frees(self, unique: frozenset[str]) -> bool:
        """May this statement take this unique key's value away from a row?"""
        return self.kind == "delete" or bool(self.writes & unique)


def value_key(value: Any) -> Any:
    """A key under which values the database might find equal are equal (or UNKNOWN).

    Numbers, and text that reads as one, compare as floats (SQLite's affinity may
    turn '1' into 1); other text as itself; anything else is UNKNOWN.
    """
    kind = type(value)
    if kind is str:
        key = _TEXT_KEYS.get(value)
        if key is None:
            if len(_TEXT_KEYS) > 200_000:
                _TEXT_KEYS.clear()
            numeric = value[:1] in _NUMBER_START and _NUMERIC.fullmatch(value)
            key = _TEXT_KEYS[value] = float(value) if numeric else value
        return key
    if value is None:
        return None
    if kind in (int, float, bool):
        return float(value)
    return UNKNOWN


_TEXT_KEYS: dict[str, Any] = {}
_NUMBER_START = frozenset("0123456789+-. \t\n")
_NUMERIC = re.compile(r"\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*")


def table_infos(tables: dict[str, str], indexes: Sequence[str]) -> dict[str, TableInfo]:
    """The tables whose statements may be regrouped, read from a view's DDL.

    A table qualifies with plain columns and constant defaults only: no foreign keys,
    generated, serial or identity columns, exclusion constraints or NULLS NOT
    DISTINCT; its unique keys come from PRIMARY KEY, UNIQUE and unique indexes on
    plain columns. Index DDL that is not a plain CREATE [UNIQUE] INDEX disqualifies
    every table.
    """
    infos = {name: info for name, ddl in tables.items() if (info := _table_info(name, ddl))}
    for index in indexes:
        found = re.fullmatch(
            r"\s*CREATE\s+(UNIQUE\s+)?INDEX\s+(?:IF\s+NOT\s+EXISTS\s+)?\w+\s+ON\s+(\w+)"
            r"\s*\(([^()]*)\)\s*",
            index,
            re.IGNORECASE,
        )
        if not found:
            return {}
        unique, table, listed = found.groups()
        info = infos.get(table.lower())
        if not unique or info is None:
            continue
        parts = [
            re.sub(r"(?i)\s+(asc|desc)$", "", part.strip()).lower() for part in listed.split(",")
        ]
        if all(part in info.columns for part in parts):
            uniques = (*info.uniques, frozenset(parts))
            infos[info.name] = replace(info, uniques=uniques)
        else:
            del infos[info.name]
    return infos


def _table_info(name: str, ddl: str) -> TableInfo | None:
    # CHECK: a check over several columns could pass or fail by the order of two updates
    # of one row; COLLATE: equality might not be equality of the text.
    if re.search(r"(?i)\b(REFERENCES|GENERATED|SERIAL|BIGSERIAL|SMALLSERIAL|IDENTITY|NULLS|EXCLUDE|"
                 r"FOREIGN|COLLATE|CHECK)\b", ddl):  # fmt: skip
        return None
    columns: set[str] = set()
    exact: set[str] = set()
    types: dict[str, str] = {}
    defaults: dict[str, Any] = {}
    uniques: list[frozenset[str]] = []
    for item in _split_top_level(ddl):
        head = item.split()[0].upper()
        if head in ("PRIMARY", "UNIQUE"):
            found = re.fullmatch(r"(?is)(PRIMARY\s+KEY|UNIQUE)\s*\(([^()]*)\)", item)
            if not found:
                return None
            uniques.append(frozenset(part.strip().lower() for part in found.group(2).split(",")))
        elif head == "CONSTRAINT":
            return None
        else:
            column, rest = item.split()[0].lower(), " ".join(item.split()[1:])
            if not re.fullmatch(r"[a-z_][a-z0-9_]*", column):
                return None
            columns.add(column)
            if _EXACT_TYPE.match(rest):
                exact.add(column)
            if rest and _LOSSLESS_CAST.fullmatch(rest.split()[0]):
                types[column] = rest.split()[0].upper()
            if re.search(r"(?i)\bPRIMARY\s+KEY\b|\bUNIQUE\b", rest):
                uniques.append(frozenset([column]))
            default = re.search(r"(?i)\bDEFAULT\s+('(?:[^']|'')*'|\S+)", rest)
            defaults[column] = _constant(default.group(1)) if default else None
            if defaults[column] is UNKNOWN:
                return None  # a computed default: inserts would depend on their order
    return TableInfo(
        name.lower(),
        frozenset(columns),
        tuple(sorted(defaults.items())),
        tuple(uniques),
        frozenset(exact),
        tuple(sorted(types.items())),
    )


# Types whose equality is equality of the value passed (text compared as written, whole
# numbers); a pin on any other column (timestamps, numerics, json…) is not relied on.
_EXACT_TYPE = re.compile(
    r"(?i)(TEXT|VARCHAR|CHARACTER\s+VARYING|INT|INTEGER|BIGINT|SMALLINT|INT2|INT4|INT8|"
    r"BOOLEAN|BOOL)\b(?!\s*\[)"
)


# Types a parameter can be cast to without changing it (not VARCHAR(n): a cast truncates).
_LOSSLESS_CAST = re.compile(r"(?i)TEXT|BIGINT|INTEGER|INT|SMALLINT|INT2|INT4|INT8|BOOLEAN|BOOL")


def _split_top_level(text: str) -> list[str]:
    parts, depth, current = [], 0, []
    for char in text:
        depth += (char == "(") - (char == ")")
        if char == "," and depth == 0:
            parts.append("".join(current).strip())
            current = []
        else:
            current.append(char)
    parts.append("".join(current).strip())
    return [part for part in parts if part]


def _constant(text: str) -> Any:
    if text.upper() in _CONSTANTS:
        return _CONSTANTS[text.upper()]
    if re.fullmatch(r"-?\d+", text):
        return int(text)
    if re.fullmatch(r"-?\d+\.\d+", text):
        return float(text)
    if re.fullmatch(r"'(?:[^']|'')*'", text):
        return text[1:-1].replace("''", "'")
    return UNKNOWN


def statement_table(text: str) -> str | None:
    """The table an INSERT, UPDATE or DELETE writes to."""
    found = _TARGET.match(text)
    return found.group(1).lower() if found else None


_TARGET = re.compile(r"(?is)\s*(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+([A-Za-z_]\w*)\b")


@lru_cache(maxsize=4096)
def analyse(text: str, info: TableInfo | None) -> Shape | None:
    """The shape of a simple row statement on `info`'s table; None when not understood."""
    if info is None or statement_table(text) != info.name:
        return None
    tokens = _tokens(text)
    if tokens is None or not _names_are_own(tokens, info):
        return None
    words = [value.upper() if kind == "word" else value for kind, value in tokens]
    read = {"INSERT": _insert, "UPDATE": _update, "DELETE": _delete}.get(words[0])
    try:
        shape = read(text, tokens, words, info) if read else None
    except (ValueError, IndexError, KeyError):
        return None
    if shape is None:
        return None
    pins = tuple(pin for pin in shape.pins if pin[0] in info.exact)
    if shape.kind != "update" and shape.target is not None and len(pins) != len(shape.pins):
        return replace(shape, pins=pins, target=None, values=None)  # no multi-row upsert
    return replace(shape, pins=pins)


def _tokens(text: str) -> list[Token] | None:
    tokens, position, text = [], 0, text.strip()
    while position < len(text):
        found = _TOKEN.match(text, position)
        if not found:
            return None  # ; " $ -- /* ? and anything else unexpected
        kind = found.lastgroup
        assert kind is not None
        tokens.append((kind, found.group(kind)))
        position = found.end()
    return tokens


def _names_are_own(tokens: list[Token], info: TableInfo) -> bool:
    """Every name is the table, one of its columns, a keyword, a known function or a type."""
    for index, (kind, value) in enumerate(tokens):
        if kind != "word":
            continue
        name, upper = value.lower(), value.upper()
        after = tokens[index + 1][1] if index + 1 < len(tokens) else ""
        if index and tokens[index - 1][1] == "::":
            continue  # a type in a cast
        if upper in _FUNCTIONS and after == "(":
            continue
        if name in info.columns or name == info.name or upper in _KEYWORDS:
            continue
        return False
    return True


def _params_before(tokens: list[Token], end: int) -> int:
    return sum(1 for kind, _ in tokens[:end] if kind == "param")


def _item(tokens: list[Token], index: int) -> Value:
    """A parameter or a constant at tokens[index] (ValueError for anything else)."""
    kind, text = tokens[index]
    if kind == "param":
        return _params_before(tokens, index), None
    constant = _constant(text)
    if constant is UNKNOWN or kind == "op":
        raise ValueError(text)
    return None, constant


def _close(words: list[str], open_at: int) -> int:
    depth = 0
    for index in range(open_at, len(words)):
        depth += (words[index] == "(") - (words[index] == ")")
        if depth == 0:
            return index
    raise ValueError("unbalanced")


def _names(tokens: list[Token], start: int, end: int, info: TableInfo) -> list[str]:
    """A parenthesised list of plain column names at tokens[start:end]."""
    names = [value.lower() for kind, value in tokens[start:end] if value != ","]
    if len(names) * 2 - 1 != end - start or any(name not in info.columns for name in names):
        raise ValueError("not a column list")
    return names


def _assignments(tokens: list[Token], start: int, end: int, info: TableInfo) -> frozenset[str]:
    """The columns assigned by `col = expr, …` at tokens[start:end]."""
    return frozenset(tokens[index][1].lower() for index in _assigned_at(tokens, start, end, info))


def _assigned_at(tokens: list[Token], start: int, end: int, info: TableInfo) -> list[int]:
    """Token indices of the assigned columns of `col = expr, …` at tokens[start:end]."""
    assigned, depth, expect = [], 0, True
    for index in range(start, end):
        kind, value = tokens[index]
        if expect:
            if kind != "word" or value.lower() not in info.columns or tokens[index + 1][1] != "=":
                raise ValueError("not an assignment")
            assigned.append(index)
            expect = False
            continue
        depth += (value == "(") - (value == ")")
        expect = depth == 0 and value == ","
    return assigned


def _conjuncts(tokens: list[Token], start: int, end: int, info: TableInfo):
    """`col = value` equalities that every row a WHERE clause matches satisfies."""
    depth, parts, current = 0, [], []
    for index in range(start, end):
        value = tokens[index][1].upper()
        depth += (value == "(") - (value == ")")
        if depth == 0 and value in ("OR", "BETWEEN"):
            return ()  # not a plain conjunction (BETWEEN's AND would split it): pins nothing
        if depth == 0 and value == "AND":
            parts.append(current)
            current = []
        else:
            current.append(index)
    parts.append(current)
    pins = []
    for part in parts:
        if len(part) != 3 or tokens[part[1]][1] != "=":
            continue
        left, right = part[0], part[2]
        if tokens[left][1].lower() not in info.columns or tokens[left][0] != "word":
            left, right = right, left
        if tokens[left][0] != "word" or tokens[left][1].lower() not in info.columns:
            continue
        try:
            pins.append((tokens[left][1].lower(), *_item(tokens, right)))
        except ValueError:
            continue  # compared with another column or an expression
    return tuple(pins)


def _insert(text: str, tokens: list[Token], words: list[str], info: TableInfo) -> Shape | None:
    # INSERT INTO t ( cols ) VALUES ( items ) [ON CONFLICT [( cols )] DO NOTHING | UPDATE SET …]
    if words[1] != "INTO" or words[3] != "(":
        return None
    close = _close(words, 3)
    columns = _names(tokens, 4, close, info)
    if len(set(columns)) != len(columns) or words[close + 1 : close + 3] != ["VALUES", "("]:
        return None
    end = _close(words, close + 2)
    items = [index for index in range(close + 3, end) if words[index] != ","]
    if len(items) != len(columns) or len(items) * 2 - 1 != end - close - 3:
        return None
    row = {column: _item(tokens, index) for column, index in zip(columns, items, strict=True)}
    new_row = tuple(
        (column, *row[column]) if column in row else (column, None, info.default(column))
        for column in sorted(info.columns)
    )
    # A new row is pinned by its unique keys' columns (what other statements find rows by).
    keyed = {column for unique in info.uniques for column in unique}
    pins = tuple(pin for pin in new_row if pin[0] in keyed)
    kind, writes, on = "insert", frozenset[str](), list[str]()
    if end + 1 < len(words):
        conflict = _on_conflict(tokens, words, end + 1, info)
        if conflict is None:
            return None
        kind, writes, on = conflict
    target: tuple[int, ...] | None = None
    if on:
        pins = tuple((column, *row[column]) for column in on)  # the row it may find
        indices = [row[column][0] for column in on]
        if kind == "upsert" and None not in indices:
            target = tuple(index for index in indices if index is not None)
    total = _params_before(tokens, len(tokens))
    values = None
    if total == _params_before(tokens, end + 1) and (kind != "upsert" or target):
        values = _values_row(text)  # every parameter is in the VALUES row
    return Shape(
        info.name, kind, pins, writes, new_row, kind == "ignore" and not on, info.uniques,
        total, target, values,
    )  # fmt: skip


def _on_conflict(
    tokens: list[Token], words: list[str], position: int, info: TableInfo
) -> tuple[str, frozenset[str], list[str]] | None:
    """(kind, columns an upsert sets, conflict target) of an ON CONFLICT clause."""
    if words[position : position + 2] != ["ON", "CONFLICT"]:
        return None
    position += 2
    on: list[str] = []
    if words[position] == "(":
        closing = _close(words, position)
        on = _names(tokens, position + 1, closing, info)
        position = closing + 1
        if frozenset(on) not in info.uniques:
            return None
    if words[position : position + 2] == ["DO", "NOTHING"] and position + 2 == len(words):
        return "ignore", frozenset(), on
    if words[position : position + 3] == ["DO", "UPDATE", "SET"] and on:
        stop = words.index("WHERE", position) if "WHERE" in words[position:] else len(words)
        return "upsert", _assignments(tokens, position + 3, stop, info), on
    return None


def _values_row(text: str) -> tuple[str, str, str] | None:
    """(text before, the VALUES row, text after): the pieces of a multi-row INSERT."""
    if "'" in text or "$" in text:
        return None  # a literal could hold %s; $ placeholders are ours
    opened = text.index("(", text.upper().index("VALUES"))
    depth = 0
    for closed in range(opened, len(text)):
        depth += (text[closed] == "(") - (text[closed] == ")")
        if depth == 0:
            return text[:opened], text[opened : closed + 1], text[closed + 1 :]
    return None


def _update(text: str, tokens: list[Token], words: list[str], info: TableInfo) -> Shape | None:
    # UPDATE t SET col = expr, … [WHERE conjunction]
    if words[2] != "SET":
        return None
    stop = words.index("WHERE") if "WHERE" in words else len(words)
    assigned = _assigned_at(tokens, 3, stop, info)
    writes = frozenset(tokens[index][1].lower() for index in assigned)
    pins = _conjuncts(tokens, stop + 1, len(words), info) if stop < len(words) else ()
    total = _params_before(tokens, len(tokens))
    reads = frozenset(
        value.lower()
        for index, (kind, value) in enumerate(tokens)
        if kind == "word" and value.lower() in info.columns and index not in assigned
    )
    target = _updated_key(pins, writes, info)
    joined = _joined_update(tokens, stop, info) if target else None
    return Shape(
        info.name, "update", pins, writes, (), False, info.uniques, total, target,
        reads=reads, joined=joined,
    )  # fmt: skip


def _updated_key(
    pins: tuple[tuple[str, int | None, Any], ...], writes: frozenset[str], info: TableInfo
) -> tuple[int, ...] | None:
    """The params of a unique key an UPDATE pins (so it touches one row per execution),
    when it writes no unique column (PostgreSQL checks uniqueness row by row, so rows
    updated together in another order could collide); None otherwise."""
    if any(unique & writes for unique in info.uniques):
        return None
    by_column = {column: index for column, index, _ in pins if column in info.exact}
    for unique in info.uniques:
        if unique <= by_column.keys():
            target = tuple(by_column[column] for column in sorted(unique))
            if None not in target:
                return target  # type: ignore[return-value]
    return None


def _joined_update(tokens: list[Token], stop: int, info: TableInfo) -> tuple[str, str, int] | None:
    """An UPDATE's text with each parameter read from a joined VALUES list (`_v._n`).

    A parameter compared with or assigned to a column directly is cast to that column's
    type: a VALUES column of NULLs only would otherwise be text.
    """
    if any(column.startswith("_") for column in info.columns) or info.name.startswith("_"):
        return None
    types, words, count = dict(info.types), [], 0
    for index, (kind, value) in enumerate(tokens):
        if kind != "param":
            words.append(value)
            continue
        count += 1
        column = tokens[index - 2][1].lower() if index >= 2 and tokens[index - 1][1] == "=" else ""
        cast = types.get(column, "")
        words.append(f"_v._{count}::{cast}" if cast else f"_v._{count}")
    return " ".join(words[:stop]), " ".join(words[stop:]), count


def _delete(text: str, tokens: list[Token], words: list[str], info: TableInfo) -> Shape | None:
    # DELETE FROM t [WHERE conjunction]
    if len(words) > 3 and words[3] != "WHERE":
        return None
    pins = _conjuncts(tokens, 4, len(words), info) if len(words) > 3 else ()
    total = _params_before(tokens, len(tokens))
    return Shape(info.name, "delete", pins, frozenset(), (), False, info.uniques, total)


# --------------------------------------------------------------------- multi-row


def _distinct_runs(rows: Sequence[Sequence[Any]], target: tuple[int, ...]) -> list[list]:
    """Consecutive runs of rows in which no conflict target repeats (in order)."""
    runs: list[list] = [[]]
    seen: set = set()
    for row in rows:
        key = tuple(value_key(row[index]) for index in target)
        if key in seen or UNKNOWN in key:
            runs.append([])
            seen = set()
        seen.add(key)
        runs[-1].append(row)
    return [run for run in runs if run]


MAX_ROWS = 256


def _chunk_size(remaining: int, params: int) -> int:
    """The largest power of two ≤ remaining rows, MAX_ROWS and the 65,535 parameter limit.

    Powers of two keep the statement texts few, so the driver can prepare them.
    """
    limit = min(remaining, MAX_ROWS, max(1, 65_535 // max(params, 1)))
    return 1 << (limit.bit_length() - 1)


@lru_cache(maxsize=1024)
def _multi_row(values: tuple[str, str, str], rows: int) -> str:
    """`rows` copies of the VALUES row, with numbered ($1, $2…) placeholders."""
    before, row, after = values
    pieces = row.split("%s")
    width = len(pieces) - 1
    copies = [
        pieces[0] + "".join(f"${n * width + k + 1}{pieces[k + 1]}" for k in range(width))
        for n in range(rows)
    ]
    return before + ", ".join(copies) + after


@lru_cache(maxsize=1024)
def _multi_update(joined: tuple[str, str, int], rows: int) -> str:
    """`UPDATE … FROM (VALUES …) AS _v WHERE …`: one UPDATE for `rows` executions."""
    head, where, width = joined
    listed = ", ".join(
        "(" + ", ".join(f"${n * width + k + 1}" for k in range(width)) + ")" for n in range(rows)
    )
    names = ", ".join(f"_{k + 1}" for k in range(width))
    return f"{head} FROM (VALUES {listed}) AS _v ({names}) {where}"
