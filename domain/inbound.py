"""InboundMessage: one message or event WeChat pushed to the callback, recorded once.

WeChat retries a push it got no answer to within five seconds, up to three times.
The aggregate's id derives from WeChat's own dedupe key (MsgId for messages;
sender, CreateTime and event for events), so a retry's creation collides and loses:
a message and everything it caused are saved once, in one transaction.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate

from domain.errors import DomainError, InvalidInput, NotFound
from domain.ids import derived_id
from domain.member import Member, openid_owner
from domain.personal import PersonalData, member_field
from domain.replies import check_reply


class InboundMessageNotFound(NotFound):
    """No inbound message has this key."""

    slug = "inbound-message-not-found"
    title = "Inbound message not found"


class AlreadyReplied(DomainError):
    """A message gets at most one passive reply."""

    slug = "already-replied"
    title = "Already replied"


class NothingToDefer(DomainError):
    """Only a reply that was decided and not yet deferred can be deferred."""

    slug = "nothing-to-defer"
    title = "Nothing to defer"


@dataclass(frozen=True)
class Inbound:
    """A push from WeChat in plain values; the WeChat adapter builds it from the XML."""

    openid: str  # FromUserName
    account: str  # ToUserName: the Official Account's original id
    msg_type: str  # text, image, voice, video, shortvideo, location, link, event, ...
    sent_at: int  # CreateTime, seconds since the epoch
    msg_id: int | None = None
    event: str | None = None  # subscribe, unsubscribe, scan, click, view, location, ...
    event_key: str | None = None  # EventKey exactly as sent
    scene: str | None = None  # the QR scene of a subscribe or SCAN, without qrscene_
    content: str | None = None  # a text message's Content
    latitude: float | None = None
    longitude: float | None = None
    precision: float | None = None
    fields: dict[str, str] = field(default_factory=dict, hash=False)  # everything WeChat sent

    @property
    def key(self) -> str:
        """WeChat's dedupe key: MsgId for messages; sender + CreateTime (+ event) for events."""
        if self.msg_type != "event" and self.msg_id:
            return f"msg:{self.msg_id}"
        # Two different events of one follower can share a second (subscribe, then
        # LOCATION on entering the chat): the event and its key keep them apart,
        # and a retry repeats both exactly.
        return f"event:{self.openid}:{self.sent_at}:{self.event or ''}:{self.event_key or ''}"

    @property
    def is_user_message(self) -> bool:
        """Something the follower wrote or sent (text, image, voice, location, link, ...)."""
        return self.msg_type != "event" and not self.msg_type.startswith("device_")

    def summary(self) -> str:
        """One line an agent can read: the text, or what was sent."""
        f = self.fields
        if self.msg_type == "text":
            return self.content or ""
        parts = {
            "image": ("[图片]", f.get("PicUrl", "")),
            "voice": ("[语音]", f.get("Recognition", "")),
            "location": ("[位置]", f"{f.get('Label', '')} ({self.latitude}, {self.longitude})"),
            "link": ("[链接]", f"{f.get('Title', '')} {f.get('Url', '')}"),
        }.get(self.msg_type, (f"[{self.msg_type}]", ""))
        return " ".join(part.strip() for part in parts if part.strip())


class InboundMessage(Aggregate):
    """A push from WeChat, what it meant (scan, location, click) and how it was answered."""

    @staticmethod
    def id_for(key: str) -> UUID:
        return derived_id("wechat-inbound", key)

    class Received(Aggregate.Created):
        """A push as WeChat sent it; `member_id` (whose, in clear) is recorded since v2."""

        class_version = 2
        # the key of an event push embeds the openid; `fields` has it and the text again
        personal_data = PersonalData(("key", "openid", "content", "fields"), member_field)
        key: str
        openid: str
        member_id: UUID
        msg_type: str
        event: str | None
        event_key: str | None
        content: str | None
        sent_at: datetime
        received_at: datetime
        fields: dict[str, str]

        @staticmethod
        def upcast_v1_v2(state: dict) -> None:
            state["member_id"] = Member.id_for(state["openid"])  # v1 was never sealed

    class Scanned(Aggregate.Event):
        """A follower scanned a QR scene (a SCAN event: they followed already)."""

        member_id: UUID
        scene: str
        store_id: UUID | None
        campaign_id: UUID | None
        referrer_id: UUID | None
        at: datetime

    class Located(Aggregate.Event):
        """WeChat reported where the follower is (LOCATION event or a location message)."""

        personal_data = PersonalData(("latitude", "longitude", "label"), member_field)
        member_id: UUID
        latitude: float
        longitude: float
        precision: float | None
        label: str | None
        at: datetime

    class MenuClicked(Aggregate.Event):
        member_id: UUID
        key: str
        at: datetime

    class Replied(Aggregate.Event):
        """The passive reply decided for this message; `source` says what chose it."""

        personal_data = PersonalData(("openid",), openid_owner)

        openid: str
        member_id: UUID | None
        reply: dict[str, Any]
        source: str  # rule, flow, scan-gift
        rule_id: UUID | None
        at: datetime

        def apply(self, message: InboundMessage) -> None:
            message.reply = self.reply

    class ReplyDeferred(Aggregate.Event):
        """The 5-second window passed before the reply was ready: send it through the outbox."""

        personal_data = PersonalData(("openid", "outbox_key"), openid_owner)

        openid: str
        reply: dict[str, Any]
        outbox_key: str
        at: datetime

        def apply(self, message: InboundMessage) -> None:
            message.deferred = True

    def __init__(
        self,
        key: str,
        openid: str,
        member_id: UUID,
        msg_type: str,
        event: str | None,
        event_key: str | None,
        content: str | None,
        sent_at: datetime,
        received_at: datetime,
        fields: dict[str, str],
    ) -> None:
        self.key = key
        self.openid = openid
        self.member_id = member_id
        self.msg_type = msg_type
        self.event = event
        self.event_key = event_key
        self.content = content
        self.sent_at = sent_at
        self.reply: dict[str, Any] | None = None
        self.deferred = False

    @classmethod
    def receive(cls, inbound: Inbound, now: datetime) -> InboundMessage:
        """Record a push as WeChat sent it; its id makes a retry collide."""
        if not inbound.openid.strip() or not inbound.msg_type.strip():
            raise InvalidInput("a WeChat push has a FromUserName and a MsgType")
        return cls._create(
            cls.Received,
            id=cls.id_for(inbound.key),
            key=inbound.key,
            openid=inbound.openid,
            member_id=Member.id_for(inbound.openid),
            msg_type=inbound.msg_type,
            event=inbound.event,
            event_key=inbound.event_key,
            content=inbound.content,
            sent_at=datetime.fromtimestamp(inbound.sent_at, UTC),
            received_at=now,
            fields=dict(inbound.fields),
        )

    def record_scan(
        self,
        member_id: UUID,
        scene: str,
        store_id: UUID | None,
        campaign_id: UUID | None,
        referrer_id: UUID | None,
        now: datetime,
    ) -> None:
        """Attribute a follower's scan to the store, campaign or sharer its scene names."""
        self.trigger_event(
            self.Scanned,
            member_id=member_id,
            scene=scene,
            store_id=store_id,
            campaign_id=campaign_id,
            referrer_id=referrer_id,
            at=now,
        )

    def record_location(
        self,
        member_id: UUID,
        latitude: float,
        longitude: float,
        precision: float | None,
        label: str | None,
        now: datetime,
    ) -> None:
        """Where the follower was; coordinates outside the globe are refused."""
        if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
            raise InvalidInput("latitude is -90..90 and longitude -180..180")
        self.trigger_event(
            self.Located,
            member_id=member_id,
            latitude=latitude,
            longitude=longitude,
            precision=precision,
            label=label,
            at=now,
        )

    def record_click(self, member_id: UUID, key: str, now: datetime) -> None:
        """A menu button with this key was clicked."""
        self.trigger_event(self.MenuClicked, member_id=member_id, key=key, at=now)

    def answer(
        self,
        reply: dict[str, Any],
        source: str,
        member_id: UUID | None,
        rule_id: UUID | None,
        now: datetime,
    ) -> None:
        """Decide the passive reply; a message gets at most one."""
        if self.reply is not None:
            raise AlreadyReplied(f"message {self.key} was answered already")
        self.trigger_event(
            self.Replied,
            openid=self.openid,
            member_id=member_id,
            reply=check_reply(reply),
            source=source,
            rule_id=rule_id,
            at=now,
        )

    def defer_reply(self, now: datetime) -> str:
        """The passive window passed: hand the reply to the outbox under a stable key."""
        if self.reply is None or self.deferred:
            raise NothingToDefer(f"message {self.key} has no reply waiting to be deferred")
        outbox_key = f"passive:{self.key}"
        self.trigger_event(
            self.ReplyDeferred, openid=self.openid, reply=self.reply, outbox_key=outbox_key, at=now
        )
        return outbox_key
