"""Runs views over the event log: batches, one transaction each, tracking included.

Each batch of notifications is decoded once and handed to every view still behind
it. The views' rows and their tracking positions are written in one transaction,
so a crash never double-counts and a restart resumes where it stopped. The
tracking row only moves forward (the library refuses a position that does not
advance), so two runners on one view cannot both apply the same batch.

Catching up (`run_once`, `rebuild`) reads and decodes the next batch on a thread of
its own while this one's rows are written: the database's work on one batch
overlaps the decoding of the next (the log only grows, so a page read ahead is
still the log; it is used only if the views' positions are where it starts). A
rebuild reads bigger pages (REBUILD_BATCH_SIZE: counters add up over more events,
fewer rows to write), creates the views' secondary indexes after the last batch, in
one sort each, instead of updating them row by row, and pauses Python's cyclic
garbage collector, whose full passes over the views' growing memory of members and
coupons cost more the longer the log.
"""

from __future__ import annotations

import gc
import time
from bisect import bisect_right
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from eventsourcing.application import Application
from eventsourcing.persistence import IntegrityError, Tracking

from projections.decoding import reading_mapper
from projections.sql import Database, tracking_recorder
from projections.view import Batch, View

REBUILD_BATCH_SIZE = 20_000
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


@dataclass(frozen=True)
class Page:
    """Notifications (ids ascending), decoded; they cover the log up to `end`."""

    end: int
    ids: list[int]
    events: list[tuple[str, Any]]


class ProjectionRunner:
    """Keeps a set of views up to date with one application's event log."""

    def __init__(
        self,
        app: Application,
        views: Sequence[View],
        batch_size: int = 5000,
        rebuild_batch_size: int = REBUILD_BATCH_SIZE,
    ) -> None:
        self.app = app
        self.views = list(views)
        self.batch_size = batch_size
        self.rebuild_batch_size = rebuild_batch_size
        self.db = Database(tracking_recorder(app))
        self.mapper = reading_mapper(app.mapper)
        self.ahead: tuple[int, Future[Page]] | None = None  # (its start, the page read ahead)
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

    def topic_counts(self) -> dict[str, int]:
        """How many notifications of each topic the log holds (what each view will read)."""
        table = self.app.recorder.events_table_name
        return dict(self.db.read(f"SELECT topic, count(*) FROM {table} GROUP BY topic"))

    def status(self) -> list[ViewStatus]:
        head = self.app.recorder.max_notification_id() or 0
        return [ViewStatus(name, pos, head) for name, pos in self.positions().items()]

    def run_once(self, progress: Progress | None = None) -> int:
        """Process everything in the log now; returns how many notifications were read."""
        total = 0
        with ThreadPoolExecutor(1, thread_name_prefix="projection-reader") as reader:
            while True:
                before = self.positions()
                try:
                    read, position, head = self.step(reader, before)
                except IntegrityError:
                    if self.positions() == before:
                        raise  # nobody moved a view on: a view's own rows collided (a bug)
                    continue  # another runner moved a view on: read the positions again
                total += read
                if progress:
                    progress(position, head)
                if position >= head:
                    self.ahead = None
                    return total

    def step(
        self, reader: Executor | None = None, positions: dict[str, int] | None = None
    ) -> tuple[int, int, int]:
        """One batch: (notifications read, position reached, head of the log).

        With a `reader`, the next batch is read and decoded on it meanwhile; `positions`
        are the views' positions when the caller has just read them.
        """
        positions = positions if positions is not None else self.positions()
        start = min(positions.values())
        head = self.app.recorder.max_notification_id() or 0
        if start >= head:
            return 0, start, head
        page = self.page_after(start, head)
        if reader is not None and page.end < head:
            self.ahead = (page.end, reader.submit(self.read, page.end, head))
        behind = [view for view in self.views if positions[view.name] < page.end]
        with self.db.transaction(commit=True) as sql:
            with self.db.pipeline(sql):
                for view in behind:
                    batch = Batch(sql, view.shape_of)
                    events = page.events[bisect_right(page.ids, positions[view.name]) :]
                    view.handle(events, batch)
                    batch.flush(sql)
            for view in behind:
                self.db.tracking._insert_tracking(sql.cursor, Tracking(view.name, page.end))
        return len(page.ids), page.end, head

    def page_after(self, start: int, head: int) -> Page:
        """The page read ahead if it starts at `start`, else one read now."""
        ahead, self.ahead = self.ahead, None
        if ahead is not None and ahead[0] == start:
            return ahead[1].result()
        return self.read(start, head)

    def read(self, start: int, head: int) -> Page:
        """Up to a batch of the views' notifications after `start`, up to `head`, decoded."""
        notifications = self.app.recorder.select_notifications(
            start + 1, self.batch_size, stop=head, topics=self.topics
        )
        full = len(notifications) == self.batch_size
        if load_keys_of := getattr(self.mapper, "load_keys_of", None):
            load_keys_of(notifications)  # a sealing mapper: the page's data keys in one query
        return Page(
            notifications[-1].id if full else head,
            [n.id for n in notifications],
            [(n.topic, self.mapper.to_domain_event(n)) for n in notifications],
        )

    def rebuild(self, progress: Progress | None = None) -> int:
        """Drop the views' tables and tracking, then replay the whole log into them."""
        names = [view.name for view in self.views]
        marks = ", ".join(["%s"] * len(names))
        with self.db.transaction(commit=True) as sql:
            for view in self.views:
                view.drop(sql)
                view.create(sql, secondary_indexes=False)
            sql.run(
                f"DELETE FROM {self.db.tracking_table} WHERE application_name IN ({marks})",
                names,
            )
        live_batch_size, self.batch_size = self.batch_size, self.rebuild_batch_size
        try:
            with collector_paused():
                read = self.run_once(progress)
        finally:
            self.batch_size = live_batch_size
        with self.db.transaction(commit=True) as sql:
            for view in self.views:
                view.create(sql)  # (a runner starting after a crash creates them too)
        return read

    def wait_for(self, position: int, timeout: float = 2.0) -> bool:
        """Wait (bounded) until every view has reached `position`; False on timeout."""
        deadline, pause = time.monotonic() + timeout, 0.001
        while min(self.positions().values()) < position:
            if time.monotonic() >= deadline:
                return False
            time.sleep(pause)
            pause = min(pause * 2, 0.02)
        return True


def split_by_work(
    views: Sequence[View], topic_counts: dict[str, int], parts: int
) -> list[list[View]]:
    """The views in at most `parts` groups of about equal work (the notifications their
    topics cover): the biggest first, each to the group with the least so far."""
    work = {view.name: sum(topic_counts.get(topic, 0) for topic in view.topics) for view in views}
    loads, groups = [0] * max(1, parts), [[] for _ in range(max(1, parts))]
    for view in sorted(views, key=lambda view: -work[view.name]):
        least = loads.index(min(loads))
        groups[least].append(view)
        loads[least] += work[view.name]
    return [group for group in groups if group]


@contextmanager
def collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector off (what exists now frozen) for a while."""
    gc.freeze()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
        gc.unfreeze()
