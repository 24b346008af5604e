"""Coalesced writes: concurrent commands share one transaction.

eventsourcing's PostgreSQL recorder locks the events table for every insert transaction,
so one transaction per command caps writes near 500-700 commands/s. The writer runs on a
thread of its own: callers hand it keyed commands (a `decide` function with its
idempotency scope and key, as `AppBase.once` takes them) and wait, bounded, for the
answer. It gathers the commands that arrive within a short window (up to a bounded
batch), decides them in order against one working set of aggregates, so commands of a
batch that touch the same aggregate see each other's effects, and saves every event of
the batch, with the idempotency records, in one `save`.

- A refused command (DomainError) gets its error; any event it triggered is undone, so
  its neighbours are saved as if it had never run.
- Aggregates come from the writer's own cache, brought up to date from the log before
  every batch (one query however large the batch). A stale entry can only make the
  shared save fail on a version conflict: the log is then read again, the commands that
  touched an aggregate that moved (and the later ones that touched what those touched)
  are decided again in a batch of their own, and the others are saved as decided. A
  conflict the log does not explain sends each command through `once`, one transaction
  each. Other processes, each with a writer, stay correct the same way.
"""

from __future__ import annotations

import queue
import threading
import time
from collections import OrderedDict, defaultdict
from collections.abc import Callable, Iterable
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError, Notification, StoredEvent
from eventsourcing.postgres import PostgresAggregateRecorder
from psycopg.sql import SQL, Identifier

from services.app.base import REQUEST_WRITES, ConflictPersisted
from services.app.idempotency import IdempotencyRecord

if TYPE_CHECKING:
    from services.app.base import AppBase

ANSWER_TIMEOUT_SECONDS = 30.0
LOG_PAGE = 1000
MAX_PAGES_BEHIND = 20  # further behind than this, the cache starts afresh
MAX_BATCH_ATTEMPTS = 3
# One insert of much more than this hangs: psycopg's pipeline mode deadlocks on large
# messages (psycopg#685), at about 1,100 coupon events here.
MAX_BATCH_EVENTS = 400


class WriterBusy(ConflictPersisted):
    """The writer did not answer in time."""


class Collision(Exception):
    """A command created an aggregate that an earlier command of its batch holds."""


@dataclass(eq=False)
class Command:
    """One keyed command waiting for its batch, and what deciding it did."""

    scope: str
    key: str | None
    answer_type: Callable[..., Any]
    decide: Callable[[], tuple[Any, list[Aggregate]]]
    reads: tuple[UUID, ...] = ()
    outcome: Future = field(default_factory=Future)
    touched: set[UUID] = field(default_factory=set)
    events: list[Any] = field(default_factory=list)
    answer: Any = None
    error: Exception | None = None

    def prefetch(self) -> tuple[UUID, ...]:
        """The aggregates deciding will read (when known in advance)."""
        if self.key is None:
            return self.reads
        return (*self.reads, IdempotencyRecord.id_for(self.scope, self.key))

    def forget(self) -> None:
        self.touched, self.events, self.answer, self.error = set(), [], None, None

    def settle(self, position: int | None) -> None:
        if self.error is not None:
            self.outcome.set_exception(self.error)
        else:
            self.outcome.set_result((self.answer, position if self.events else None))

    def fail(self, error: BaseException) -> None:
        if not self.outcome.done():
            self.outcome.set_exception(error)

    def wait(self) -> tuple[Any, int | None]:
        """The answer and the log position of its batch; bounded, never hangs."""
        try:
            return self.outcome.result(timeout=ANSWER_TIMEOUT_SECONDS)
        except TimeoutError:
            if self.outcome.cancel():
                raise WriterBusy("the writer is overloaded; nothing was saved") from None
            raise WriterBusy("no answer in time; retry with the same key") from None


class FreshCache:
    """The writer's aggregates (and ids known to be absent), kept up to date from the log."""

    def __init__(self, app: AppBase, maxsize: int) -> None:
        self.app = app
        self.maxsize = max(maxsize, 1)
        self.entries: OrderedDict[UUID, Aggregate | None] = OrderedDict()
        self.position: int | None = None

    def get(self, aggregate_id: UUID) -> Aggregate | None:
        """The aggregate as of the last catch-up or later; None when it does not exist."""
        if aggregate_id in self.entries:
            self.entries.move_to_end(aggregate_id)
            return self.entries[aggregate_id]
        aggregate = self.load(aggregate_id)
        self.put(aggregate_id, aggregate)
        return aggregate

    def prefetch(self, aggregate_ids: Iterable[UUID]) -> None:
        """Load the aggregates not cached yet, all in one query."""
        missing = list({i for i in aggregate_ids if i not in self.entries})
        if not missing:
            return
        events = defaultdict(list)
        for stored in select_many(self.app.recorder, missing):
            events[stored.originator_id].append(self.app.mapper.to_domain_event(stored))
        for aggregate_id in missing:
            self.put(aggregate_id, folded(None, events[aggregate_id]))

    def load(self, aggregate_id: UUID, version: int | None = None) -> Aggregate | None:
        return folded(None, self.app.events.get(aggregate_id, lte=version))

    def put(self, aggregate_id: UUID, aggregate: Aggregate | None) -> None:
        self.entries[aggregate_id] = aggregate
        self.entries.move_to_end(aggregate_id)
        if len(self.entries) > self.maxsize:
            self.entries.popitem(last=False)

    def evict(self, aggregate_ids: Iterable[UUID]) -> None:
        for aggregate_id in aggregate_ids:
            self.entries.pop(aggregate_id, None)

    def catch_up(self) -> set[UUID] | None:
        """Apply what the log gained since the last look: the ids it changed (None: unknown)."""
        recorder = self.app.recorder
        if self.position is None:
            self.start_afresh()
            return None
        changed: set[UUID] = set()
        for _ in range(MAX_PAGES_BEHIND):
            page = recorder.select_notifications(self.position, LOG_PAGE, inclusive_of_start=False)
            for notification in page:
                changed.add(notification.originator_id)
                self.advance(notification)
            if page:
                self.position = page[-1].id
            if len(page) < LOG_PAGE:
                return changed
        self.start_afresh()  # too far behind to replay cheaply
        return None

    def start_afresh(self) -> None:
        """Forget everything; what is loaded from now on is at least as new as the log head."""
        self.entries.clear()
        self.position = self.app.recorder.max_notification_id() or 0

    def advance(self, notification: Notification) -> None:
        aggregate_id = notification.originator_id
        if aggregate_id not in self.entries:
            return
        cached = self.entries[aggregate_id]
        version = cached.version if cached is not None else 0
        if notification.originator_version == version + 1:
            event = self.app.mapper.to_domain_event(notification)
            self.entries[aggregate_id] = event.mutate(cached)
        elif notification.originator_version > version:
            del self.entries[aggregate_id]  # a gap: load it afresh when next needed


def folded(aggregate: Aggregate | None, events: Iterable[Any]) -> Aggregate | None:
    """The aggregate with these events applied (the library's projector, without its
    per-event protocol check, which costs tens of microseconds on Python 3.11)."""
    for event in events:
        aggregate = event.mutate(aggregate)
    return aggregate


def select_many(recorder: Any, aggregate_ids: list[UUID]) -> list[StoredEvent]:
    """Every stored event of these aggregates: in one query on PostgreSQL."""
    if not isinstance(recorder, PostgresAggregateRecorder):
        return [event for i in aggregate_ids for event in recorder.select_events(i)]
    statement = SQL(
        "SELECT originator_id, originator_version, topic, state FROM {}.{}"
        " WHERE originator_id = ANY(%s::uuid[]) ORDER BY originator_id, originator_version"
    ).format(Identifier(recorder.datastore.schema), Identifier(recorder.events_table_name))
    ids_literal = "{" + ",".join(map(str, aggregate_ids)) + "}"  # far cheaper than a list dump
    with recorder.datastore.get_connection() as conn, conn.cursor() as curs:
        curs.execute(statement, (ids_literal,), prepare=True)
        return [
            StoredEvent(
                row["originator_id"], row["originator_version"], row["topic"], bytes(row["state"])
            )
            for row in curs.fetchall()
        ]


class WorkingSet:
    """The aggregates one batch reads and changes, as its commands leave them."""

    def __init__(self, cache: FreshCache) -> None:
        self.cache = cache
        self.aggregates: dict[UUID, Aggregate | None] = {}
        self.base_versions: dict[UUID, int | None] = {}
        self.history: dict[UUID, list[Any]] = {}
        self.command: Command | None = None

    def get(self, aggregate_id: UUID) -> Aggregate:
        if aggregate_id not in self.aggregates:
            aggregate = self.cache.get(aggregate_id)
            self.aggregates[aggregate_id] = aggregate
            self.base_versions[aggregate_id] = aggregate.version if aggregate else None
        if self.command is not None:
            self.command.touched.add(aggregate_id)
        aggregate = self.aggregates[aggregate_id]
        if aggregate is None:
            raise AggregateNotFoundError(aggregate_id)
        return aggregate

    def decide(self, command: Command, decide_once: Callable[..., tuple[Any, list]]) -> None:
        """Run one command; keep its events, or undo what it did when it fails."""
        self.command = command
        try:
            command.answer, changed = decide_once(
                command.scope, command.key, command.answer_type, command.decide
            )
            self.keep(command, changed)
        except Exception as error:
            command.error = error
        finally:
            self.command = None
            self.undo_unsaved(command)

    def keep(self, command: Command, changed: list[Aggregate]) -> None:
        unique = list({id(a): a for a in changed}.values())
        for aggregate in unique:
            held = self.aggregates.get(aggregate.id)
            if held is not None and held is not aggregate:
                raise Collision(f"aggregate {aggregate.id} is created twice in one batch")
        for aggregate in unique:
            self.aggregates[aggregate.id] = aggregate
            self.base_versions.setdefault(aggregate.id, None)
            command.touched.add(aggregate.id)
            events = aggregate.collect_events()
            command.events.extend(events)
            self.history.setdefault(aggregate.id, []).extend(events)

    def undo_unsaved(self, command: Command) -> None:
        """Aggregates with events that will not be saved go back to their state before."""
        for aggregate_id in command.touched:
            aggregate = self.aggregates.get(aggregate_id)
            if aggregate is not None and aggregate.pending_events:
                self.rebuild(aggregate_id)

    def rebuild(self, aggregate_id: UUID) -> None:
        base_version = self.base_versions[aggregate_id]
        base = self.cache.load(aggregate_id, base_version) if base_version else None
        self.aggregates[aggregate_id] = folded(base, self.history.get(aggregate_id, []))


class CoalescingWriter:
    """Decides concurrent commands in batches on one thread and saves each batch at once."""

    def __init__(self, app: AppBase, window_seconds: float, max_batch: int, cache_size: int):
        self.app = app
        self.window_seconds = window_seconds
        self.max_batch = max_batch
        self.cache = FreshCache(app, cache_size)
        self.queue: queue.SimpleQueue[Command | None] = queue.SimpleQueue()
        self.local = threading.local()
        self.closed = False
        self.thread = threading.Thread(target=self.run, name="lianjie-writer", daemon=True)
        self.thread.start()

    def accepts(self) -> bool:
        """Whether a caller may hand commands over (not when closed or on the writer itself)."""
        return not self.closed and threading.current_thread() is not self.thread

    def submit(
        self,
        scope: str,
        key: str | None,
        answer_type: Callable[..., Any],
        decide: Callable[[], tuple[Any, list[Aggregate]]],
        reads: Iterable[UUID] = (),
    ) -> tuple[Any, int | None]:
        """Decide and save a command with its batch: its answer and the batch's log position."""
        command = Command(scope, key, answer_type, decide, tuple(reads))
        self.queue.put(command)
        return command.wait()

    def working_set(self) -> WorkingSet | None:
        """The batch being decided, when called from the writer while it decides one."""
        return getattr(self.local, "working_set", None)

    def close(self) -> None:
        self.closed = True
        self.queue.put(None)
        self.thread.join(timeout=ANSWER_TIMEOUT_SECONDS)

    def run(self) -> None:
        while (commands := self.gather()) is not None:
            live = [c for c in commands if c.outcome.set_running_or_notify_cancel()]
            try:
                self.run_batches(live)
            except Exception as error:
                self.cache.position = None  # its entries may hold unsaved events
                for command in live:
                    command.fail(error)
        self.refuse_waiting()

    def gather(self) -> list[Command] | None:
        """The next batch: what is queued, then what arrives within the window; None to stop."""
        first = self.queue.get()
        if first is None:
            return None
        commands = [first]
        deadline = time.monotonic() + self.window_seconds
        while len(commands) < self.max_batch:
            try:
                command = self.queue.get(timeout=max(deadline - time.monotonic(), 0))
            except queue.Empty:
                break
            if command is None:
                self.queue.put(None)  # stop after this batch
                break
            commands.append(command)
        return commands

    def refuse_waiting(self) -> None:
        while True:
            try:
                command = self.queue.get_nowait()
            except queue.Empty:
                return
            if command is not None:
                command.fail(WriterBusy("the application is closing"))

    def run_batches(self, commands: list[Command], attempt: int = 1) -> None:
        while commands:
            commands = self.run_batch(commands, attempt)

    def run_batch(self, commands: list[Command], attempt: int) -> list[Command]:
        """Decide and save the commands that fit one transaction; those left over."""
        self.cache.catch_up()
        self.cache.prefetch(i for command in commands for i in command.prefetch())
        working_set, left_over = self.decide_all(commands)
        deferred = [c for c in commands if isinstance(c.error, Collision)]
        decided = [c for c in commands if c not in deferred and c not in left_over]
        try:
            position = self.save(decided)
        except IntegrityError:
            self.cache.evict(working_set.aggregates)
            self.resolve_conflict(decided, attempt)
        else:
            for aggregate_id, aggregate in working_set.aggregates.items():
                self.cache.put(aggregate_id, aggregate)
            for command in decided:
                command.settle(position)
        self.run_alone(deferred)
        return left_over

    def decide_all(self, commands: list[Command]) -> tuple[WorkingSet, list[Command]]:
        """Decide commands in order until the transaction holds MAX_BATCH_EVENTS events."""
        working_set, events = WorkingSet(self.cache), 0
        self.local.working_set = working_set
        try:
            for index, command in enumerate(commands):
                if events >= MAX_BATCH_EVENTS:
                    return working_set, commands[index:]
                command.forget()
                working_set.decide(command, self.app.decide_once)
                events += len(command.events)
        finally:
            self.local.working_set = None
        return working_set, []

    def save(self, commands: list[Command]) -> int | None:
        events = [event for command in commands for event in command.events]
        if not events:
            return None
        # Straight to the event store: `Application.save` checks every event against a
        # runtime protocol (tens of microseconds each on Python 3.11), and its hooks (the
        # operator audit) read the caller's request context, which this thread has not.
        recordings = self.app.events.put(events)
        return max(r.notification.id for r in recordings)

    def resolve_conflict(self, commands: list[Command], attempt: int) -> None:
        """Save the commands the conflict did not touch; decide the others again."""
        moved = self.cache.catch_up()
        tainted = self.tainted(commands, moved or set())
        if not tainted or attempt >= MAX_BATCH_ATTEMPTS:
            self.run_alone(commands)
            return
        clean = [c for c in commands if c not in tainted]
        try:
            position = self.save(clean)
        except IntegrityError:
            self.run_alone(clean)
        else:
            for command in clean:
                command.settle(position)
        self.run_batches(tainted, attempt + 1)

    @staticmethod
    def tainted(commands: list[Command], moved: set[UUID]) -> list[Command]:
        """Commands that touched a moved aggregate, or one that such a command changed."""
        dirty, tainted = set(moved), []
        for command in commands:
            if command.touched & dirty:
                tainted.append(command)
                dirty |= {event.originator_id for event in command.events}
        return tainted

    def run_alone(self, commands: list[Command]) -> None:
        """Each command in a transaction of its own, retried on conflicts like any other."""
        for command in commands:
            writes: list[int] = []
            token = REQUEST_WRITES.set(writes)
            try:
                answer = self.app.once(
                    command.scope, command.key, command.answer_type, command.decide
                )
            except Exception as error:
                command.fail(error)
            else:
                command.outcome.set_result((answer, max(writes, default=None)))
            finally:
                REQUEST_WRITES.reset(token)
