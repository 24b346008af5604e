"""Customer-service inbox: open conversations oldest-waiting first, and their messages.

An erased member's openid, message texts and inbound keys read as ERASED, as a rebuild
(which can no longer decrypt them) would show them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from domain.conversation import Conversation
from domain.member import Member
from domain.personal import ERASED
from projections.sql import Database, iso, optional_uuid
from projections.view import Batch, View, handles

SETTLED = "status = 'closed', waiting = 0, waiting_since = NULL, agent_id = NULL"


class InboxView(View):
    """One row per follower's conversation, and every message in and out of it."""

    name = "inbox"
    tables = {
        "inbox_conversations": (
            "conversation_id TEXT PRIMARY KEY, openid TEXT NOT NULL, member_id TEXT, "
            "status TEXT NOT NULL, waiting BIGINT NOT NULL DEFAULT 0, waiting_since TEXT, "
            "last_message_at TEXT, agent_id TEXT, answers BIGINT NOT NULL DEFAULT 0"
        ),
        "inbox_messages": (
            "conversation_id TEXT NOT NULL, seq BIGINT NOT NULL, direction TEXT NOT NULL, "
            "message_key TEXT NOT NULL, msg_type TEXT NOT NULL, text TEXT NOT NULL, "
            "at TEXT NOT NULL, agent_id TEXT, PRIMARY KEY (conversation_id, seq)"
        ),
    }
    indexes = [
        "CREATE INDEX IF NOT EXISTS inbox_waiting ON inbox_conversations "
        "(status, waiting_since, conversation_id)"
    ]

    @handles(Conversation.Opened)
    def opened(self, event: Conversation.Opened, batch: Batch) -> None:
        batch.run(
            "INSERT INTO inbox_conversations (conversation_id, openid, member_id, status) "
            "VALUES (%s, %s, %s, 'closed')",
            str(event.originator_id),
            event.openid,
            str(event.member_id) if event.member_id else None,
        )

    @handles(Conversation.MessageQueued)
    def queued(self, event: Conversation.MessageQueued, batch: Batch) -> None:
        at = iso(event.at)
        batch.run(
            "UPDATE inbox_conversations SET status = 'open', waiting = waiting + 1, "
            "waiting_since = COALESCE(waiting_since, %s), last_message_at = %s, "
            "member_id = COALESCE(member_id, %s) WHERE conversation_id = %s",
            at,
            at,
            str(event.member_id) if event.member_id else None,
            str(event.originator_id),
        )
        self.message(batch, event, "in", event.message_key, event.msg_type, event.text, None)

    @handles(Conversation.Assigned)
    def assigned(self, event: Conversation.Assigned, batch: Batch) -> None:
        batch.run(
            "UPDATE inbox_conversations SET agent_id = %s WHERE conversation_id = %s",
            str(event.agent_id),
            str(event.originator_id),
        )

    @handles(Conversation.Answered)
    def answered(self, event: Conversation.Answered, batch: Batch) -> None:
        batch.run(
            f"UPDATE inbox_conversations SET {SETTLED}, answers = answers + 1 "
            "WHERE conversation_id = %s",
            str(event.originator_id),
        )
        agent = str(event.agent_id)
        self.message(batch, event, "out", event.outbox_key, "text", event.text, agent)

    @handles(Conversation.Closed)
    def closed(self, event: Conversation.Closed, batch: Batch) -> None:
        batch.run(
            f"UPDATE inbox_conversations SET {SETTLED} WHERE conversation_id = %s",
            str(event.originator_id),
        )

    @handles(Member.Erased)
    def erased(self, event: Member.Erased, batch: Batch) -> None:
        member_id = str(event.originator_id)
        batch.run(
            "UPDATE inbox_messages SET text = %s, "
            "message_key = CASE WHEN direction = 'in' THEN %s ELSE message_key END "
            "WHERE conversation_id IN "
            "(SELECT conversation_id FROM inbox_conversations WHERE member_id = %s)",
            ERASED,
            ERASED,
            member_id,
        )
        batch.run(
            "UPDATE inbox_conversations SET openid = %s WHERE member_id = %s", ERASED, member_id
        )

    @staticmethod
    def message(
        batch: Batch,
        event: Conversation.Event,
        direction: str,
        key: str,
        msg_type: str,
        text: str,
        agent_id: str | None,
    ) -> None:
        batch.run(
            "INSERT INTO inbox_messages (conversation_id, seq, direction, message_key, msg_type, "
            "text, at, agent_id) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
            str(event.originator_id),
            event.originator_version,
            direction,
            key,
            msg_type,
            text,
            iso(event.at),
            agent_id,
        )


@dataclass(frozen=True)
class OpenConversation:
    conversation_id: UUID
    openid: str
    member_id: UUID | None
    waiting: int
    waiting_since: datetime
    waiting_seconds: int
    last_message_at: datetime
    agent_id: UUID | None


@dataclass(frozen=True)
class InboxMessage:
    direction: str  # in (from the follower) or out (an agent's answer)
    message_key: str  # the inbound dedupe key, or the outbox key of an answer
    msg_type: str
    text: str
    at: datetime
    agent_id: UUID | None


def open_conversations(
    db: Database,
    now: datetime,
    limit: int = 50,
    agent_id: UUID | None = None,
    unassigned: bool = False,
) -> list[OpenConversation]:
    """Conversations waiting for an answer, longest-waiting first; optionally one agent's
    or only those nobody has taken."""
    where, params = ["status = 'open'"], []
    if agent_id is not None:
        where.append("agent_id = %s")
        params.append(str(agent_id))
    elif unassigned:
        where.append("agent_id IS NULL")
    rows = db.read(
        "SELECT conversation_id, openid, member_id, waiting, waiting_since, last_message_at, "
        f"agent_id FROM inbox_conversations WHERE {' AND '.join(where)} "
        "ORDER BY waiting_since, conversation_id LIMIT %s",
        [*params, limit],
    )
    found = []
    for conversation, openid, member, waiting, since, last, agent in rows:
        since_at = datetime.fromisoformat(since)
        found.append(
            OpenConversation(
                conversation_id=UUID(conversation),
                openid=openid,
                member_id=optional_uuid(member),
                waiting=waiting,
                waiting_since=since_at,
                waiting_seconds=max(0, int((now - since_at).total_seconds())),
                last_message_at=datetime.fromisoformat(last),
                agent_id=optional_uuid(agent),
            )
        )
    return found


def conversation_messages(db: Database, conversation_id: UUID) -> list[InboxMessage]:
    """Everything a conversation holds, oldest first: the follower's and the agents'."""
    rows = db.read(
        "SELECT direction, message_key, msg_type, text, at, agent_id FROM inbox_messages "
        "WHERE conversation_id = %s ORDER BY seq",
        [str(conversation_id)],
    )
    return [
        InboxMessage(direction, key, msg_type, text, datetime.fromisoformat(at), optional_uuid(a))
        for direction, key, msg_type, text, at, a in rows
    ]


def count_waiting(db: Database) -> tuple[int, int]:
    """(open conversations, of which unassigned)."""
    rows = db.read(
        "SELECT COUNT(*), SUM(CASE WHEN agent_id IS NULL THEN 1 ELSE 0 END) "
        "FROM inbox_conversations WHERE status = 'open'"
    )
    total, unassigned = rows[0]
    return int(total or 0), int(unassigned or 0)
