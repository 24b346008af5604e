"""Runs views over the event log: batches, one transaction each, tracking included.

Each batch of notifications is decoded once and handed to every view still behind
it. The views' rows and their tracking positions are written in one transaction,
so a crash never double-counts and a restart resumes where it stopped. The
tracking row only moves forward (the library refuses a position that does not
advance), so two runners on one view cannot both apply the same batch.

`run_once` reads and decodes the next batch on a thread of its own while this one is
handled and written (the log only grows, so a page read ahead is still the log; it is
used only if the views' positions are where it starts).

Far behind (a rebuild, a catch-up after a long stop or for a new view), `run_once`
works on three batches at once: it also writes each batch on a third thread while the
next one goes through the views' handlers. One write is in flight at a time, and a
handler's lookup first waits for it, so every lookup still sees every batch before its
own; Python's work on one batch overlaps the database's work on another. Following the
log live, batches are small and the write stays on the calling thread, so a runner
holds no more pooled connections at once than the reader's and its own. Far behind, it
also reads bigger pages (REBUILD_BATCH_SIZE: counters add up over more events, fewer rows
to write) and pauses Python's cyclic garbage collector, whose full passes over the
views' growing memory of members and coupons cost more the longer the log (a third of
a 1M-event catch-up's time before it was paused). A rebuild also creates the views'
secondary indexes after the last batch, in one sort each, instead of updating them
row by row.
"""

from __future__ import annotations

import gc
import time
from bisect import bisect_right
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from contextlib import ExitStack, contextmanager, nullcontext
from dataclasses import dataclass
from typing import Any

from eventsourcing.application import Application
from eventsourcing.persistence import IntegrityError, Tracking

from projections.decoding import reading_mapper
from projections.sql import Database, Sql, tracking_recorder
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
        *,
        freeze_after_catch_up: bool = False,
    ) -> None:
        self.app = app
        self.freeze_after_catch_up = freeze_after_catch_up  # (see collector_paused)
        self.views = list(views)
        self.batch_size = batch_size
        self.rebuild_batch_size = rebuild_batch_size
        self.db = Database(tracking_recorder(app))
        self.mapper = reading_mapper(app.mapper)
        self.ahead: tuple[int, Future[Page]] | None = None  # (its start, the page read ahead)
        self.writing: Future[None] | None = None  # the batch being written
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
        """Process everything in the log now; returns how many notifications were read.

        When it returns, every batch it read is written (rows and tracking committed).
        Far behind (a rebuild's page or more), it replays as a rebuild does: bigger
        pages, and Python's cyclic garbage collector paused.
        """
        positions = self.positions()
        behind = (self.app.recorder.max_notification_id() or 0) - min(positions.values())
        if behind < self.rebuild_batch_size:
            return self.follow(positions, progress, writing_aside=False)
        live_batch_size, self.batch_size = self.batch_size, self.rebuild_batch_size
        try:
            with collector_paused(keep_frozen=self.freeze_after_catch_up):
                return self.follow(positions, progress, writing_aside=True)
        finally:
            self.batch_size = live_batch_size

    def follow(
        self, positions: dict[str, int], progress: Progress | None, writing_aside: bool
    ) -> int:
        """Batches from `positions` until the head of the log; `writing_aside`, each one's
        rows are written on a thread of their own while the next is handled."""
        total = 0
        try:
            with (
                ThreadPoolExecutor(1, thread_name_prefix="projection-reader") as reader,
                ThreadPoolExecutor(1, thread_name_prefix="projection-writer")
                if writing_aside
                else nullcontext() as writer,
            ):
                while True:
                    try:
                        read, positions, head = self.advance(positions, reader, writer)
                        if read == 0:
                            self.settle()
                            return total
                    except Overtaken as overtaken:
                        positions = self.positions()
                        if positions == overtaken.started_from:
                            raise  # nobody moved a view on: a view's own rows collided (a bug)
                        self.ahead = None
                        continue  # another runner moved a view on: go on from there
                    total += read
                    if progress:
                        progress(min(positions.values()), head)
        finally:
            self.ahead = self.writing = None  # (after a failure: nothing stale for the next call)

    def step(self) -> tuple[int, int, int]:
        """One batch, handled and written now: (notifications read, position reached, head)."""
        read, positions, head = self.advance(self.positions())
        return read, min(positions.values()), head

    def advance(
        self,
        positions: dict[str, int],
        reader: Executor | None = None,
        writer: Executor | None = None,
    ) -> tuple[int, dict[str, int], int]:
        """Hand the next batch to the views behind it and write their rows: (notifications
        read, the views' positions once written, head of the log).

        With a `reader`, the batch after is read and decoded on it meanwhile. With a
        `writer`, the rows are written on it while the caller goes on; the batch before is
        written before this one's write starts. A write fails (`Overtaken`) when another
        runner moved a view on first.
        """
        start = min(positions.values())
        head = self.app.recorder.max_notification_id() or 0
        if start >= head:
            return 0, positions, head
        page = self.page_after(start, head)
        if reader is not None and page.end < head:
            self.ahead = (page.end, reader.submit(self.read, page.end, head))
        behind = [view for view in self.views if positions[view.name] < page.end]
        with Lookups(self.db, self.settle) as lookups:
            batches = [
                (view, self.handled(view, page, positions[view.name], lookups)) for view in behind
            ]
        self.settle()
        if writer is None:
            self.write(batches, page.end, positions)
        else:
            self.writing = writer.submit(self.write, batches, page.end, positions)
        return len(page.ids), {**positions, **{view.name: page.end for view in behind}}, head

    @staticmethod
    def handled(view: View, page: Page, position: int, lookups: Lookups) -> Batch:
        """The view's writes for the page's events after its position."""
        batch = Batch(lookups, view.shape_of)
        view.handle(page.events[bisect_right(page.ids, position) :], batch)
        return batch

    def write(self, batches: list[tuple[View, Batch]], end: int, positions: dict[str, int]) -> None:
        """The batches' rows and the views' new tracking positions, in one transaction."""
        try:
            with self.db.transaction(commit=True) as sql:
                self.db.take_write_lock(sql)
                with self.db.pipeline(sql):
                    for _, batch in batches:
                        batch.flush(sql)
                for view, _ in batches:
                    self.db.tracking._insert_tracking(sql.cursor, Tracking(view.name, end))
        except IntegrityError as collision:
            raise Overtaken(positions) from collision

    def settle(self) -> None:
        """Wait for the write in flight, if any; its error is raised here."""
        writing, self.writing = self.writing, None
        if writing is not None:
            writing.result()

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
        read = self.run_once(progress)
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


class Overtaken(IntegrityError):
    """A write collided: another runner moved a view on (or, if none did, a bug)."""

    def __init__(self, started_from: dict[str, int]) -> None:
        super().__init__("a view's batch collided with rows already written")
        self.started_from = started_from  # the views' positions the write started from


class Lookups:
    """The handlers' reads while a batch is handled: they wait for the write in flight
    (`settle`), so they see every batch before this one, then share one transaction."""

    def __init__(self, db: Database, settle: Callable[[], None]) -> None:
        self.db = db
        self.settle = settle
        self.opened = ExitStack()  # the lookups' transaction, once the first one is made
        self.sql: Sql | None = None

    def __enter__(self) -> Lookups:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.opened.close()

    def rows(self, text: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        if self.sql is None:
            self.settle()
            self.sql = self.opened.enter_context(self.db.transaction(commit=False))
        return self.sql.rows(text, params)

    value = Sql.value  # (the first column of the first row, through `rows` above)


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
def collector_paused(*, keep_frozen: bool = False) -> Iterator[None]:
    """Python's cyclic garbage collector off (what exists now frozen) for a while.

    `keep_frozen`: afterwards, collect once and freeze what survives too, for good. For
    a process whose views just caught up: what they remember of members and coupons is
    most of what it holds, and lives as long as it does. A full pass over a 1M-event
    log's views took 150-180 ms, a stall of every thread; frozen, it is skipped. Frozen
    objects that later become cyclic garbage are never freed, so this is only for a
    process of its own (`lianjie project`), never a thread of the API.
    """
    gc.freeze()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
        if keep_frozen:
            gc.collect()
            gc.freeze()
        else:
            gc.unfreeze()
