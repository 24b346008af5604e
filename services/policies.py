"""Process managers that react to the event log: rewards, gifts and messages to send.

They follow the application's notification log from a tracked position. Every
command they issue is idempotent (a derived idempotency key or points reference),
so re-processing after a crash never rewards twice: at-least-once delivery with
idempotent commands gives exactly-once effects.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from contextlib import suppress
from typing import Any
from uuid import UUID

from eventsourcing.persistence import Tracking
from eventsourcing.utils import get_topic

from domain.conversation import Conversation
from domain.correction import Correction
from domain.errors import DomainError
from domain.inbound import InboundMessage
from domain.member import Member
from domain.personal import ERASED
from domain.points import ReferenceAlreadyCounted
from domain.referral import ReferralReward
from domain.review import ReferralReview
from projections.sql import tracking_recorder
from services.app import Lianjie

log = logging.getLogger(__name__)
TRACKING_NAME = "policies"
REFERRAL_CAMPAIGN_KINDS = ("referral_reward", "share_gift")


class Policies:
    """Runs the policies over new log entries: follows reward, replies are queued to send."""

    def __init__(self, app: Lianjie, batch_size: int = 500) -> None:
        self.app = app
        self.batch_size = batch_size
        self.tracking = tracking_recorder(app)
        self.handlers: dict[str, Callable[[Any], None]] = {
            get_topic(Member.Followed): self.on_followed,
            get_topic(Member.Refollowed): self.review_referral,
            get_topic(ReferralReview.Approved): self.on_referral_approved,
            get_topic(InboundMessage.ReplyDeferred): self.send_deferred_reply,
            get_topic(Correction.Addressed): self.send_text,
            get_topic(Conversation.Answered): self.send_text,
        }

    def run_once(self) -> int:
        """Process everything new in the log; returns how many events were handled."""
        handled = 0
        while batch := self.next_batch():
            self.app.mapper.load_keys_of(batch)
            for notification in batch:
                self.handlers[notification.topic](self.app.mapper.to_domain_event(notification))
            handled += len(batch)
            self.tracking.insert_tracking(Tracking(TRACKING_NAME, batch[-1].id))
        return handled

    def next_batch(self):
        position = self.tracking.max_tracking_id(TRACKING_NAME)
        return self.app.recorder.select_notifications(
            start=position,
            limit=self.batch_size,
            topics=list(self.handlers),
            inclusive_of_start=position is None,
        )

    def on_followed(self, followed: Member.Followed) -> None:
        self.review_referral(followed)
        if followed.campaign_id and followed.scene == f"campaign:{followed.campaign_id}":
            self.give_follow_gift(followed)

    def review_referral(self, follow: Member.Followed | Member.Refollowed) -> None:
        """A follow through an invitation is judged first; only a cleared one pays now."""
        review = self.app.review_referral(
            follow.originator_id, follow.originator_version, follow.scene, follow.at
        )
        if review is not None and review.status == "cleared":
            self.pay_referral(review.member_id, review.campaign_id)

    def on_referral_approved(self, approved: ReferralReview.Approved) -> None:
        review = self.app.get_referral_review(approved.originator_id)
        self.pay_referral(review.member_id, review.campaign_id)

    def pay_referral(self, new_member_id: UUID, campaign_id: UUID | None) -> None:
        for reward in self.app.referral_rewards(new_member_id):
            self.reward_referrer(new_member_id, campaign_id, reward)

    def reward_referrer(
        self, new_member_id: UUID, campaign_id: UUID | None, reward: ReferralReward
    ) -> None:
        if reward.level == 1 and campaign_id and self.is_referral_campaign(campaign_id):
            self.claim_quietly(campaign_id, reward.member_id, f"referral:{new_member_id}")
            return
        points = self.app.rules.referral_points_at(reward.level)
        if points:
            reference = f"referral:{new_member_id}:L{reward.level}"
            # Rewarded already before a crash? The reference keeps it to once.
            with suppress(ReferenceAlreadyCounted):
                self.app.award_points(reward.member_id, points, "referral", reference)

    def give_follow_gift(self, followed: Member.Followed) -> None:
        campaign = self.app.get_campaign(followed.campaign_id)
        if campaign.kind == "follow_gift":
            member_id = followed.originator_id
            self.claim_quietly(campaign.id, member_id, f"follow-gift:{member_id}")

    def send_deferred_reply(self, deferred: InboundMessage.ReplyDeferred) -> None:
        """A reply that missed WeChat's 5-second window goes out through the outbox."""
        if self.erased(deferred.openid, deferred.outbox_key):
            return
        reply = deferred.reply
        self.app.queue_outbound(deferred.openid, reply["type"], reply, deferred.outbox_key)

    def send_text(self, said: Correction.Addressed | Conversation.Answered) -> None:
        """A correction of a wrong auto-reply, or an agent's answer, through the outbox."""
        if self.erased(said.openid, said.outbox_key):
            return
        payload = {"type": "text", "content": said.text}
        self.app.queue_outbound(said.openid, "text", payload, said.outbox_key)

    @staticmethod
    def erased(openid: str, outbox_key: str) -> bool:
        """The follower was erased before the message was queued: nobody left to send to."""
        if ERASED in (openid, outbox_key):
            log.info("not queued: the follower's personal data was erased")
            return True
        return False

    def is_referral_campaign(self, campaign_id: UUID) -> bool:
        return self.app.get_campaign(campaign_id).kind in REFERRAL_CAMPAIGN_KINDS

    def claim_quietly(self, campaign_id: UUID, member_id: UUID, key: str) -> None:
        """Claim on a member's behalf; a rule that says no (stock, limit, window) is logged."""
        reason = key.split(":", maxsplit=1)[0]
        try:
            self.app.claim(campaign_id, member_id, idempotency_key=key, reason=reason)
        except DomainError as refusal:
            log.info("no %s for member %s: %s", key, member_id, refusal.slug)
