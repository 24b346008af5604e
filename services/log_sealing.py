"""`lianjie seal-log`: seal the personal fields of events stored in clear before sealing existed.

Why stored events are rewritten in place: a PIPL erasure deletes a member's keys, which
reaches only data sealed under them; an event stored in clear would give the openid,
phone or message text back on every replay, and a sealed copy of the log would leave the
clear original behind. So the stored state of such an event (or of one whose fields were
declared personal after it was stored) becomes what the sealing mapper writes today, or,
for a member erased already, its personal fields reading ERASED, with no new key that
would bring them back. The event's meaning, id, version and log position do not change,
so aggregates, views and their tracking stay valid. Sealed events are skipped and each
page is committed on its own: a run can be stopped and started again.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Annotated, Any
from uuid import UUID

import typer
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import ApplicationRecorder, Mapper, Notification
from eventsourcing.utils import get_topic
from rich.console import Console
from rich.progress import MofNCompleteColumn, Progress

import domain
from domain.member import Member
from domain.personal import ERASED
from services.app import Lianjie
from services.app.privacy import with_state
from services.bootstrap import bootstrap
from services.settings import Settings

PAGE_SIZE = 5_000
console = Console()


@dataclass(frozen=True)
class SealingRun:
    """What a run did: personal events read up to log position `head`, and how many changed."""

    head: int
    read: int
    sealed: int
    blanked: int  # of members erased already: their fields now read ERASED
    seconds: float

    def summary(self) -> str:
        rate = self.read / self.seconds if self.seconds else 0
        counts = (
            f"{self.read:,} personal events up to position {self.head:,} in "
            f"{self.seconds:.1f} s ({rate:,.0f} events/s)"
        )
        if not self.sealed + self.blanked:
            return f"nothing left in clear: {counts}, all sealed already"
        return f"sealed {self.sealed:,}, blanked {self.blanked:,} of erased members; read {counts}"


def personal_event_topics() -> list[str]:
    """The topics of every domain event class that declares personal data."""
    topics = []
    for found in pkgutil.iter_modules(domain.__path__):
        module = importlib.import_module(f"{domain.__name__}.{found.name}")
        for aggregate in vars(module).values():
            if is_class_of(aggregate, Aggregate) and aggregate.__module__ == module.__name__:
                topics += [
                    get_topic(event)
                    for event in vars(aggregate).values()
                    if is_class_of(event, Aggregate.Event) and hasattr(event, "personal_data")
                ]
    return sorted(topics)


def is_class_of(value: Any, base: type) -> bool:
    return inspect.isclass(value) and issubclass(value, base)


class ErasedMembers:
    """The members with `Member.Erased` in the log, caught up as the log grows."""

    topics = (get_topic(Member.Erased),)

    def __init__(self, recorder: ApplicationRecorder) -> None:
        self.recorder = recorder
        self.position = 0
        self.ids: set[UUID] = set()

    def catch_up(self) -> set[UUID]:
        """Read the erasures recorded since the last look; the members newly found erased."""
        head = self.recorder.max_notification_id() or 0
        pages = paged(self.recorder, self.position, head, self.topics, PAGE_SIZE)
        found = {n.originator_id for page, _ in pages for n in page} - self.ids
        self.position = head
        self.ids |= found
        return found


def paged(
    recorder: ApplicationRecorder, after: int, head: int, topics: Sequence[str], size: int
) -> Iterator[tuple[Sequence[Notification], int]]:
    """The notifications of these topics after `after` up to `head`, a page at a time,
    each with the position read up to."""
    while after < head:
        page = recorder.select_notifications(after + 1, size, stop=head, topics=topics)
        after = page[-1].id if len(page) == size else head
        yield page, after


def in_clear(stored: Any) -> bool:
    """Whether any personal field is in the stored state in clear (neither sealed nor
    erased): all of them before sealing existed, those declared later beside `_sealed`."""
    state = vars(stored)
    return any(
        name in state and state[name] != ERASED for name in type(stored).personal_data.fields
    )


def reads_erased(event: Any) -> bool:
    return all(vars(event)[name] == ERASED for name in type(event).personal_data.fields)


def blanked(event: Any) -> Any:
    """The event with its personal fields reading ERASED, as a sealed one reads once erased."""
    return with_state(event, vars(event) | dict.fromkeys(type(event).personal_data.fields, ERASED))


class LogSealer:
    """Rewrites the personal events stored in clear, page by page, one transaction each."""

    def __init__(self, app: Lianjie, page_size: int = PAGE_SIZE) -> None:
        self.app = app
        self.page_size = page_size
        self.plain = Mapper(app.mapper.transcoder, app.mapper.compressor, app.mapper.cipher)
        self.erased = ErasedMembers(app.recorder)
        self.rewrite = (
            f"UPDATE {app.recorder.events_table_name} SET state = %s "
            "WHERE originator_id = %s AND originator_version = %s"
        )

    def run(self, progress: Callable[[int, int], None] = lambda position, head: None) -> SealingRun:
        started = time.perf_counter()
        recorder, topics = self.app.recorder, personal_event_topics()
        head = recorder.max_notification_id() or 0
        read, done = 0, Counter[str]()
        for page, position in paged(recorder, 0, head, topics, self.page_size):
            done += self.seal(page)
            read += len(page)
            progress(position, head)
        seconds = time.perf_counter() - started
        return SealingRun(head, read, done["sealed"], done["blanked"], seconds)

    def seal(self, page: Sequence[Notification]) -> Counter[str]:
        """Seal (or blank) the page's events stored in clear; commit them together."""
        self.erased.catch_up()
        events = [
            self.app.mapper.to_domain_event(n)  # whole: a part sealed already is opened
            for n in page
            if in_clear(self.plain.to_domain_event(n))
        ]
        subjects = [self.subject_of(e) for e in events]
        keyed = set(subjects) - self.erased.ids - {None}
        self.app.personal_data.prepare(keyed)
        rewritten = [
            self.app.mapper.sealed(e, s) if s in keyed else self.plain.to_stored_event(blanked(e))
            for e, s in zip(events, subjects, strict=True)
        ]
        if rewritten:
            rows = [(e.state, e.originator_id.hex, e.originator_version) for e in rewritten]
            with self.app.personal_data.db.transaction(commit=True) as sql:
                sql.run_many(self.rewrite, rows)
        # A member erased while this page was sealed may have been given a key after the
        # erasure deleted theirs: erasing again deletes it.
        for member in self.erased.catch_up() & keyed:
            self.app.personal_data.erase(member)
        sealed = sum(s in keyed for s in subjects)
        return Counter(sealed=sealed, blanked=len(events) - sealed)

    def subject_of(self, event: Any) -> UUID | None:
        """The member whose personal data the event holds, None when that cannot be told
        any more (the event is blanked). An event that names no member (an inbox message
        from before v2) holds the data of whoever its aggregate's first event names."""
        named = type(event).personal_data.subject(event)
        if named is not None or event.originator_version == 1:
            return named
        (first,) = self.app.recorder.select_events(event.originator_id, lte=1)
        created = self.app.mapper.to_domain_event(first)
        return None if reads_erased(created) else type(created).personal_data.subject(created)


def seal_log_command(
    page: Annotated[
        int, typer.Option(min=1, help="Events read and committed together.")
    ] = PAGE_SIZE,
) -> None:
    """Seal the personal fields of events stored in clear before sealing existed (PIPL)."""
    application = bootstrap(Settings())
    try:
        columns = (*Progress.get_default_columns(), MofNCompleteColumn())
        with Progress(*columns, console=console) as progress:
            task = progress.add_task("sealing personal events stored in clear", total=None)

            def advance(position: int, head: int) -> None:
                progress.update(task, completed=position, total=head)

            done = LogSealer(application, page).run(advance)
    finally:
        application.close()
    console.print(done.summary())


def register(app: typer.Typer) -> None:
    app.command("seal-log")(seal_log_command)
