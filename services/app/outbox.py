"""Use cases for the outbox: queue a message once per key, record every send and its outcome.

The sender (`services/outbound/sender.py`) drives the send-side use cases:
`begin_outbound_attempt` records `Attempted` before the HTTP call, then one of
`record_outbound_delivered` / `_failed` / `_unknown`; `reconcile_outbound` settles
an attempt whose sender died. Everyone else queues, cancels, resolves and reads.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from domain.member import Member
from domain.outbound_content import Template, template_for
from domain.outbox import RECIPIENT_ERASED, OutboundMessage, OutboundNotFound, RetryPolicy
from domain.push import Push
from services.app.base import AppBase


@dataclass(frozen=True)
class QueuedMessage:
    """The message a key names; `created` is False when the key was queued before."""

    message_id: UUID
    key: str
    status: str
    created: bool


@dataclass(frozen=True)
class OutboundView:
    message_id: UUID
    key: str
    openid: str
    member_id: UUID
    kind: str
    push_id: UUID | None
    status: str  # queued, attempted, delivered, failed, unknown, cancelled, closed
    attempts: int
    channel: str | None
    retry_at: datetime | None
    errcode: int | None
    detail: str


@dataclass(frozen=True)
class SendOrder:
    """One recorded attempt, as the sender must make it."""

    message_id: UUID
    key: str
    attempt: int
    openid: str
    channel: str  # customer_service or template
    kind: str
    payload: dict[str, Any]
    template: Template | None
    client_msg_id: str | None


def outbound_view(message: OutboundMessage) -> OutboundView:
    return OutboundView(
        message.id,
        message.key,
        message.openid,
        message.member_id,
        message.kind,
        message.push_id,
        message.status,
        message.attempts,
        message.channel,
        message.retry_at,
        message.errcode,
        message.detail,
    )


class OutboxUseCases(AppBase):
    def queue_outbound(
        self, openid: str, kind: str, payload: dict[str, Any], key: str
    ) -> QueuedMessage:
        """Queue a text, news or template message to a follower; the same key queues once."""

        def attempt() -> QueuedMessage:
            message_id = OutboundMessage.id_for(key.strip())
            if self.exists(message_id):
                first = self.outbound(message_id)
                first.check_same(openid, kind, payload)
                return QueuedMessage(first.id, first.key, first.status, False)
            member_id = Member.id_for(openid.strip())
            message = OutboundMessage.queue(key, openid, member_id, kind, payload, self.now())
            self.save(message)
            return QueuedMessage(message.id, message.key, message.status, True)

        return self.retrying(attempt)  # a racing duplicate collides on the id, then finds it

    def cancel_outbound(self, key: str, reason: str = "") -> OutboundView:
        """Stop a message that has not gone out (a wrong reply, a withdrawn push)."""
        now = self.now()
        message = self.update(lambda: self.outbound_by_key(key), lambda m: m.cancel(reason, now))
        return outbound_view(message)

    def resolve_outbound(self, key: str, resend: bool, note: str = "") -> OutboundView:
        """Decide a message whose delivery is unknown: send it again, or close it."""
        now = self.now()
        message = self.update(
            lambda: self.outbound_by_key(key), lambda m: m.resolve(resend, note, now)
        )
        return outbound_view(message)

    def get_outbound(self, key: str) -> OutboundView:
        """An outbound message by its key: status, attempts, last error."""
        return outbound_view(self.outbound_by_key(key))

    def begin_outbound_attempt(
        self, message_id: UUID, window_open: bool, notice_template_id: str | None
    ) -> SendOrder | None:
        """Record a send before it is made; None when nothing may go (cancelled, no channel)."""
        now = self.now()

        def attempt() -> SendOrder | None:
            message = self.outbound(message_id)
            if withheld := self.withheld_because(message):
                message.cancel(withheld, now)
                self.save(message)
                return None
            template = template_for(message.kind, message.payload, notice_template_id)
            attempted = message.begin_attempt(now, window_open, template is not None)
            self.save(message)
            if attempted is None:
                return None
            return SendOrder(
                message.id,
                message.key,
                attempted.attempt,
                message.openid,
                attempted.channel,
                message.kind,
                message.payload,
                template if attempted.channel == "template" else None,
                attempted.client_msg_id,
            )

        return self.retrying(attempt)

    def record_outbound_delivered(self, message_id: UUID, attempt: int, msgid: str | None):
        """WeChat accepted the send."""
        now = self.now()
        self.update(lambda: self.outbound(message_id), lambda m: m.deliver(attempt, msgid, now))

    def record_outbound_failed(
        self,
        message_id: UUID,
        attempt: int,
        errcode: int | None,
        errmsg: str,
        policy: RetryPolicy,
    ) -> OutboundView:
        """WeChat refused the send (nothing reached the follower): retry with backoff or stop."""
        now = self.now()
        message = self.update(
            lambda: self.outbound(message_id),
            lambda m: m.fail(attempt, errcode, errmsg, now, policy),
        )
        return outbound_view(message)

    def record_outbound_unknown(
        self, message_id: UUID, attempt: int, reason: str, policy: RetryPolicy
    ) -> OutboundView:
        """The send may have reached WeChat (a timeout): replay a template, hold the rest."""
        now = self.now()
        message = self.update(
            lambda: self.outbound(message_id),
            lambda m: m.outcome_unknown(attempt, reason, now, policy),
        )
        return outbound_view(message)

    def reconcile_outbound(
        self, message_id: UUID, stale_after: timedelta, policy: RetryPolicy
    ) -> OutboundView | None:
        """Settle an attempt left without outcome for `stale_after`; None if there was none."""
        now, settled = self.now(), []
        message = self.update(
            lambda: self.outbound(message_id),
            lambda m: settled.append(m.reconcile(now, stale_after, policy)),
        )
        return outbound_view(message) if settled[-1] else None

    def outbound(self, message_id: UUID) -> OutboundMessage:
        return self.load(OutboundMessage, message_id, OutboundNotFound)

    def outbound_by_key(self, key: str) -> OutboundMessage:
        return self.outbound(OutboundMessage.id_for(key.strip()))

    def withheld_because(self, message: OutboundMessage) -> str | None:
        """Why a due message must not go any more, if it must not."""
        if message.push_id and self.push_cancelled(message.push_id):
            return "the push was cancelled"
        if message.recipient_erased or self.member_erased(message.member_id):
            return RECIPIENT_ERASED
        return None

    def member_erased(self, member_id: UUID) -> bool:
        """Erased, as the member aggregate says at once (other processes' key caches lag)."""
        member = self.maybe(Member, member_id)  # None: queued for an openid that never followed
        return member is not None and member.erased

    def push_cancelled(self, push_id: UUID) -> bool:
        push = self.repository.get(push_id)
        return isinstance(push, Push) and push.status == "cancelled"
