"""What every use case shares: clock, rules, loading by id, conflict retries, idempotency."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextvars import ContextVar
from dataclasses import fields
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TypeVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application, Recording
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError, Notification
from eventsourcing.utils import get_topic

from domain.errors import DomainError, NotFound
from services.app.idempotency import IdempotencyRecord
from services.app.rules import BusinessRules

if TYPE_CHECKING:
    from services.app.coalescing import CoalescingWriter

A = TypeVar("A", bound=Aggregate)
R = TypeVar("R")
Clock = Callable[[], datetime]
MAX_CONFLICT_RETRIES = 200
# Set by a caller (the HTTP layer, per request) to a list that collects the log positions
# of every save made on its behalf, whichever thread the work runs in.
REQUEST_WRITES: ContextVar[list[int] | None] = ContextVar("lianjie_request_writes", default=None)


def fields_of(answer: Any) -> dict[str, Any]:
    """A flat answer dataclass as a dict (`asdict` deep-copies every value: too slow here)."""
    return {f.name: getattr(answer, f.name) for f in fields(answer)}


def utc_now() -> datetime:
    return datetime.now(UTC)


class ConflictPersisted(Exception):
    """A command kept losing optimistic-concurrency races; nothing was saved."""


class AppBase(Application):
    """The eventsourcing application every use-case mixin builds on."""

    name = "Lianjie"

    def __init__(
        self,
        env: Mapping[str, str] | None = None,
        *,
        rules: BusinessRules | None = None,
        clock: Clock = utc_now,
    ) -> None:
        super().__init__(env)
        self.rules = rules or BusinessRules()
        self.clock = clock
        self.written = threading.local()
        # Set by the composition root when keyed commands share transactions.
        self.writer: CoalescingWriter | None = None

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        super().close()

    def save(self, *objs: Any, **kwargs: Any) -> list[Recording]:
        recordings = super().save(*objs, **kwargs)
        if recordings:
            self.note_position(max(r.notification.id for r in recordings))
        return recordings

    def note_position(self, position: int) -> None:
        """Remember a log position written on this thread's (and request's) behalf."""
        self.written.position = position
        if (request := REQUEST_WRITES.get()) is not None:
            request.append(position)

    def last_position(self) -> int:
        """The log position of this thread's last save: read models that reach it show it."""
        return getattr(self.written, "position", 0)

    def now(self) -> datetime:
        return self.clock()

    def load(self, cls: type[A], aggregate_id: UUID, not_found: type[NotFound]) -> A:
        """The aggregate with this id, or the domain's not-found error."""
        try:
            aggregate = self.get_aggregate(aggregate_id)
        except AggregateNotFoundError:
            raise not_found(f"no {cls.__name__.lower()} {aggregate_id}") from None
        if not isinstance(aggregate, cls):
            raise not_found(f"no {cls.__name__.lower()} {aggregate_id}")
        return aggregate

    def maybe(self, cls: type[A], aggregate_id: UUID) -> A | None:
        """The aggregate with this id, or None when there is none (one read either way)."""
        try:
            aggregate = self.get_aggregate(aggregate_id)
        except AggregateNotFoundError:
            return None
        return aggregate if isinstance(aggregate, cls) else None

    def exists(self, aggregate_id: UUID) -> bool:
        try:
            self.get_aggregate(aggregate_id)
        except AggregateNotFoundError:
            return False
        return True

    def get_aggregate(self, aggregate_id: UUID) -> Any:
        """The aggregate with this id; on the writer, as the batch it decides has left it."""
        working_set = self.writer.working_set() if self.writer is not None else None
        if working_set is not None:
            return working_set.get(aggregate_id)
        return self.repository.get(aggregate_id)

    def retrying(self, attempt: Callable[[], R]) -> R:
        """Run `attempt` again when it loses a version race; rules are re-checked each time."""
        for tries in range(MAX_CONFLICT_RETRIES):
            try:
                return attempt()
            except IntegrityError:
                time.sleep(random.uniform(0, 0.002 * min(tries + 1, 10)))
        raise ConflictPersisted(f"gave up after {MAX_CONFLICT_RETRIES} conflicting attempts")

    def once(
        self,
        scope: str,
        key: str | None,
        answer_type: Callable[..., R],
        decide: Callable[[], tuple[R, list[Aggregate]]],
        *,
        coalesce: bool = False,
        reads: Iterable[UUID] = (),
    ) -> R:
        """Run a command at most once per (scope, key); a repeat returns the first answer.

        `decide` checks the rules and returns the answer with the aggregates to save;
        the answer is recorded in the same transaction as the command's events. With
        `coalesce`, the command shares its transaction with concurrent ones (the writer),
        which loads the aggregates named in `reads` for the whole batch at once.
        """
        if coalesce and self.writer is not None and self.writer.accepts():
            return self.through_writer(scope, key, answer_type, decide, reads)

        def attempt() -> R:
            answer, aggregates = self.decide_once(scope, key, answer_type, decide)
            if aggregates:
                self.save(*aggregates)
            return answer

        return self.retrying(attempt)

    def through_writer(
        self,
        scope: str,
        key: str | None,
        answer_type: Callable[..., R],
        decide: Callable[[], tuple[R, list[Aggregate]]],
        reads: Iterable[UUID],
    ) -> R:
        assert self.writer is not None
        answer, position = self.writer.submit(scope, key, answer_type, decide, reads)
        if position is not None:
            self.note_position(position)
        return answer

    def decide_once(
        self,
        scope: str,
        key: str | None,
        answer_type: Callable[..., R],
        decide: Callable[[], tuple[R, list[Aggregate]]],
    ) -> tuple[R, list[Aggregate]]:
        """The answer and the aggregates to save; for a repeated key, the first answer alone."""
        if key is None:
            return decide()
        first = self.first_answer(scope, key, answer_type)
        if first is not None:
            return first, []
        try:
            answer, aggregates = decide()
        except DomainError:
            # A twin request with this key may have won between our look and our
            # decision: its effects now refuse us, but its answer is the one to give.
            first = self.first_answer(scope, key, answer_type)
            if first is None:
                raise
            return first, []
        return answer, [*aggregates, IdempotencyRecord.record(scope, key, fields_of(answer))]

    def first_answer(self, scope: str, key: str, answer_type: Callable[..., R]) -> R | None:
        try:
            record: IdempotencyRecord = self.get_aggregate(IdempotencyRecord.id_for(scope, key))
        except AggregateNotFoundError:
            return None
        return answer_type(**record.answer)

    def logged(self, event_class: type) -> Iterator[Any]:
        """Every event of this class in the log, oldest first (a scan: for reports)."""
        for notification in self.notifications_of(event_class):
            yield self.mapper.to_domain_event(notification)

    def count_events(self, event_class: type) -> int:
        """How many events of this class the log holds (a scan: for reports, not tills)."""
        return sum(1 for _ in self.notifications_of(event_class))

    def notifications_of(self, event_class: type, page: int = 1000) -> Iterator[Notification]:
        topic, start = get_topic(event_class), None
        while notifications := self.recorder.select_notifications(
            start, page, topics=[topic], inclusive_of_start=start is None
        ):
            yield from notifications
            start = notifications[-1].id

    def update(self, load: Callable[[], A], command: Callable[[A], object]) -> A:
        """Load one aggregate, run a command on it and save; again on a version conflict."""

        def attempt() -> A:
            aggregate = load()
            command(aggregate)
            self.save(aggregate)
            return aggregate

        return self.retrying(attempt)
