"""Use cases for the customer-service inbox: assign, answer (by hand or canned), close."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID, uuid4

from eventsourcing.application import AggregateNotFoundError

from domain.canned import CannedReplies
from domain.conversation import Conversation, ConversationNotFound
from domain.errors import InvalidInput
from services.app.base import AppBase


@dataclass(frozen=True)
class ConversationView:
    id: UUID
    openid: str
    member_id: UUID | None
    status: str
    waiting: int
    waiting_since: datetime | None
    last_message_at: datetime | None
    agent_id: UUID | None
    answers: int


@dataclass(frozen=True)
class AnswerSent:
    """An agent's answer, recorded for the outbox to send once under `outbox_key`."""

    conversation_id: UUID
    outbox_key: str
    text: str


@dataclass(frozen=True)
class CannedReplyView:
    id: UUID
    title: str
    text: str


def conversation_view(conversation: Conversation) -> ConversationView:
    return ConversationView(
        id=conversation.id,
        openid=conversation.openid,
        member_id=conversation.member_id,
        status=conversation.status,
        waiting=len(conversation.waiting),
        waiting_since=conversation.waiting_since,
        last_message_at=conversation.last_message_at,
        agent_id=conversation.agent_id,
        answers=conversation.answers,
    )


class InboxUseCases(AppBase):
    def assign_conversation(self, conversation_id: UUID, agent_id: UUID) -> ConversationView:
        """Give an open conversation to an agent."""
        now = self.now()
        conversation = self.update(
            lambda: self.conversation(conversation_id), lambda c: c.assign(agent_id, now)
        )
        return conversation_view(conversation)

    def answer_conversation(
        self,
        conversation_id: UUID,
        agent_id: UUID,
        text: str | None = None,
        canned_reply_id: UUID | None = None,
        idempotency_key: str | None = None,
    ) -> AnswerSent:
        """Answer what waits (own words or a canned reply) and close; the outbox sends it."""
        if (text is None) == (canned_reply_id is None):
            raise InvalidInput("answer with text or with a canned reply, not both")

        def decide():
            now = self.now()
            words = self.canned_text(canned_reply_id) if canned_reply_id else str(text)
            conversation = self.conversation(conversation_id)
            outbox_key = conversation.answer(agent_id, words, now, canned_reply_id)
            return AnswerSent(conversation_id, outbox_key, words.strip()), [conversation]

        return self.once(f"answer:{conversation_id}", idempotency_key, AnswerSent, decide)

    def close_conversation(
        self, conversation_id: UUID, agent_id: UUID | None = None, reason: str = "closed"
    ) -> ConversationView:
        """Close without answering (spam, settled elsewhere)."""
        now = self.now()
        conversation = self.update(
            lambda: self.conversation(conversation_id), lambda c: c.close(agent_id, reason, now)
        )
        return conversation_view(conversation)

    def get_conversation(self, conversation_id: UUID) -> ConversationView:
        """A conversation by id."""
        return conversation_view(self.conversation(conversation_id))

    def conversation_of(self, openid: str) -> ConversationView:
        """A follower's conversation, by WeChat openid."""
        return self.get_conversation(Conversation.id_for(openid))

    def add_canned_reply(self, title: str, text: str) -> CannedReplyView:
        """A ready-made answer agents can pick."""
        reply_id = uuid4()
        canned = self.update(self.canned_replies, lambda c: c.add(reply_id, title, text))
        return CannedReplyView(reply_id, *canned.replies[reply_id])

    def remove_canned_reply(self, reply_id: UUID) -> None:
        """Withdraw a ready-made answer."""
        self.update(self.canned_replies, lambda c: c.remove(reply_id))

    def list_canned_replies(self) -> list[CannedReplyView]:
        """The ready-made answers, oldest first."""
        replies = self.canned_replies().replies
        return [CannedReplyView(i, title, text) for i, (title, text) in replies.items()]

    def canned_text(self, reply_id: UUID) -> str:
        return self.canned_replies().text_of(reply_id)

    def canned_replies(self) -> CannedReplies:
        try:
            return self.repository.get(CannedReplies.id_for())
        except AggregateNotFoundError:
            return CannedReplies.open()

    def conversation(self, conversation_id: UUID) -> Conversation:
        return self.load(Conversation, conversation_id, ConversationNotFound)
