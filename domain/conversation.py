"""Conversation: the customer-service inbox, one per follower.

Messages no rule answered wait here, oldest first, until an agent answers (which
closes the conversation) or closes it. The next message reopens it. An agent's
answer is recorded with the stable key the outbox sends it under, exactly once.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from uuid import UUID

from eventsourcing.domain import Aggregate

from domain.errors import DomainError, InvalidInput, NotFound
from domain.ids import derived_id
from domain.member import Member, openid_owner
from domain.personal import PersonalData, member_field

MAX_ANSWER = 2000
# WeChat delivers customer-service messages up to 48 hours after the follower's last message.
REPLY_WINDOW = timedelta(hours=48)


class ConversationNotFound(NotFound):
    """No conversation has this id."""

    slug = "conversation-not-found"
    title = "Conversation not found"


class ConversationNotOpen(DomainError):
    """The conversation is closed: nothing waits for an answer."""

    slug = "conversation-not-open"
    title = "Conversation not open"


class ReplyWindowClosed(DomainError):
    """WeChat no longer delivers to this follower: their last message is over 48 hours old."""

    slug = "reply-window-closed"
    title = "Reply window closed"


def check_text(text: str, limit: int, what: str) -> str:
    text = text.strip()
    if not text or len(text) > limit:
        raise InvalidInput(f"{what} has 1 to {limit} characters")
    return text


class Conversation(Aggregate):
    """A follower's messages waiting for a person, and the agents' answers."""

    @staticmethod
    def id_for(openid: str) -> UUID:
        return derived_id("conversation", openid)

    class Opened(Aggregate.Created):
        personal_data = PersonalData(("openid",), openid_owner)
        openid: str
        member_id: UUID | None

    class MessageQueued(Aggregate.Event):
        """A follower's message waits; `member_id` (whose it is) is recorded since v2."""

        class_version = 2
        personal_data = PersonalData(("message_key", "text"), member_field)
        member_id: UUID | None
        message_key: str
        msg_type: str
        text: str
        at: datetime

        @staticmethod
        def upcast_v1_v2(state: dict) -> None:
            state["member_id"] = None

        def apply(self, conversation: Conversation) -> None:
            conversation.status = "open"
            conversation.waiting.append(self.message_key)
            conversation.waiting_since = conversation.waiting_since or self.at
            conversation.last_message_at = self.at

    class Assigned(Aggregate.Event):
        agent_id: UUID
        at: datetime

        def apply(self, conversation: Conversation) -> None:
            conversation.agent_id = self.agent_id

    class Answered(Aggregate.Event):
        personal_data = PersonalData(("openid", "text", "answered_keys"), openid_owner)
        openid: str
        agent_id: UUID
        text: str
        canned_reply_id: UUID | None
        answered_keys: list[str]
        outbox_key: str
        at: datetime

        def apply(self, conversation: Conversation) -> None:
            conversation.answers += 1
            conversation.settle()

    class Closed(Aggregate.Event):
        agent_id: UUID | None
        reason: str
        at: datetime

        def apply(self, conversation: Conversation) -> None:
            conversation.settle()

    def __init__(self, openid: str, member_id: UUID | None) -> None:
        self.openid = openid
        self.member_id = member_id
        # whose messages these are; an erased openid no longer tells
        self.owner_id = member_id or Member.id_for(openid)
        self.status = "closed"
        self.waiting: list[str] = []
        self.waiting_since: datetime | None = None
        self.last_message_at: datetime | None = None
        self.agent_id: UUID | None = None
        self.answers = 0

    def settle(self) -> None:
        self.status = "closed"
        self.waiting = []
        self.waiting_since = None
        self.agent_id = None

    @classmethod
    def start(cls, openid: str, member_id: UUID | None) -> Conversation:
        """A follower's (empty, closed) conversation."""
        return cls._create(cls.Opened, id=cls.id_for(openid), openid=openid, member_id=member_id)

    def queue(self, message_key: str, msg_type: str, text: str, at: datetime) -> None:
        """A message no rule answered: it waits for an agent (and opens the conversation)."""
        self.trigger_event(
            self.MessageQueued,
            member_id=self.owner_id,
            message_key=message_key,
            msg_type=msg_type,
            text=text,
            at=at,
        )

    def assign(self, agent_id: UUID, now: datetime) -> None:
        """Give the open conversation to an agent (or to another one)."""
        self.check_open()
        if self.agent_id != agent_id:
            self.trigger_event(self.Assigned, agent_id=agent_id, at=now)

    def answer(
        self, agent_id: UUID, text: str, now: datetime, canned_reply_id: UUID | None = None
    ) -> str:
        """Answer everything waiting and close; returns the key the outbox sends it under."""
        self.check_open()
        text = check_text(text, MAX_ANSWER, "an answer")
        if self.last_message_at and now - self.last_message_at > REPLY_WINDOW:
            raise ReplyWindowClosed(f"the last message came at {self.last_message_at}")
        outbox_key = f"cs-reply:{self.id}:{self.answers + 1}"
        self.trigger_event(
            self.Answered,
            openid=self.openid,
            agent_id=agent_id,
            text=text,
            canned_reply_id=canned_reply_id,
            answered_keys=list(self.waiting),
            outbox_key=outbox_key,
            at=now,
        )
        return outbox_key

    def close(self, agent_id: UUID | None, reason: str, now: datetime) -> None:
        """Close without answering (spam, resolved elsewhere, the follower left)."""
        self.check_open()
        self.trigger_event(self.Closed, agent_id=agent_id, reason=reason.strip(), at=now)

    def check_open(self) -> None:
        if self.status != "open":
            raise ConversationNotOpen(f"conversation {self.id} has nothing waiting")
