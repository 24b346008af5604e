"""A push being decided (`Turn`), what the callback answers, and the words replies use."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate

from domain.autoreply import DEFAULT_COUPON_TEXT
from domain.inbound import Inbound, InboundMessage
from domain.member import Member
from services.app.campaigns import ClaimResult

SHANGHAI = timezone(timedelta(hours=8), "Asia/Shanghai")
SCAN_GIFT_TEXT = "扫码有礼：" + DEFAULT_COUPON_TEXT
POINTS_TEXT = "已为您增加 {points} 积分。"
CLAIMED_BEFORE = "您已领取过{title}：券码 {code}。"
FLOW_DONE = "您已经完成过这个问答，谢谢！"
REFUSALS = {
    "campaign-out-of-stock": "抱歉，优惠券已经领完了。",
    "campaign-not-running": "抱歉，活动未开始或已结束。",
    "claim-limit-reached": "您已经领取过了。",
}
REFUSED = "抱歉，暂时无法领取。"


@dataclass(frozen=True)
class InboundAnswer:
    """What the callback answers: the passive reply (text or news), if any."""

    message_key: str
    reply: dict[str, Any] | None
    duplicate: bool


@dataclass
class Turn:
    """One push being decided: the aggregates it changes, to be saved together."""

    inbound: Inbound
    now: datetime
    message: InboundMessage
    member: Member | None
    changed: dict[UUID, Aggregate] = field(default_factory=dict)
    enrolled: set[UUID] = field(default_factory=set)  # a member made by this push

    @property
    def openid(self) -> str:
        return self.inbound.openid

    @property
    def member_id(self) -> UUID:
        return Member.id_for(self.inbound.openid)

    @property
    def answered(self) -> bool:
        return self.message.reply is not None

    def keep(self, *aggregates: Aggregate) -> None:
        for aggregate in aggregates:
            kept = self.changed.setdefault(aggregate.id, aggregate)
            if kept is not aggregate:  # two copies would conflict with each other on save
                raise RuntimeError(f"two copies of aggregate {aggregate.id} in one turn")

    def reply(self, reply: dict[str, Any], source: str, rule_id: UUID | None = None) -> None:
        self.message.answer(reply, source, self.member_id, rule_id, self.now)

    def enrol(self, *aggregates: Aggregate) -> None:
        self.keep(*aggregates)
        self.enrolled.update(aggregate.id for aggregate in aggregates)

    def aggregates(self) -> list[Aggregate]:
        """The enrolment first (no event of a member comes before their follow: the views
        count on it), then the push and everything else it changed."""
        changed = self.changed.values()
        enrolment = [a for a in changed if a.id in self.enrolled]
        return [*enrolment, self.message, *(a for a in changed if a.id not in self.enrolled)]


def local_date(moment: datetime | None) -> str:
    return moment.astimezone(SHANGHAI).date().isoformat() if moment else ""


def gift_text(template: str, result: ClaimResult) -> str:
    if result.code is None:
        return POINTS_TEXT.format(points=result.points)
    return template.format(
        code=result.code, title=result.title, valid_until=local_date(result.valid_until)
    )
