"""Push: an operator's text or article for one segment of followers, sent when due.

When due, the segment is expanded and one outbound message is queued per member
under the key `push:<push_id>:<member_id>`. The members queued are recorded on the
push in the same transaction as their messages, so an expansion that stops half-way
resumes with the rest and nobody is queued twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID, uuid4

from eventsourcing.domain import Aggregate

from domain.errors import DomainError, InvalidInput, NotFound
from domain.outbound_content import check_content

PUSH_KINDS = ("text", "news")


class PushNotFound(NotFound):
    """No push has this id."""

    slug = "push-not-found"
    title = "Push not found"


class PushNotSchedulable(DomainError):
    """Only a draft or scheduled push can be (re)scheduled."""

    slug = "push-not-schedulable"
    title = "Push cannot be scheduled"


class PushCancelled(DomainError):
    """The push was cancelled."""

    slug = "push-cancelled"
    title = "Push cancelled"


class PushNotDue(DomainError):
    """The push is not scheduled, or its time has not come."""

    slug = "push-not-due"
    title = "Push not due"


@dataclass(frozen=True)
class Segment:
    """Who a push is for: members with all these tags, in a region, of a store, active since."""

    tags: tuple[str, ...] = ()
    region: str | None = None
    store_id: UUID | None = None
    active_since: datetime | None = None


class Push(Aggregate):
    """A targeted message: composed, scheduled, dispatched once per member, cancellable."""

    class Composed(Aggregate.Created):
        title: str
        kind: str
        payload: dict[str, Any]
        tags: list[str]
        region: str | None
        store_id: UUID | None
        active_since: datetime | None
        composed_by: UUID | None
        at: datetime

    class Scheduled(Aggregate.Event):
        send_at: datetime
        at: datetime

        def apply(self, push: Push) -> None:
            push.status, push.send_at = "scheduled", self.send_at

    class Cancelled(Aggregate.Event):
        reason: str
        at: datetime

        def apply(self, push: Push) -> None:
            push.status = "cancelled"

    class MembersQueued(Aggregate.Event):
        member_ids: list[UUID]
        at: datetime

        def apply(self, push: Push) -> None:
            push.status = "dispatching"
            push.queued.update(self.member_ids)

    class Dispatched(Aggregate.Event):
        queued: int
        at: datetime

        def apply(self, push: Push) -> None:
            push.status = "dispatched"

    def __init__(
        self,
        title: str,
        kind: str,
        payload: dict[str, Any],
        tags: list[str],
        region: str | None,
        store_id: UUID | None,
        active_since: datetime | None,
        composed_by: UUID | None,
        at: datetime,
    ) -> None:
        self.title, self.kind, self.payload = title, kind, payload
        self.segment = Segment(tuple(tags), region, store_id, active_since)
        self.composed_by = composed_by
        self.status = "draft"
        self.send_at: datetime | None = None
        self.queued: set[UUID] = set()

    @classmethod
    def compose(
        cls,
        title: str,
        kind: str,
        payload: dict[str, Any],
        segment: Segment,
        now: datetime,
        composed_by: UUID | None = None,
    ) -> Push:
        """A draft push of a text or an article for a segment."""
        title = title.strip()
        if not title or len(title) > 100:
            raise InvalidInput("a push needs a title of 1 to 100 characters")
        if kind not in PUSH_KINDS:
            raise InvalidInput(f"a push is text or news, not {kind!r}")
        tags = sorted({tag.strip() for tag in segment.tags if tag.strip()})
        return cls._create(
            cls.Composed,
            id=uuid4(),
            title=title,
            kind=kind,
            payload=check_content(kind, payload),
            tags=tags,
            region=(segment.region or "").strip() or None,
            store_id=segment.store_id,
            active_since=segment.active_since,
            composed_by=composed_by,
            at=now,
        )

    def message_key(self, member_id: UUID) -> str:
        """The outbound message key of this push for one member."""
        return f"push:{self.id}:{member_id}"

    def schedule(self, send_at: datetime, now: datetime) -> None:
        """Send at `send_at` (a time in the past means now); re-scheduling moves it."""
        if send_at.tzinfo is None:
            raise InvalidInput("send_at needs a time zone")
        if self.status not in ("draft", "scheduled"):
            raise PushNotSchedulable(f"push {self.id} is {self.status}")
        self.trigger_event(self.Scheduled, send_at=send_at, at=now)

    def cancel(self, reason: str, now: datetime) -> None:
        """Stop the push: nothing more is queued, and queued messages are not sent."""
        if self.status == "cancelled":
            raise PushCancelled(f"push {self.id} was cancelled already")
        self.trigger_event(self.Cancelled, reason=reason, at=now)

    def check_due(self, now: datetime) -> None:
        if self.status == "cancelled":
            raise PushCancelled(f"push {self.id} was cancelled")
        if self.status not in ("scheduled", "dispatching") or self.send_at > now:
            raise PushNotDue(f"push {self.id} is {self.status}, not due")

    def queue_members(self, member_ids: list[UUID], now: datetime) -> list[UUID]:
        """Record members as queued; returns those not queued before (in order, once each)."""
        self.check_due(now)
        fresh = list(dict.fromkeys(m for m in member_ids if m not in self.queued))
        if fresh:
            self.trigger_event(self.MembersQueued, member_ids=fresh, at=now)
        return fresh

    def finish_dispatch(self, now: datetime) -> None:
        """Every member of the segment is queued."""
        self.check_due(now)
        self.trigger_event(self.Dispatched, queued=len(self.queued), at=now)
