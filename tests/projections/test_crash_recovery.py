"""A projection process killed mid-batch resumes without losing or double-counting a thing.

The real `lianjie project` process follows a PostgreSQL schema while this test keeps
appending a mixed log (follows through stores, campaigns and shares, referral
rewards, claims, redemptions, purchases, points, tags, unfollows). The process is
SIGKILLed while a view transaction is open — rows written, not committed — at
different moments, once more at a random moment, restarted, and finally left to
catch up. Meanwhile every poll checks that view rows never become visible without
their tracking position. The views must then equal a full rebuild row for row, and
the policies must have written nothing (the generator already saved every effect
they would have had).
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from uuid import uuid4

import psycopg
import pytest
from eventsourcing.utils import get_topic

from domain.review import ReferralReview, ReferrerDay
from infra.bench.loggen import LogGenerator, Shape
from projections.catalog import all_views
from projections.runner import ProjectionRunner
from services.bootstrap import bootstrap
from services.policies import Policies
from services.settings import Settings, pop_query_param
from tests.projections.conftest import dump

VIEW_TABLE_PATTERN = "(wallet|redemption|referral|contribution|segment|analytics|inbox)_"


def lianjie_command() -> list[str]:
    script = Path(sys.executable).parent / "lianjie"
    if script.exists():
        return [str(script), "project"]
    found = shutil.which("lianjie")
    if found:
        return [found, "project"]
    return [sys.executable, "-c", "from services.cli import app; app()", "project"]


class ProjectProcess:
    """`lianjie project` in its own OS process, recognisable in pg_stat_activity."""

    def __init__(self, database_url: str, log_dir: Path) -> None:
        self.database_url = database_url
        self.app_name = f"lianjie-crash-{uuid4().hex[:8]}"
        self.log_dir = log_dir
        self.process: subprocess.Popen | None = None
        self.starts = 0

    def start(self) -> None:
        self.starts += 1
        env = {
            **os.environ,
            "LIANJIE_DATABASE_URL": self.database_url,
            "PGAPPNAME": self.app_name,  # libpq sets application_name from it
        }
        log = (self.log_dir / f"project-{self.starts}.log").open("wb")
        self.process = subprocess.Popen(
            lianjie_command(), env=env, stdout=log, stderr=subprocess.STDOUT
        )

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)
        assert self.process.returncode == -signal.SIGKILL

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def output(self) -> str:
        return "\n".join(
            path.read_text(errors="replace") for path in sorted(self.log_dir.glob("project-*.log"))
        )


def writing_views(monitor: psycopg.Connection, app_name: str) -> bool:
    """Is the process inside a view transaction that has written rows but not committed?"""
    row = monitor.execute(
        "SELECT count(*) FROM pg_stat_activity WHERE application_name = %s "
        "AND backend_xid IS NOT NULL AND query ~* %s",
        (app_name, VIEW_TABLE_PATTERN),
    ).fetchone()
    return bool(row and row[0])


def connected(monitor: psycopg.Connection, app_name: str) -> bool:
    row = monitor.execute(
        "SELECT count(*) FROM pg_stat_activity WHERE application_name = %s", (app_name,)
    ).fetchone()
    return bool(row and row[0])


def lowest_position(runner: ProjectionRunner) -> int:
    return min(runner.positions().values())


class Watch:
    """The process as PostgreSQL shows it: its open transactions, and what readers see.

    Every poll also checks, in one snapshot, that the wallet's rows never change while
    its tracking position stands still: rows and position commit together or not at all.
    """

    def __init__(self, monitor: psycopg.Connection, observer: ProjectionRunner, schema: str):
        self.monitor = monitor
        tracking = f'"{schema}"."{observer.db.tracking_table}"'
        self.snapshot = (
            f'SELECT (SELECT count(*) FROM "{schema}".wallet_members), '
            f"(SELECT coalesce(max(notification_id), 0) FROM {tracking} "
            "WHERE application_name = 'wallet')"
        )
        self.last: tuple[int, int] | None = None
        self.checks = 0

    def check_atomic(self) -> None:
        rows, position = self.monitor.execute(self.snapshot).fetchone()
        if self.last is not None and self.last[1] == position:
            assert rows == self.last[0], "wallet rows were committed without their position"
        self.last = (rows, position)
        self.checks += 1

    def kill(
        self,
        project: ProjectProcess,
        generator: LogGenerator,
        ready: Callable[[], bool],
        mid_batch: bool = True,
    ) -> None:
        """Start the process, keep appending and SIGKILL it once `ready` (and, with
        `mid_batch`, inside a view transaction that has written rows, uncommitted).

        The writer appends about 600 events/s: slow enough for the process's policies
        (which run between view batches) to keep up, so view batches keep coming.
        """
        project.start()
        deadline = time.monotonic() + 20
        while not connected(self.monitor, project.app_name):  # imports first, then connects
            assert project.alive(), project.output()
            assert time.monotonic() < deadline, "the process never connected"
            time.sleep(0.01)
        while True:
            generator.write(25, chunk=25)
            pause_until = time.monotonic() + 0.04
            while time.monotonic() < pause_until:
                self.check_atomic()
                if ready() and (not mid_batch or writing_views(self.monitor, project.app_name)):
                    project.kill()
                    return
                time.sleep(0.002)
            assert project.alive(), project.output()
            assert time.monotonic() < deadline, "no open view batch seen"


@pytest.mark.postgres_only
def test_a_killed_projection_process_resumes_and_equals_a_rebuild(postgres_url, tmp_path):
    app = bootstrap(Settings(database_url=postgres_url))
    generator = LogGenerator(app, Shape(members=4_000, stores=12, days=6, seed=5, chunk=150))
    generator.setup()
    observer = ProjectionRunner(app, all_views())  # creates the view tables before the process
    generator.write(5_000)
    project = ProjectProcess(postgres_url, tmp_path)
    schema, base_url = pop_query_param(postgres_url, "schema")
    assert schema
    try:
        with psycopg.connect(base_url, autocommit=True) as monitor:
            watch = Watch(monitor, observer, schema)
            # 1. while its very first batch is being written;
            watch.kill(project, generator, ready=lambda: True)
            assert lowest_position(observer) == 0
            generator.write(2_500)  # the log grows while nothing projects it
            # 2. after the restarted process has committed some batches;
            watch.kill(project, generator, ready=lambda: lowest_position(observer) > 0)
            progressed = lowest_position(observer)
            assert 0 < progressed < app.recorder.max_notification_id()
            generator.write(2_500)
            # 3. a moment into catching up again, after a burst;
            settle = time.monotonic() + 0.15
            watch.kill(project, generator, ready=lambda: time.monotonic() > settle)
            assert progressed <= lowest_position(observer) < app.recorder.max_notification_id()
            # 4. at a moment picked at random, whatever it is doing.
            moment = time.monotonic() + random.uniform(0.5, 1.5)
            watch.kill(project, generator, ready=lambda: time.monotonic() > moment, mid_batch=False)
            project.start()
            generator.write(1_000)
            deadline = time.monotonic() + 90  # the policies judge thousands of follows
            # Caught up: the policies judged every follow and the views read all they wrote.
            policies = Policies(app)
            while policies.next_batch() or any(status.lag for status in observer.status()):
                assert project.alive(), project.output()
                assert time.monotonic() < deadline, f"never caught up: {observer.status()}"
                watch.check_atomic()
                time.sleep(0.01)
            assert watch.checks > 100
    finally:
        project.stop()
    try:
        assert events_besides_reviews(app) == generator.written, "the policies paid again"
        live = dump(observer)
        assert sum(map(len, live.values())) > 10_000
        ProjectionRunner(app, all_views()).rebuild()
        assert dump(observer) == live
        head = app.recorder.max_notification_id()
        assert all(status.position == head for status in observer.status())
    finally:
        app.close()


def events_besides_reviews(app) -> int:
    """The log's events but the fraud reviews the policies add to each referred follow."""
    judged = [f"{get_topic(cls)}%" for cls in (ReferralReview, ReferrerDay)]
    with app.recorder.datastore.transaction(commit=False) as cursor:
        table = f'"{app.recorder.datastore.schema}"."{app.recorder.events_table_name}"'
        cursor.execute(f"SELECT count(*) AS n FROM {table} WHERE NOT topic LIKE ANY(%s)", [judged])
        return cursor.fetchone()["n"]
