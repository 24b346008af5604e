"""OutboundMessage: one message to one follower, queued once per key, sent at most once.

Every send is recorded as `Attempted` *before* the HTTP call, then `Delivered`,
`Failed` (nothing reached WeChat: retried with backoff) or `OutcomeUnknown` (the
call may have reached WeChat: a timeout, or a sender that died mid-send). WeChat's
customer-service API has no idempotency field, so an unknown customer-service
send is never repeated automatically: it waits for an operator (`resolve`).
A template send carries a `client_msg_id`, which WeChat de-duplicates per
(openid, client_msg_id) for 10 minutes, so an unknown template send is replayed
with the same id while that window lasts, and only then handed to an operator.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate

from domain.errors import DomainError, InvalidInput, NotFound
from domain.ids import derived_id
from domain.outbound_content import check_content
from domain.personal import ERASED, PersonalData, member_field

# WeChat de-duplicates a template's client_msg_id for 10 minutes; keep one in hand.
TEMPLATE_REPLAY_WINDOW = timedelta(minutes=9)
# Refusals that no retry can change: bad openid, not following, blacklisted, bad template.
PERMANENT_ERRCODES = frozenset({40003, 43004, 43019, 40037, 47003, 45002, 45008, 44002})
# The follower is outside the customer-service window: send a template instead, now.
OUT_OF_WINDOW_ERRCODES = frozenset({45015, 45047})
OPEN_STATUSES = ("queued", "failed", "unknown")
RECIPIENT_ERASED = "the follower's personal data was erased"  # why such a message is stopped


class OutboundNotFound(NotFound):
    """No outbound message has this key."""

    slug = "outbound-not-found"
    title = "Outbound message not found"


class OutboundKeyReused(DomainError):
    """The key names a message already queued for someone else or with other content."""

    slug = "outbound-key-reused"
    title = "Outbound key reused"


class NotDue(DomainError):
    """The message is not waiting to be sent now (sent, in flight, or retried later)."""

    slug = "outbound-not-due"
    title = "Outbound message not due"


class NoOpenAttempt(DomainError):
    """There is no send in flight with this attempt number."""

    slug = "outbound-no-open-attempt"
    title = "No open attempt"


class OutboundInFlight(DomainError):
    """The message is being sent right now; it can no longer be stopped."""

    slug = "outbound-in-flight"
    title = "Outbound message in flight"


class OutboundSettled(DomainError):
    """The message was delivered, cancelled or closed already."""

    slug = "outbound-settled"
    title = "Outbound message settled"


class NothingToResolve(DomainError):
    """Only a message whose delivery is unknown waits for an operator's decision."""

    slug = "outbound-nothing-to-resolve"
    title = "Nothing to resolve"


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff between failed sends, and how many sends at most."""

    base: timedelta = timedelta(seconds=30)
    factor: float = 2.0
    max_delay: timedelta = timedelta(hours=1)
    max_attempts: int = 6

    def retry_at(self, attempts_made: int, now: datetime) -> datetime | None:
        """When to try again after `attempts_made` sends, or None to give up."""
        if attempts_made >= self.max_attempts:
            return None
        delay = self.base * self.factor ** max(attempts_made - 1, 0)
        return now + min(delay, self.max_delay)


class OutboundMessage(Aggregate):
    """A message to one follower; its id is derived from the caller's idempotency key."""

    @staticmethod
    def id_for(key: str) -> UUID:
        return derived_id("outbound", key)

    class Queued(Aggregate.Created):
        # the payload too: a reply quotes the follower, a push may name them or their phone
        personal_data = PersonalData(("key", "openid", "payload"), member_field)
        key: str
        openid: str
        member_id: UUID
        kind: str
        payload: dict[str, Any]
        push_id: UUID | None
        at: datetime

    class Attempted(Aggregate.Event):
        attempt: int
        channel: str  # customer_service or template
        client_msg_id: str | None
        at: datetime

        def apply(self, message: OutboundMessage) -> None:
            message.status, message.retry_at = "attempted", None
            message.attempts, message.channel = self.attempt, self.channel
            message.attempted_at = self.at
            if self.client_msg_id != message.client_msg_id:
                message.client_msg_id, message.client_msg_id_since = self.client_msg_id, self.at

    class Delivered(Aggregate.Event):
        attempt: int
        msgid: str | None
        at: datetime

        def apply(self, message: OutboundMessage) -> None:
            message.status, message.retry_at, message.replay_until = "delivered", None, None

    class Failed(Aggregate.Event):
        attempt: int
        errcode: int | None
        errmsg: str
        retry_at: datetime | None
        at: datetime

        def apply(self, message: OutboundMessage) -> None:
            message.status, message.retry_at = "failed", self.retry_at
            message.errcode, message.detail = self.errcode, self.errmsg
            if self.errcode in OUT_OF_WINDOW_ERRCODES:
                message.window_refused = True

    class OutcomeUnknown(Aggregate.Event):
        attempt: int
        reason: str
        retry_at: datetime | None  # set only for a safe template replay
        replay_until: datetime | None
        at: datetime

        def apply(self, message: OutboundMessage) -> None:
            message.status, message.retry_at, message.detail = "unknown", self.retry_at, self.reason
            message.replay_until = self.replay_until

    class Cancelled(Aggregate.Event):
        reason: str
        at: datetime

        def apply(self, message: OutboundMessage) -> None:
            message.status, message.retry_at, message.detail = "cancelled", None, self.reason

    class Resolved(Aggregate.Event):
        resend: bool
        note: str
        at: datetime

        def apply(self, message: OutboundMessage) -> None:
            message.status = "queued" if self.resend else "closed"
            message.retry_at = self.at if self.resend else None
            message.replay_until, message.client_msg_id, message.detail = None, None, self.note

    def __init__(
        self,
        key: str,
        openid: str,
        member_id: UUID,
        kind: str,
        payload: dict[str, Any],
        push_id: UUID | None,
        at: datetime,
    ) -> None:
        self.key, self.openid, self.member_id = key, openid, member_id
        self.kind, self.payload, self.push_id = kind, payload, push_id
        self.queued_at = at
        self.status = "queued"
        self.retry_at: datetime | None = at
        self.attempts = 0
        self.channel: str | None = None
        self.attempted_at: datetime | None = None
        self.client_msg_id: str | None = None
        self.client_msg_id_since: datetime | None = None
        self.replay_until: datetime | None = None
        self.window_refused = False
        self.errcode: int | None = None
        self.detail = ""

    @classmethod
    def queue(
        cls,
        key: str,
        openid: str,
        member_id: UUID,
        kind: str,
        payload: dict[str, Any],
        now: datetime,
        push_id: UUID | None = None,
    ) -> OutboundMessage:
        """Queue a message; the key names it, so queueing the same key again is a no-op."""
        key, openid = key.strip(), openid.strip()
        if not key or len(key) > 200:
            raise InvalidInput("an outbound message needs a key of 1 to 200 characters")
        if not openid:
            raise InvalidInput("an outbound message needs the follower's openid")
        return cls._create(
            cls.Queued,
            id=cls.id_for(key),
            key=key,
            openid=openid,
            member_id=member_id,
            kind=kind,
            payload=check_content(kind, payload),
            push_id=push_id,
            at=now,
        )

    def check_same(self, openid: str, kind: str, payload: dict[str, Any]) -> None:
        """A repeat of `queue` must ask for the same message, else the key was reused."""
        if self.recipient_erased:
            return  # nothing left to compare with: the first message stands
        if (openid.strip(), kind, check_content(kind, payload)) != (
            self.openid,
            self.kind,
            self.payload,
        ):
            raise OutboundKeyReused(f"key {self.key} names another message")

    @property
    def recipient_erased(self) -> bool:
        """The follower was erased: the openid, key and content read as ERASED now."""
        return self.openid == ERASED

    @property
    def replaying(self) -> bool:
        return self.replay_until is not None

    def begin_attempt(
        self, now: datetime, window_open: bool, has_template: bool
    ) -> Attempted | None:
        """Record a send before making it; None (and the reason recorded) when none may go."""
        self.check_due(now)
        if self.replaying:
            if now > self.replay_until:
                self.give_up("WeChat's de-duplication window closed before the replay", now)
                return None
            return self.attempt_on("template", self.client_msg_id, now)
        use_service = self.kind != "template" and window_open and not self.window_refused
        if use_service:
            return self.attempt_on("customer_service", None, now)
        if not has_template:
            self.trigger_event(
                self.Failed,
                attempt=self.attempts,
                errcode=None,
                errmsg="outside the 48-hour window and no template to fall back on",
                retry_at=None,
                at=now,
            )
            return None
        return self.attempt_on("template", f"{self.id.hex}-{self.attempts + 1}", now)

    def attempt_on(self, channel: str, client_msg_id: str | None, now: datetime) -> Attempted:
        self.trigger_event(
            self.Attempted,
            attempt=self.attempts + 1,
            channel=channel,
            client_msg_id=client_msg_id,
            at=now,
        )
        return self.pending_events[-1]

    def check_due(self, now: datetime) -> None:
        if self.status not in OPEN_STATUSES or self.retry_at is None or self.retry_at > now:
            raise NotDue(f"message {self.key} is {self.status}, not due to be sent")

    def check_open_attempt(self, attempt: int) -> None:
        if self.status != "attempted" or self.attempts != attempt:
            raise NoOpenAttempt(f"message {self.key} has no send {attempt} in flight")

    def deliver(self, attempt: int, msgid: str | None, now: datetime) -> None:
        """WeChat accepted a send (also a late answer to an attempt reconciled meanwhile)."""
        if self.status in ("delivered", "cancelled", "closed") or attempt > self.attempts:
            raise OutboundSettled(f"message {self.key} is {self.status}")
        self.trigger_event(self.Delivered, attempt=attempt, msgid=msgid, at=now)

    def fail(
        self, attempt: int, errcode: int | None, errmsg: str, now: datetime, policy: RetryPolicy
    ) -> None:
        """WeChat refused a send, so nothing reached the follower: retry later, or give up."""
        self.check_open_attempt(attempt)
        if errcode in PERMANENT_ERRCODES:
            retry_at = None
        elif errcode in OUT_OF_WINDOW_ERRCODES and self.channel == "customer_service":
            retry_at = now  # straight on as a template message
        else:
            retry_at = policy.retry_at(attempt, now)
        if self.replaying and (retry_at is None or retry_at > self.replay_until):
            # An earlier send with this client_msg_id may have arrived: a fresh id could double it.
            self.give_up(f"errcode {errcode} on a replay; an earlier send may have arrived", now)
            return
        self.trigger_event(
            self.Failed, attempt=attempt, errcode=errcode, errmsg=errmsg, retry_at=retry_at, at=now
        )

    def outcome_unknown(self, attempt: int, reason: str, now: datetime, policy: RetryPolicy):
        """A send may or may not have reached WeChat: replay a template, hold anything else."""
        self.check_open_attempt(attempt)
        if self.channel != "template":
            self.give_up(reason, now)
            return
        replay_until = self.client_msg_id_since + TEMPLATE_REPLAY_WINDOW
        if attempt >= policy.max_attempts or now >= replay_until:
            self.give_up(reason, now)
            return
        self.trigger_event(
            self.OutcomeUnknown,
            attempt=attempt,
            reason=reason,
            retry_at=now,  # replay at once, well inside WeChat's de-duplication window
            replay_until=replay_until,
            at=now,
        )

    def give_up(self, reason: str, now: datetime) -> None:
        self.trigger_event(
            self.OutcomeUnknown,
            attempt=self.attempts,
            reason=reason,
            retry_at=None,
            replay_until=None,
            at=now,
        )

    def reconcile(self, now: datetime, stale_after: timedelta, policy: RetryPolicy) -> bool:
        """An attempt with no outcome for `stale_after` was abandoned (its sender died)."""
        if self.status != "attempted" or self.attempted_at > now - stale_after:
            return False
        reason = "no outcome recorded: the sender stopped mid-send"
        self.outcome_unknown(self.attempts, reason, now, policy)
        return True

    def cancel(self, reason: str, now: datetime) -> None:
        """Stop a message that has not gone out; cancelling twice changes nothing."""
        if self.status == "cancelled":
            return
        if self.status == "attempted":
            raise OutboundInFlight(f"message {self.key} is being sent")
        if self.status not in OPEN_STATUSES:
            raise OutboundSettled(f"message {self.key} is {self.status}")
        self.trigger_event(self.Cancelled, reason=reason, at=now)

    def resolve(self, resend: bool, note: str, now: datetime) -> None:
        """An operator's decision on a message whose delivery is unknown: resend or close."""
        if self.status != "unknown" or self.retry_at is not None:
            raise NothingToResolve(f"message {self.key} is {self.status}; nothing to decide")
        self.trigger_event(self.Resolved, resend=resend, note=note, at=now)
