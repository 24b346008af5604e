"""The sender's worklist: a view of the log saying what is due, in flight, and who may be messaged.

Built from events only, kept with its tracking position in one transaction (the
projection runner does that), rebuildable at any time. It is an index, not the
truth: before every send the sender records `Attempted` on the message aggregate,
whose version check refuses a message that is no longer due.

Delivery state per message (and so per push member): queued, attempted,
delivered, failed (with `due_at` when a retry is scheduled), unknown (with
`due_at` while a template replay is pending, else waiting for an operator),
cancelled, closed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar
from uuid import UUID

from domain.inbound import InboundMessage
from domain.member import Member
from domain.outbound_content import opens_service_window
from domain.outbox import OutboundMessage
from domain.personal import ERASED
from domain.push import Push
from projections.sql import Database, iso
from projections.view import Batch, View, handles

TOUCH = (
    "INSERT INTO outbox_interactions (member_id, last_at) VALUES (%s, %s) "
    "ON CONFLICT (member_id) DO UPDATE SET last_at = CASE "
    "WHEN excluded.last_at > outbox_interactions.last_at THEN excluded.last_at "
    "ELSE outbox_interactions.last_at END"
)
SET_MESSAGE = (
    "UPDATE outbox_messages SET status = %s, due_at = %s, detail = %s WHERE message_id = %s"
)


class OutboxView(View):
    """Messages by status and due time, pushes by status, and followers' last interaction."""

    name = "outbox"
    tables: ClassVar[dict[str, str]] = {
        "outbox_messages": (
            "message_id TEXT PRIMARY KEY, msg_key TEXT NOT NULL, member_id TEXT NOT NULL, "
            "push_id TEXT, status TEXT NOT NULL, due_at TEXT, attempts BIGINT NOT NULL, "
            "channel TEXT, attempted_at TEXT, errcode BIGINT, detail TEXT"
        ),
        "outbox_pushes": "push_id TEXT PRIMARY KEY, status TEXT NOT NULL, send_at TEXT",
        "outbox_interactions": "member_id TEXT PRIMARY KEY, last_at TEXT NOT NULL",
    }
    indexes: ClassVar[list[str]] = [
        "CREATE INDEX IF NOT EXISTS outbox_messages_due ON outbox_messages (status, due_at)",
        "CREATE INDEX IF NOT EXISTS outbox_messages_push ON outbox_messages (push_id, status)",
        "CREATE INDEX IF NOT EXISTS outbox_messages_member ON outbox_messages (member_id)",
    ]

    @handles(OutboundMessage.Queued)
    def queued(self, event: OutboundMessage.Queued, batch: Batch) -> None:
        batch.run(
            "INSERT INTO outbox_messages (message_id, msg_key, member_id, push_id, status, "
            "due_at, attempts) VALUES (%s, %s, %s, %s, 'queued', %s, 0)",
            str(event.originator_id),
            event.key,
            str(event.member_id),
            str(event.push_id) if event.push_id else None,
            iso(event.at),
        )

    @handles(OutboundMessage.Attempted)
    def attempted(self, event: OutboundMessage.Attempted, batch: Batch) -> None:
        batch.run(
            "UPDATE outbox_messages SET status = 'attempted', due_at = NULL, attempts = %s, "
            "channel = %s, attempted_at = %s WHERE message_id = %s",
            event.attempt,
            event.channel,
            iso(event.at),
            str(event.originator_id),
        )

    @handles(OutboundMessage.Delivered)
    def delivered(self, event: OutboundMessage.Delivered, batch: Batch) -> None:
        batch.run(SET_MESSAGE, "delivered", None, None, str(event.originator_id))

    @handles(OutboundMessage.Failed)
    def failed(self, event: OutboundMessage.Failed, batch: Batch) -> None:
        batch.run(
            "UPDATE outbox_messages SET status = 'failed', due_at = %s, errcode = %s, "
            "detail = %s WHERE message_id = %s",
            iso(event.retry_at),
            event.errcode,
            event.errmsg,
            str(event.originator_id),
        )

    @handles(OutboundMessage.OutcomeUnknown)
    def unknown(self, event: OutboundMessage.OutcomeUnknown, batch: Batch) -> None:
        message_id = str(event.originator_id)
        batch.run(SET_MESSAGE, "unknown", iso(event.retry_at), event.reason, message_id)

    @handles(OutboundMessage.Cancelled)
    def cancelled(self, event: OutboundMessage.Cancelled, batch: Batch) -> None:
        batch.run(SET_MESSAGE, "cancelled", None, event.reason, str(event.originator_id))

    @handles(OutboundMessage.Resolved)
    def resolved(self, event: OutboundMessage.Resolved, batch: Batch) -> None:
        status, due = ("queued", iso(event.at)) if event.resend else ("closed", None)
        batch.run(SET_MESSAGE, status, due, event.note, str(event.originator_id))

    @handles(Push.Composed)
    def composed(self, event: Push.Composed, batch: Batch) -> None:
        batch.run(
            "INSERT INTO outbox_pushes (push_id, status) VALUES (%s, 'draft')",
            str(event.originator_id),
        )

    @handles(Push.Scheduled)
    def scheduled(self, event: Push.Scheduled, batch: Batch) -> None:
        batch.run(
            "UPDATE outbox_pushes SET status = 'scheduled', send_at = %s WHERE push_id = %s",
            iso(event.send_at),
            str(event.originator_id),
        )

    @handles(Push.MembersQueued, Push.Dispatched, Push.Cancelled)
    def push_moved(self, event: Push.Event, batch: Batch) -> None:
        status = {
            Push.MembersQueued: "dispatching",
            Push.Dispatched: "dispatched",
            Push.Cancelled: "cancelled",
        }[type(event)]
        batch.run(
            "UPDATE outbox_pushes SET status = %s WHERE push_id = %s",
            status,
            str(event.originator_id),
        )

    @handles(Member.Erased)
    def erased(self, event: Member.Erased, batch: Batch) -> None:
        """The keys of the member's messages read as erased from now on, as in a rebuild."""
        batch.run(
            "UPDATE outbox_messages SET msg_key = %s WHERE member_id = %s",
            ERASED,
            str(event.originator_id),
        )

    @handles(Member.Followed, Member.Refollowed)
    def followed(self, event: Member.Followed | Member.Refollowed, batch: Batch) -> None:
        batch.run(TOUCH, str(event.originator_id), iso(event.at))

    @handles(InboundMessage.Received)
    def received(self, event: InboundMessage.Received, batch: Batch) -> None:
        if opens_service_window(event.msg_type, event.event):
            batch.run(TOUCH, str(event.member_id), iso(event.received_at))


@dataclass(frozen=True)
class Due:
    """A message the sender should try now, and when its follower last interacted."""

    message_id: UUID
    last_interaction_at: datetime | None


def due_messages(db: Database, now: datetime, limit: int) -> list[Due]:
    """Messages whose (re)send time has come, oldest first."""
    rows = db.read(
        "SELECT m.message_id, i.last_at FROM outbox_messages m "
        "LEFT JOIN outbox_interactions i ON i.member_id = m.member_id "
        "WHERE m.status IN ('queued', 'failed', 'unknown') AND m.due_at IS NOT NULL "
        "AND m.due_at <= %s ORDER BY m.due_at, m.message_id LIMIT %s",
        [iso(now), limit],
    )
    return [Due(UUID(m), datetime.fromisoformat(at) if at else None) for m, at in rows]


def stale_attempts(db: Database, before: datetime, limit: int = 500) -> list[UUID]:
    """Messages attempted before `before` that still have no outcome."""
    rows = db.read(
        "SELECT message_id FROM outbox_messages WHERE status = 'attempted' "
        "AND attempted_at <= %s ORDER BY attempted_at LIMIT %s",
        [iso(before), limit],
    )
    return [UUID(m) for (m,) in rows]


def due_pushes(db: Database, now: datetime) -> list[UUID]:
    """Pushes whose time has come and that are not fully queued yet."""
    rows = db.read(
        "SELECT push_id FROM outbox_pushes WHERE status IN ('scheduled', 'dispatching') "
        "AND send_at <= %s ORDER BY send_at",
        [iso(now)],
    )
    return [UUID(p) for (p,) in rows]


def next_due_at(db: Database) -> datetime | None:
    """The earliest time a message or a push falls due."""
    rows = db.read(
        "SELECT MIN(due_at) FROM outbox_messages WHERE status IN ('queued', 'failed', 'unknown') "
        "UNION ALL SELECT MIN(send_at) FROM outbox_pushes "
        "WHERE status IN ('scheduled', 'dispatching')"
    )
    moments = [datetime.fromisoformat(at) for (at,) in rows if at]
    return min(moments, default=None)


@dataclass(frozen=True)
class Delivery:
    """One member's delivery state of a push."""

    member_id: UUID
    status: str
    attempts: int
    channel: str | None
    errcode: int | None
    due_at: datetime | None


def push_deliveries(db: Database, push_id: UUID) -> list[Delivery]:
    """Every member a push was queued for, with the state of their message."""
    rows = db.read(
        "SELECT member_id, status, attempts, channel, errcode, due_at FROM outbox_messages "
        "WHERE push_id = %s ORDER BY member_id",
        [str(push_id)],
    )
    return [
        Delivery(UUID(m), s, int(a), c, e, datetime.fromisoformat(d) if d else None)
        for m, s, a, c, e, d in rows
    ]


def push_summary(db: Database, push_id: UUID) -> dict[str, int]:
    """How many of a push's messages are in each state."""
    rows = db.read(
        "SELECT status, COUNT(*) FROM outbox_messages WHERE push_id = %s GROUP BY status",
        [str(push_id)],
    )
    return {status: int(n) for status, n in rows}


def awaiting_review(db: Database, limit: int = 100) -> list[tuple[str, str]]:
    """(key, reason) of messages whose delivery is unknown and that wait for an operator."""
    rows = db.read(
        "SELECT msg_key, detail FROM outbox_messages WHERE status = 'unknown' "
        "AND due_at IS NULL ORDER BY msg_key LIMIT %s",
        [limit],
    )
    return [(key, detail or "") for key, detail in rows]
