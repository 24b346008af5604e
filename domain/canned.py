"""CannedReplies: the agents' ready-made answers for the customer-service inbox."""

from __future__ import annotations

from uuid import UUID

from eventsourcing.domain import Aggregate

from domain.conversation import MAX_ANSWER, check_text
from domain.errors import NotFound
from domain.ids import derived_id

MAX_TITLE = 60


class CannedReplyNotFound(NotFound):
    """No canned reply has this id."""

    slug = "canned-reply-not-found"
    title = "Canned reply not found"


class CannedReplies(Aggregate):
    """The agents' ready-made answers."""

    @staticmethod
    def id_for() -> UUID:
        return derived_id("canned-replies")

    class Opened(Aggregate.Created):
        pass

    class Added(Aggregate.Event):
        reply_id: UUID
        title: str
        text: str

        def apply(self, canned: CannedReplies) -> None:
            canned.replies[self.reply_id] = (self.title, self.text)

    class Removed(Aggregate.Event):
        reply_id: UUID

        def apply(self, canned: CannedReplies) -> None:
            del canned.replies[self.reply_id]

    def __init__(self) -> None:
        self.replies: dict[UUID, tuple[str, str]] = {}

    @classmethod
    def open(cls) -> CannedReplies:
        """No canned replies yet."""
        return cls._create(cls.Opened, id=cls.id_for())

    def add(self, reply_id: UUID, title: str, text: str) -> None:
        """A new ready-made answer."""
        self.trigger_event(
            self.Added,
            reply_id=reply_id,
            title=check_text(title, MAX_TITLE, "a title"),
            text=check_text(text, MAX_ANSWER, "a canned reply"),
        )

    def remove(self, reply_id: UUID) -> None:
        """Withdraw a ready-made answer."""
        self.text_of(reply_id)
        self.trigger_event(self.Removed, reply_id=reply_id)

    def text_of(self, reply_id: UUID) -> str:
        try:
            return self.replies[reply_id][1]
        except KeyError:
            raise CannedReplyNotFound(f"no canned reply {reply_id}") from None
