"""Storage faults: the event store unreachable, full or read-only, told apart from bugs.

The HTTP API answers them with 503 and Retry-After, the CLI with one clear line; any
other database error is a bug and stays a 500 (or a traceback).
"""

from __future__ import annotations

import sqlite3
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import psycopg
import typer

EXIT_TEMPFAIL = 75  # sysexits.h: a temporary failure, the caller may retry


@dataclass(frozen=True)
class StorageFault:
    slug: str
    title: str
    detail: str
    retry_after_seconds: int


UNAVAILABLE = StorageFault(
    "database-unavailable",
    "Database unavailable",
    "the database cannot be reached just now; nothing was saved: try again shortly",
    5,
)
FULL = StorageFault(
    "storage-full",
    "Storage full",
    "the database's disk is full; nothing was saved: free some space and try again",
    30,
)
READ_ONLY = StorageFault(
    "storage-read-only",
    "Storage read-only",
    "the database is read-only (file or disk permissions); nothing was saved",
    30,
)
# SQLite result codes that say the file or its disk is in trouble, not the statement.
SQLITE_FAULTS = {
    "SQLITE_FULL": FULL,
    "SQLITE_READONLY": READ_ONLY,
    "SQLITE_BUSY": UNAVAILABLE,
    "SQLITE_LOCKED": UNAVAILABLE,
    "SQLITE_IOERR": UNAVAILABLE,
    "SQLITE_CANTOPEN": UNAVAILABLE,
}


class StorageFaultRaised(Exception):
    """A storage fault met elsewhere (another process), raised again here."""

    def __init__(self, fault: StorageFault) -> None:
        super().__init__(fault)  # (pickled by its args: the fault itself)
        self.fault = fault

    def __str__(self) -> str:
        return self.fault.detail


def storage_fault(error: BaseException) -> StorageFault | None:
    """What this error says about the store, or None when it is not a storage fault."""
    for cause in causes(error):
        if isinstance(cause, StorageFaultRaised):
            return cause.fault
        if isinstance(cause, sqlite3.Error):
            # Extended codes (SQLITE_IOERR_WRITE, SQLITE_READONLY_DBMOVED) name their family first.
            family = "_".join(getattr(cause, "sqlite_errorname", "").split("_")[:2])
            return SQLITE_FAULTS.get(family)
        # Connection lost or refused, pool timed out, server shutting down, lock timeout.
        if isinstance(cause, psycopg.OperationalError | psycopg.InterfaceError):
            return UNAVAILABLE
    return None


def causes(error: BaseException) -> Iterator[BaseException]:
    """The error and what it was raised from (eventsourcing wraps the driver's errors)."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


class StorageAwareTyper(typer.Typer):
    """A Typer app whose commands end with one clear line, not a traceback, on a storage fault."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().__call__(*args, **kwargs)
        except Exception as error:
            fault = storage_fault(error)
            if fault is None:
                raise
            print(f"lianjie: {fault.title.lower()}: {fault.detail}", file=sys.stderr)
            sys.exit(EXIT_TEMPFAIL)
