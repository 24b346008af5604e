"""Use cases for referrals: share tokens, and who a new follower's referrers are."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from domain.member import Member, MemberNotFound
from domain.referral import ReferralReward, ShareToken, ShareTokenNotFound, rewards_for
from services.app.base import AppBase


@dataclass(frozen=True)
class ShareView:
    token: str
    owner_id: UUID
    campaign_id: UUID | None
    scene: str


class ReferralUseCases(AppBase):
    def create_share(self, member_id: UUID, campaign_id: UUID | None = None) -> ShareView:
        """A fresh invitation token for a member (optionally for one campaign)."""
        self.load(Member, member_id, MemberNotFound)
        share = ShareToken.share(member_id, campaign_id)
        self.save(share)
        return ShareView(share.token, share.owner_id, share.campaign_id, share.scene)

    def share_token(self, token: str) -> ShareToken:
        return self.load(ShareToken, ShareToken.id_for(token), ShareTokenNotFound)

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
