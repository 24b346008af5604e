"""Runs views over the event log: batches, one transaction each, tracking included.

Each batch of notifications is decoded once and handed to every view still behind
it. The views' rows and their tracking positions are written in one transaction,
so a crash never double-counts and a restart resumes where it stopped. The
tracking row only moves forward (the library refuses a position that does not
advance), so two runners on one view cannot both apply the same batch.
"""

from __future__ import annotations

import time
from bisect import bisect_right
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from eventsourcing.application import Application
from eventsourcing.persistence import IntegrityError, Tracking

from projections.sql import Database, tracking_recorder
from projections.view import Batch, View

DDL_LOCK = 7_216_042  # any fixed number: the advisory lock that serialises view DDL
Progress = Callable[[int, int], None]  # (position reached, head of the log)


@dataclass(frozen=True)
class ViewStatus:
    name: str
    position: int
    head: int

    @property
    def lag(self) -> int:
        return max(0, self.head - self.position)


class ProjectionRunner:
    """Keeps a set of views up to date with one application's event log."""

    def __init__(self, app: Application, views: Sequence[View], batch_size: int = 5000) -> None:
        self.app = app
        self.views = list(views)
        self.batch_size = batch_size
        self.db = Database(tracking_recorder(app))
        self.topics = sorted({topic for view in self.views for topic in view.topics})
        with self.db.transaction(commit=True) as sql:
            if self.db.postgres:  # processes starting together must not race on CREATE TABLE
                sql.run("SELECT pg_advisory_xact_lock(%s)", [DDL_LOCK])
            for view in self.views:
                view.create(sql)

    def positions(self) -> dict[str, int]:
        names = [view.name for view in self.views]
        marks = ", ".join(["%s"] * len(names))
        rows = self.db.read(
            f"SELECT application_name, notification_id FROM {self.db.tracking_table} "
            f"WHERE application_name IN ({marks})",
            names,
        )
        found = dict(rows)
        return {name: found.get(name) or 0 for name in names}

    def status(self) -> list[ViewStatus]:
        head = self.app.recorder.max_notification_id() or 0
        return [ViewStatus(name, pos, head) for name, pos in self.positions().items()]

    def run_once(self, progress: Progress | None = None) -> int:
        """Process everything in the log now; returns how many notifications were read."""
        total = 0
        while True:
            try:
                read, position, head = self.step()
            except IntegrityError:
                continue  # another runner moved a view on: read the positions again
            total += read
            if progress:
                progress(position, head)
            if position >= head:
                return total

    def step(self) -> tuple[int, int, int]:
        """One batch: (notifications read, position reached, head of the log)."""
        positions = self.positions()
        start = min(positions.values())
        head = self.app.recorder.max_notification_id() or 0
        if start >= head:
            return 0, start, head
        notifications = self.app.recorder.select_notifications(
            start + 1, self.batch_size, stop=head, topics=self.topics
        )
        full = len(notifications) == self.batch_size
        end = notifications[-1].id if full else head
        ids = [n.id for n in notifications]  # ascending
        decoded = [(n.topic, self.app.mapper.to_domain_event(n)) for n in notifications]
        behind = [view for view in self.views if positions[view.name] < end]
        with self.db.transaction(commit=True) as sql:
            with self.db.pipeline(sql):
                for view in behind:
                    batch = Batch(sql, view.shape_of)
                    view.handle(decoded[bisect_right(ids, positions[view.name]) :], batch)
                    batch.flush(sql)
            for view in behind:
                self.db.tracking._insert_tracking(sql.cursor, Tracking(view.name, end))
        return len(notifications), end, head

    def rebuild(self, progress: Progress | None = None) -> int:
        """Drop the views' tables and tracking, then replay the whole log into them."""
        names = [view.name for view in self.views]
        marks = ", ".join(["%s"] * len(names))
        with self.db.transaction(commit=True) as sql:
            for view in self.views:
                view.drop(sql)
                view.create(sql)
            sql.run(
                f"DELETE FROM {self.db.tracking_table} WHERE application_name IN ({marks})",
                names,
            )
        return self.run_once(progress)

    def wait_for(self, position: int, timeout: float = 2.0) -> bool:
        """Wait (bounded) until every view has reached `position`; False on timeout."""
        deadline, pause = time.monotonic() + timeout, 0.001
        while min(self.positions().values()) < position:
            if time.monotonic() >= deadline:
                return False
            time.sleep(pause)
            pause = min(pause * 2, 0.02)
        return True
