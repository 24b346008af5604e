"""Use cases for referrals: share tokens, their openings, the fraud review of each
referred follow, and who a new follower's referrers are."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from uuid import UUID

from domain.errors import DomainError
from domain.member import Member, MemberNotFound
from domain.referral import (
    InvitationDevice,
    ReferralReward,
    ShareToken,
    ShareTokenNotFound,
    rewards_for,
)
from domain.review import (
    ReferralFacts,
    ReferralReview,
    ReferralReviewNotFound,
    ReferrerDay,
    shanghai_day,
)
from domain.scenes import parse_scene
from services.app.base import AppBase

MAX_CHAIN = 1000  # a cycle is looked for this far up the referrer chain


@dataclass(frozen=True)
class ShareView:
    token: str
    owner_id: UUID
    campaign_id: UUID | None
    scene: str


@dataclass(frozen=True)
class ReviewView:
    id: UUID
    member_id: UUID
    referrer_id: UUID
    campaign_id: UUID | None
    followed_at: datetime
    status: str
    reasons: list[str]
    operator_id: UUID | None
    decided_at: datetime | None
    note: str
    pays: bool


def review_view(review: ReferralReview) -> ReviewView:
    return ReviewView(
        review.id,
        review.member_id,
        review.referrer_id,
        review.campaign_id,
        review.followed_at,
        review.status,
        list(review.reasons),
        review.operator_id,
        review.decided_at,
        review.note,
        review.pays,
    )


class ReferralUseCases(AppBase):
    def create_share(
        self, member_id: UUID, campaign_id: UUID | None = None, device: str | None = None
    ) -> ShareView:
        """A fresh invitation token for a member (optionally for one campaign), remembering
        the device it was asked for from."""
        self.load(Member, member_id, MemberNotFound)
        share = ShareToken.share(member_id, campaign_id, device)
        self.save(share)
        return ShareView(share.token, share.owner_id, share.campaign_id, share.scene)

    def share_token(self, token: str) -> ShareToken:
        return self.load(ShareToken, ShareToken.id_for(token), ShareTokenNotFound)

    def open_invitation(self, token: str, device: str) -> None:
        """Someone opened an invitation link from a device (a keyed hash of IP and browser)."""
        limits = self.rules.fraud

        def attempt() -> None:
            now = self.now()
            share = self.share_token(token)
            opening = self.maybe(InvitationDevice, InvitationDevice.id_for(token, device))
            if opening is None:
                opening = InvitationDevice.start(token, device)
            opening.open(now)
            share.notice_opening(opening, limits.device_opens, limits.window, now)
            self.save(opening, share)

        self.retrying(attempt)

    def review_referral(
        self, member_id: UUID, follow_version: int, scene: str | None, at: datetime
    ) -> ReviewView | None:
        """Judge a follow through an invitation, once (a repeat returns the first judgement);
        None when the follow came through no invitation."""
        share = self.invitation_in(scene)
        if share is None:
            return None
        review_id = ReferralReview.id_for(member_id, follow_version)

        def attempt() -> ReviewView:
            if self.exists(review_id):
                return self.get_referral_review(review_id)
            review, days = self.judge(share, member_id, follow_version, at)
            self.save(review, *days)
            return review_view(review)

        return self.retrying(attempt)

    def judge(
        self, share: ShareToken, member_id: UUID, follow_version: int, at: datetime
    ) -> tuple[ReferralReview, list[ReferrerDay]]:
        limits = self.rules.fraud
        start = at - limits.window
        today = self.referrer_day(share.owner_id, shanghai_day(at))
        days = [today]
        if shanghai_day(start) != today.day:  # the window reaches back into yesterday
            days.append(self.referrer_day(share.owner_id, shanghai_day(start)))
        facts = ReferralFacts(
            member_id=member_id,
            referrer_id=share.owner_id,
            refollow=follow_version > 1,
            referrer_chain=self.referrer_chain(share.owner_id),
            follows_in_window=sum(day.follows_since(start) for day in days) + 1,
            suspicions=share.suspicions_since(start, at),
            rewards_today=today.rewards,
        )
        review = ReferralReview.judge(facts, limits, follow_version, share.campaign_id, at)
        if review.status == "refused":
            return review, []
        today.count(review)
        return review, [today]

    def referrer_day(self, referrer_id: UUID, day: date) -> ReferrerDay:
        day_id = ReferrerDay.id_for(referrer_id, day)
        if self.exists(day_id):
            return self.repository.get(day_id)
        return ReferrerDay.start(referrer_id, day)

    def invitation_in(self, scene: str | None) -> ShareToken | None:
        """The share token a follow's scene names, if it names one that exists."""
        try:
            parsed = parse_scene(scene or "")
            return self.share_token(parsed.value) if parsed.kind == "ref" else None
        except DomainError:
            return None

    def referrer_chain(self, member_id: UUID) -> list[UUID]:
        """Who brought this member in, who brought them in, ... (stops at a loop)."""
        chain: list[UUID] = []
        current = self.referrer_of(member_id)
        while current is not None and current not in chain and len(chain) < MAX_CHAIN:
            chain.append(current)
            current = self.referrer_of(current)
        return chain

    def approve_referral(self, review_id: UUID, operator_id: UUID, note: str = "") -> ReviewView:
        """An operator releases a held referral reward (the policies pay it, once)."""
        now = self.now()
        review = self.update(
            lambda: self.referral_review(review_id), lambda r: r.approve(operator_id, now, note)
        )
        return review_view(review)

    def reject_referral(self, review_id: UUID, operator_id: UUID, note: str = "") -> ReviewView:
        """An operator refuses a held referral reward for good."""
        now = self.now()
        review = self.update(
            lambda: self.referral_review(review_id), lambda r: r.reject(operator_id, now, note)
        )
        return review_view(review)

    def get_referral_review(self, review_id: UUID) -> ReviewView:
        """A referral's fraud review by id."""
        return review_view(self.referral_review(review_id))

    def referral_review(self, review_id: UUID) -> ReferralReview:
        return self.load(ReferralReview, review_id, ReferralReviewNotFound)

    def referral_rewards(self, new_member_id: UUID) -> list[ReferralReward]:
        """Who earns a reward for this member's first follow, level by level."""
        member = self.load(Member, new_member_id, MemberNotFound)
        return rewards_for(
            new_member_id,
            member.attribution.referrer_id,
            self.referrer_of,
            self.rules.referral_levels,
        )

    def referrer_of(self, member_id: UUID) -> UUID | None:
        return self.load(Member, member_id, MemberNotFound).attribution.referrer_id
