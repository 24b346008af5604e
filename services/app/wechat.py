"""Use cases for what WeChat pushes: each message or event recorded once, with its effects.

A push becomes a `Turn`: the InboundMessage (whose id makes a retry collide) plus
every aggregate the push changes — the member's follow, a scan gift's claim and
coupon, a Q&A answer's tag, the inbox conversation. They are saved together, so a
retry finds either all of it or none of it.
"""

from __future__ import annotations

from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate

from domain.catalog import Catalog
from domain.conversation import Conversation
from domain.errors import DomainError
from domain.inbound import Inbound, InboundMessage, InboundMessageNotFound
from domain.member import Attribution, Member
from domain.regions import region_at
from domain.replies import text_reply
from services.app.answering import AnsweringUseCases
from services.app.inbox import InboxUseCases
from services.app.turns import SCAN_GIFT_TEXT, InboundAnswer, Turn, gift_text

ENROLLING_EVENTS = ("scan", "click", "view", "location")


@dataclass(frozen=True)
class InboundView:
    key: str
    openid: str
    msg_type: str
    event: str | None
    content: str | None
    sent_at: datetime
    reply: dict[str, Any] | None
    deferred: bool


class WeChatUseCases(AnsweringUseCases, InboxUseCases):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.scan_gift_index: tuple[int, list[tuple[UUID, list[UUID] | None]]] = (-1, [])

    def receive_wechat_message(self, inbound: Inbound) -> InboundAnswer:
        """Record a push from WeChat once, with its effects; a retry gets the first answer.

        Pushes share transactions with concurrent commands (the coalescing writer); a
        retry of a push already recorded collides on the message's id and is answered
        from the first record.
        """
        message_id = InboundMessage.id_for(inbound.key)
        return self.once(
            "wechat",
            None,
            InboundAnswer,
            lambda: self.decide_push(inbound, message_id),
            coalesce=True,
            reads=[message_id, Member.id_for(inbound.openid)],
        )

    def decide_push(
        self, inbound: Inbound, message_id: UUID
    ) -> tuple[InboundAnswer, list[Aggregate]]:
        recorded = self.maybe(InboundMessage, message_id)
        if recorded is not None:
            return InboundAnswer(recorded.key, recorded.reply, duplicate=True), []
        turn = self.begin_turn(inbound)
        self.decide_turn(turn)
        return InboundAnswer(inbound.key, turn.message.reply, duplicate=False), turn.aggregates()

    def begin_turn(self, inbound: Inbound) -> Turn:
        now = self.now()
        member = self.maybe(Member, Member.id_for(inbound.openid))
        turn = Turn(inbound, now, InboundMessage.receive(inbound, now), member)
        if member is None and self.enrols(inbound):
            # Followed before Lianjie knew them: enrolled in this turn, without attribution.
            turn.member, changed = self.decide_follow(None, inbound.openid, None, now)
            turn.enrol(*changed)
        return turn

    def defer_wechat_reply(self, message_key: str) -> str:
        """The passive window passed: record the reply for the outbox; returns its key."""
        now = self.now()
        keys: list[str] = []
        self.update(
            lambda: self.inbound_message(message_key), lambda m: keys.append(m.defer_reply(now))
        )
        return keys[-1]

    def get_inbound_message(self, message_key: str) -> InboundView:
        """A recorded push by its dedupe key (msg:<MsgId> or event:<openid>:<time>:...)."""
        message = self.inbound_message(message_key)
        return InboundView(
            message.key,
            message.openid,
            message.msg_type,
            message.event,
            message.content,
            message.sent_at,
            message.reply,
            message.deferred,
        )

    def inbound_message(self, message_key: str) -> InboundMessage:
        return self.load(InboundMessage, InboundMessage.id_for(message_key), InboundMessageNotFound)

    @staticmethod
    def enrols(inbound: Inbound) -> bool:
        return inbound.is_user_message or inbound.event in ENROLLING_EVENTS

    def decide_turn(self, turn: Turn) -> None:
        inbound = turn.inbound
        if inbound.msg_type == "event":
            handlers = {
                "subscribe": self.on_subscribe,
                "unsubscribe": self.on_unsubscribe,
                "scan": self.on_scan,
                "click": self.on_click,
                "location": self.on_location,
            }
            handler = handlers.get(inbound.event or "")
            if handler:  # other events (VIEW, job reports, ...) are recorded only
                handler(turn)
            return
        if inbound.msg_type == "location":
            self.on_location(turn)
        if inbound.msg_type == "text" and inbound.content:
            self.on_text(turn, inbound.content)
        if not turn.answered and inbound.is_user_message:
            self.queue_for_agent(turn)

    def on_subscribe(self, turn: Turn) -> None:
        turn.member, changed = self.decide_follow(
            turn.member, turn.openid, turn.inbound.scene, turn.now
        )
        turn.keep(*changed)
        self.reply_by_rule(turn, "subscribe", "")

    def on_unsubscribe(self, turn: Turn) -> None:
        member = turn.member
        if member is not None and member.following:
            member.unfollow(turn.now)
            turn.keep(member)
        conversation = self.maybe(Conversation, Conversation.id_for(turn.openid))
        if conversation is not None and conversation.status == "open":
            conversation.close(None, "unfollowed", turn.now)
            turn.keep(conversation)

    def on_scan(self, turn: Turn) -> None:
        scene = turn.inbound.scene or ""
        if not scene:
            return
        source = self.attribution(scene)
        referrer_id = source.referrer_id if source.referrer_id != turn.member_id else None
        turn.message.record_scan(
            turn.member_id, scene, source.store_id, source.campaign_id, referrer_id, turn.now
        )
        self.give_scan_gift(turn, source)

    def give_scan_gift(self, turn: Turn, source: Attribution) -> None:
        """At most one gift per scan: the first running scan_gift campaign that says yes."""
        for campaign_id in self.scan_gift_campaigns(source):
            try:
                result, changed = self.decide_claim(campaign_id, turn.member_id, "scan-gift")
            except DomainError:
                continue
            turn.keep(*changed)
            turn.reply(text_reply(gift_text(SCAN_GIFT_TEXT, result)), "scan-gift")
            return

    def scan_gift_campaigns(self, source: Attribution) -> list[UUID]:
        """scan_gift campaigns for a scanned campaign or store; running or not, the claim
        decides (its rules are the authority on status, window, stock and limits)."""
        if source.campaign_id and source.referrer_id is None:
            found = [(source.campaign_id, self.campaign(source.campaign_id).terms)]
            return [i for i, terms in found if terms.kind == "scan_gift"]
        if source.store_id is None:
            return []
        return [
            campaign_id
            for campaign_id, store_ids in self.scan_gifts()
            if store_ids is None or source.store_id in store_ids
        ]

    def scan_gifts(self) -> list[tuple[UUID, list[UUID] | None]]:
        """(id, store_ids) of every scan_gift campaign, read again only when the campaign
        catalog grows: a campaign's kind and stores never change."""
        catalog = self.maybe(Catalog, Catalog.id_for("campaigns"))
        version = catalog.version if catalog else 0
        known_version, gifts = self.scan_gift_index
        if version != known_version:
            ids = catalog.item_ids if catalog else []
            terms = [(i, self.campaign(i).terms) for i in ids]
            gifts = [(i, t.store_ids) for i, t in terms if t.kind == "scan_gift"]
            self.scan_gift_index = (version, gifts)
        return gifts

    def on_click(self, turn: Turn) -> None:
        key = turn.inbound.event_key or ""
        turn.message.record_click(turn.member_id, key, turn.now)
        self.reply_by_rule(turn, "click", key)

    def on_location(self, turn: Turn) -> None:
        inbound = turn.inbound
        if inbound.latitude is None or inbound.longitude is None:
            return
        label = inbound.fields.get("Label") or None
        # Nonsense coordinates are refused; the push itself is recorded all the same.
        with suppress(DomainError):
            turn.message.record_location(
                turn.member_id,
                inbound.latitude,
                inbound.longitude,
                inbound.precision,
                label,
                turn.now,
            )
            region = region_at(inbound.latitude, inbound.longitude)
            if region and turn.member is not None:
                turn.member.detect_region(region)
                turn.keep(turn.member)

    def queue_for_agent(self, turn: Turn) -> None:
        conversation_id = Conversation.id_for(turn.openid)
        conversation = self.maybe(Conversation, conversation_id)
        if conversation is None:
            member_id = turn.member.id if turn.member else None
            conversation = Conversation.start(turn.openid, member_id)
        inbound = turn.inbound
        conversation.queue(inbound.key, inbound.msg_type, inbound.summary(), turn.now)
        turn.keep(conversation)
