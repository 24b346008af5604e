"""Waiting for new events: LISTEN/NOTIFY on PostgreSQL, short polls on SQLite."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Protocol

import psycopg
from eventsourcing.application import Application
from eventsourcing.postgres import PostgresApplicationRecorder


class Wakeup(Protocol):
    def wait(self, timeout: float) -> None: ...


class Polling:
    """Sleep a short interval: SQLite cannot notify."""

    def __init__(self, interval: float) -> None:
        self.interval = interval

    def wait(self, timeout: float) -> None:
        time.sleep(min(timeout, self.interval))


class Listening:
    """Block until the event store's NOTIFY (sent with every insert) or the timeout."""

    def __init__(self, connection: psycopg.Connection) -> None:
        self.connection = connection

    def wait(self, timeout: float) -> None:
        for _ in self.connection.notifies(timeout=timeout, stop_after=1):
            pass


@contextmanager
def wakeup_for(app: Application, poll_interval: float) -> Iterator[Wakeup]:
    recorder = app.recorder
    if not isinstance(recorder, PostgresApplicationRecorder):
        yield Polling(poll_interval)
        return
    params = dict(recorder.datastore.pool.kwargs)
    params.pop("row_factory", None)
    with psycopg.connect(autocommit=True, **params) as connection:
        connection.execute(f'LISTEN "{recorder.channel_name}"')
        yield Listening(connection)
