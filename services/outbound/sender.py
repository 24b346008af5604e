"""The sender process: follows the log, queues due pushes, sends due messages, settles the rest.

One round (`run_once`):
1. catch the worklist view up with the log (tracked position, one transaction per batch);
2. reconcile attempts left without outcome for `stale_after` (a sender died mid-send);
3. expand each due push's segment and queue one message per member (once each);
4. for each due message: take a rate-limit token, record `Attempted`, call WeChat,
   record `Delivered`, `Failed` (retry with backoff) or `OutcomeUnknown`.

Any number of senders may run: a message's `Attempted` is saved against its
version, so two senders never make the same attempt. The rate limit is per sender.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Protocol
from uuid import UUID

from domain.errors import DomainError
from domain.outbound_content import service_window_open
from domain.push import Segment
from projections.runner import ProjectionRunner
from projections.segments import segment_members
from projections.sql import Database
from projections.wakeup import wakeup_for
from services.app import Lianjie
from services.app.outbox import SendOrder
from services.outbound.config import OutboxConfig
from services.outbound.ratelimit import TokenBucket
from services.outbound.wechat import SendResult, WeChatGateway
from services.outbound.worklist import (
    Due,
    OutboxView,
    due_messages,
    due_pushes,
    next_due_at,
    stale_attempts,
)
from services.settings import Settings

log = logging.getLogger(__name__)
SegmentMembers = Callable[[Segment], list[UUID]]
MAX_IDLE = timedelta(seconds=1)
PUSH_PAUSE = timedelta(seconds=5)
BLOCKED_IDLE = timedelta(milliseconds=250)


class Gateway(Protocol):
    def send(self, order: SendOrder) -> SendResult: ...


class ProjectedSegments:
    """A push's segment, expanded with the segments read model (kept by `lianjie project`)."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def __call__(self, segment: Segment) -> list[UUID]:
        return segment_members(
            self.db,
            tags=segment.tags,
            region=segment.region,
            store_id=segment.store_id,
            active_since=segment.active_since,
            following_only=True,
        )


def sender_from_settings(app: Lianjie, settings: Settings) -> Sender | None:
    """The sender for these settings, or None without WeChat credentials (nothing to send)."""
    gateway = WeChatGateway.from_settings(settings)
    if gateway is None:
        return None
    return Sender(app, gateway, OutboxConfig.from_settings(settings))


class Sender:
    """Sends the outbox through WeChat, at most `config.rate` messages per second."""

    def __init__(
        self,
        app: Lianjie,
        gateway: Gateway,
        config: OutboxConfig | None = None,
        segments: SegmentMembers | None = None,
    ) -> None:
        self.app = app
        self.gateway = gateway
        self.config = config or OutboxConfig()
        self.worklist = ProjectionRunner(app, [OutboxView()])
        self.db = self.worklist.db
        self.segments = segments or ProjectedSegments(self.db)
        self.bucket = TokenBucket(self.config.rate, self.config.burst)
        self.stopping = threading.Event()
        self.push_pauses: dict[UUID, float] = {}  # pushes whose expansion failed: not before

    def run_once(self) -> int:
        """One round; returns how much happened (0 when there was nothing to do)."""
        work = self.worklist.run_once() + self.reconcile() + self.dispatch_pushes()
        if work:
            self.worklist.run_once()  # see what was just queued or settled
        return work + self.send_due()

    def run_forever(self, stop: threading.Event, poll_interval: float = 0.02) -> None:
        """Rounds until `stop` is set; between them sleeps until the log moves or work is due."""
        self.stopping = stop
        with wakeup_for(self.app, poll_interval) as wakeup:
            while not stop.is_set():
                try:
                    busy = self.run_once()
                except Exception:  # the database or WeChat is away: log, wait, go on
                    log.exception("outbox round failed; trying again in a second")
                    stop.wait(1.0)
                    continue
                if not busy:
                    wakeup.wait(timeout=self.idle_seconds())

    def idle_seconds(self) -> float:
        due = next_due_at(self.db)
        if due is None:
            return MAX_IDLE.total_seconds()
        wait = (due - self.app.now()).total_seconds()
        if wait <= 0:  # due, yet the round found nothing to do (a paused push): don't spin
            return BLOCKED_IDLE.total_seconds()
        return min(max(wait, 0.005), MAX_IDLE.total_seconds())

    def reconcile(self) -> int:
        """Settle attempts whose sender stopped before recording an outcome."""
        config, settled = self.config, 0
        for message_id in stale_attempts(self.db, self.app.now() - config.stale_after):
            view = self.app.reconcile_outbound(message_id, config.stale_after, config.policy)
            if view is not None:
                log.warning("%s had no outcome: %s (%s)", view.key, view.status, view.detail)
                settled += 1
        return settled

    def dispatch_pushes(self) -> int:
        """Queue every due push for its segment's members."""
        queued = 0
        for push_id in due_pushes(self.db, self.app.now()):
            if self.push_pauses.get(push_id, 0) > time.monotonic():
                continue
            push = self.app.get_push(push_id)
            segment = Segment(tuple(push.tags), push.region, push.store_id, push.active_since)
            try:
                queued += self.app.dispatch_push(push_id, self.segments(segment)) or 1
            except DomainError as refused:  # cancelled or re-scheduled meanwhile
                log.info("push %s not dispatched: %s", push_id, refused.slug)
            except Exception:  # e.g. no segments view yet: the messages due still go out
                log.exception("push %s could not be expanded; trying again shortly", push_id)
                self.push_pauses[push_id] = time.monotonic() + PUSH_PAUSE.total_seconds()
        return queued

    def send_due(self) -> int:
        """Send what is due now, oldest first, one rate-limit token per send."""
        done = 0
        for due in due_messages(self.db, self.app.now(), self.config.batch_size):
            if not self.bucket.take(self.stopping):
                break
            done += self.send(due)
        return done

    def send(self, due: Due) -> int:
        now: datetime = self.app.now()
        window_open = service_window_open(due.last_interaction_at, now)
        try:
            order = self.app.begin_outbound_attempt(
                due.message_id, window_open, self.config.notice_template_id
            )
        except DomainError:  # no longer due: another sender, or the worklist lagged
            return 0
        if order is not None:
            self.record(order, self.gateway.send(order))
        return 1

    def record(self, order: SendOrder, result: SendResult) -> None:
        app, policy = self.app, self.config.policy
        try:
            if result.outcome == "sent":
                app.record_outbound_delivered(order.message_id, order.attempt, result.msgid)
            elif result.outcome == "refused":
                app.record_outbound_failed(
                    order.message_id, order.attempt, result.errcode, result.errmsg, policy
                )
            else:
                reason = f"the send may have reached WeChat: {result.errmsg}"
                app.record_outbound_unknown(order.message_id, order.attempt, reason, policy)
        except DomainError as late:  # another sender reconciled this attempt meanwhile
            log.warning(
                "%s: outcome %s of send %d not recorded: %s",
                order.key,
                result.outcome,
                order.attempt,
                late.slug,
            )
