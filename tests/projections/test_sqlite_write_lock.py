"""SQLite: a view batch takes the one write lock by trying every millisecond.

SQLite's own busy handler sleeps up to 100 ms between tries, so the views' write would
wait far longer than another writer holds the lock; the live lag of `lianjie project`
showed it. `Database.take_write_lock` tries every millisecond up to the connection's
busy timeout, and leaves that timeout as it found it.
"""

from __future__ import annotations

import sqlite3
import threading
import time

import pytest

from projections.catalog import all_views
from projections.runner import ProjectionRunner
from services.bootstrap import bootstrap
from services.settings import Settings


@pytest.fixture
def sqlite_runner(tmp_path):
    path = tmp_path / "lianjie.db"
    app = bootstrap(Settings(database_url=f"sqlite:///{path}"))
    yield ProjectionRunner(app, all_views()), path
    app.close()


def hold_the_write_lock(path) -> sqlite3.Connection:
    holder = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")
    return holder


def busy_timeout(sql) -> int:
    sql.cursor.execute("PRAGMA busy_timeout")
    return sql.cursor.fetchone()[0]


def test_the_lock_is_taken_soon_after_another_writer_lets_go(sqlite_runner):
    runner, path = sqlite_runner
    holder = hold_the_write_lock(path)
    let_go = threading.Timer(0.05, lambda: holder.execute("COMMIT"))
    with runner.db.transaction(commit=True) as sql:
        before = busy_timeout(sql)
        let_go.start()
        started = time.monotonic()
        runner.db.take_write_lock(sql)
        waited = time.monotonic() - started
        assert busy_timeout(sql) == before
    let_go.join()
    holder.close()
    assert 0.04 < waited < before / 1000


def test_a_lock_held_past_the_busy_timeout_fails_and_keeps_the_timeout(sqlite_runner):
    runner, path = sqlite_runner
    holder = hold_the_write_lock(path)
    with pytest.raises(Exception, match="locked"), runner.db.transaction(commit=True) as sql:
        sql.cursor.execute("PRAGMA busy_timeout = 100")
        started = time.monotonic()
        try:
            runner.db.take_write_lock(sql)
        finally:
            assert busy_timeout(sql) == 100
            assert time.monotonic() - started >= 0.1
    holder.close()


def test_a_batch_is_written_once_the_other_writer_commits(sqlite_runner):
    runner, path = sqlite_runner
    app = runner.app
    app.follow("o-lock")
    holder = hold_the_write_lock(path)
    threading.Timer(0.05, lambda: holder.execute("COMMIT")).start()
    assert runner.run_once() > 0
    holder.close()
    assert runner.db.read("SELECT openid FROM wallet_members") == [("o-lock",)]
