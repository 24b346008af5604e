"""Use cases for targeted pushes: compose for a segment, schedule, cancel, dispatch once each."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from itertools import count
from typing import Any
from uuid import UUID

from domain.member import Member, MemberNotFound
from domain.outbox import OutboundMessage
from domain.push import Push, PushNotFound, Segment
from services.app.outbox import OutboxUseCases

CHUNK = 200  # members queued per transaction


@dataclass(frozen=True)
class PushView:
    id: UUID
    title: str
    kind: str
    payload: dict[str, Any]
    tags: list[str]
    region: str | None
    store_id: UUID | None
    active_since: datetime | None
    status: str  # draft, scheduled, dispatching, dispatched, cancelled
    send_at: datetime | None
    queued: int


def push_view(push: Push) -> PushView:
    segment = push.segment
    return PushView(
        push.id,
        push.title,
        push.kind,
        push.payload,
        list(segment.tags),
        segment.region,
        segment.store_id,
        segment.active_since,
        push.status,
        push.send_at,
        len(push.queued),
    )


class PushUseCases(OutboxUseCases):
    def create_push(
        self,
        title: str,
        kind: str,
        payload: dict[str, Any],
        segment: Segment | None = None,
        composed_by: UUID | None = None,
    ) -> PushView:
        """Compose a text or article push for a segment (tags, region, store, activity)."""
        push = Push.compose(title, kind, payload, segment or Segment(), self.now(), composed_by)
        self.save(push)
        return push_view(push)

    def schedule_push(self, push_id: UUID, at: datetime) -> PushView:
        """Send the push at `at` (now, if `at` has passed); re-scheduling moves it."""
        now = self.now()
        return push_view(self.update(lambda: self.push(push_id), lambda p: p.schedule(at, now)))

    def cancel_push(self, push_id: UUID, reason: str = "") -> PushView:
        """Stop a push: nothing more is queued and queued messages are cancelled, not sent."""
        now = self.now()
        return push_view(self.update(lambda: self.push(push_id), lambda p: p.cancel(reason, now)))

    def get_push(self, push_id: UUID) -> PushView:
        """A push by id, with how many members it was queued for."""
        return push_view(self.push(push_id))

    def dispatch_push(self, push_id: UUID, member_ids: Iterable[UUID]) -> int:
        """Queue a due push for its expanded segment, once per member; returns how many now."""
        now = self.now()
        self.push(push_id).check_due(now)
        members = list(dict.fromkeys(member_ids))
        queued = 0
        for start in range(0, len(members), CHUNK):
            chunk, tries = members[start : start + CHUNK], count()
            queued += self.retrying(
                lambda chunk=chunk, tries=tries: self.queue_chunk(
                    push_id, chunk, now, retried=next(tries) > 0
                )
            )
        self.update(lambda: self.push(push_id), lambda p: p.finish_dispatch(now))
        return queued

    def queue_chunk(
        self, push_id: UUID, member_ids: list[UUID], now: datetime, retried: bool
    ) -> int:
        """One transaction: the members' messages and the push's record that they are queued."""
        push = self.push(push_id)
        members = list(self.followers(i for i in member_ids if i not in push.queued))
        push.queue_members([m.id for m in members], now)
        messages = [
            OutboundMessage.queue(
                push.message_key(m.id), m.openid, m.id, push.kind, push.payload, now, push.id
            )
            for m in members
        ]
        if retried:  # after a collision: a message under a push key may exist already
            messages = [message for message in messages if not self.exists(message.id)]
        self.save(push, *messages)
        return len(messages)

    def followers(self, member_ids: Iterable[UUID]) -> Iterable[Member]:
        for member_id in member_ids:
            try:
                member = self.load(Member, member_id, MemberNotFound)
            except MemberNotFound:
                continue
            if member.following:
                yield member

    def push(self, push_id: UUID) -> Push:
        return self.load(Push, push_id, PushNotFound)
