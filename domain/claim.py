"""Claim: a member's n-th claim on a campaign. Its id is the per-member limit.

Claim ids are derived from (campaign, member, slot) with slot in 1..limit, so a
member can only ever create `limit` of them: a racing duplicate collides on the
same id and loses.
"""

from __future__ import annotations

from uuid import UUID

from eventsourcing.domain import Aggregate

from domain.errors import DomainError, InvalidInput
from domain.ids import derived_id


class ClaimLimitReached(DomainError):
    """The member has claimed this campaign as often as it allows."""

    slug = "claim-limit-reached"
    title = "Claim limit reached"


class CampaignOutOfStock(DomainError):
    """Every unit of the campaign's stock is taken."""

    slug = "campaign-out-of-stock"
    title = "Campaign out of stock"


class Claim(Aggregate):
    """One claim: which member took what from which campaign."""

    @staticmethod
    def id_for(campaign_id: UUID, member_id: UUID, slot: int) -> UUID:
        return derived_id("claim", campaign_id, member_id, slot)

    class Made(Aggregate.Created):
        campaign_id: UUID
        member_id: UUID
        slot: int
        coupon_code: str | None
        points: int
        reason: str

    def __init__(
        self,
        campaign_id: UUID,
        member_id: UUID,
        slot: int,
        coupon_code: str | None,
        points: int,
        reason: str,
    ) -> None:
        self.campaign_id = campaign_id
        self.member_id = member_id
        self.slot = slot
        self.coupon_code = coupon_code
        self.points = points
        self.reason = reason

    @staticmethod
    def check_slot(slot: int, limit: int) -> None:
        if slot > limit:
            raise ClaimLimitReached(f"at most {limit} claim(s) per member")
        if slot < 1:
            raise InvalidInput("claim slots count from 1")

    @classmethod
    def make(
        cls,
        campaign_id: UUID,
        member_id: UUID,
        slot: int,
        limit: int,
        *,
        coupon_code: str | None = None,
        points: int = 0,
        reason: str = "claim",
    ) -> Claim:
        """Claim slot `slot` of at most `limit` for a member."""
        cls.check_slot(slot, limit)
        return cls._create(
            cls.Made,
            id=cls.id_for(campaign_id, member_id, slot),
            campaign_id=campaign_id,
            member_id=member_id,
            slot=slot,
            coupon_code=coupon_code,
            points=points,
            reason=reason,
        )
