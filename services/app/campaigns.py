"""Use cases for campaigns: define, start, pause, end, and claim against sharded stock."""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate

from domain.campaign import Campaign, CampaignNotFound, CampaignTerms
from domain.claim import CampaignOutOfStock, Claim
from domain.claim_review import ClaimDevice, ClaimReview
from domain.codes import new_coupon_code
from domain.coupon import Coupon
from domain.member import NotFollowing
from domain.points import PointsAccount
from domain.stock import StockShard
from services.app.catalog import CatalogUseCases
from services.app.points import PointsUseCases


@dataclass(frozen=True)
class CampaignView:
    id: UUID
    name: str
    kind: str
    status: str
    reward: dict[str, Any]
    stock: int | None
    per_member_limit: int
    starts_at: datetime | None
    ends_at: datetime | None
    store_ids: list[UUID] | None
    coupon_valid_days: int
    points_cost: int


@dataclass(frozen=True)
class ClaimResult:
    """What a claim gave: a coupon (code, title, valid_until) or points; or, held for
    review (status "held"), nothing yet and the review's id."""

    claim_id: UUID | None
    campaign_id: UUID
    member_id: UUID
    code: str | None
    title: str | None
    status: str
    valid_until: datetime | None
    points: int
    review_id: UUID | None = None  # absent from answers recorded before claims were held


def held_result(review: ClaimReview) -> ClaimResult:
    return ClaimResult(
        claim_id=None,
        campaign_id=review.campaign_id,
        member_id=review.member_id,
        code=None,
        title=None,
        status="held",
        valid_until=None,
        points=0,
        review_id=review.id,
    )


def campaign_view(campaign: Campaign) -> CampaignView:
    terms = campaign.terms
    return CampaignView(
        id=campaign.id,
        name=terms.name,
        kind=terms.kind,
        status=campaign.status,
        reward=terms.reward.as_dict(),
        stock=terms.stock,
        per_member_limit=terms.per_member_limit,
        starts_at=terms.starts_at,
        ends_at=terms.ends_at,
        store_ids=terms.store_ids,
        coupon_valid_days=terms.coupon_valid_days,
        points_cost=terms.points_cost,
    )


class CampaignUseCases(PointsUseCases, CatalogUseCases):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Shards never refill, so a shard seen empty stays empty: skip it next time.
        self.empty_shards: dict[UUID, set[int]] = defaultdict(set)

    def create_campaign(self, terms: CampaignTerms) -> CampaignView:
        """Define a campaign in draft, with its stock split over shards."""

        def attempt() -> Campaign:
            campaign = Campaign.create(terms)
            shards = [
                StockShard.stock(campaign.id, index, units)
                for index, units in enumerate(campaign.shard_units)
            ]
            self.save(campaign, *shards, self.catalogued("campaigns", campaign.id))
            return campaign

        return campaign_view(self.retrying(attempt))

    def list_campaigns(
        self, status: str | None = None, offset: int = 0, limit: int = 100
    ) -> list[CampaignView]:
        """Campaigns in the order they were defined, optionally only those in one status."""
        views = [self.get_campaign(i) for i in self.catalog_ids("campaigns", offset, limit)]
        return [view for view in views if status is None or view.status == status]

    def start_campaign(self, campaign_id: UUID) -> CampaignView:
        """Open a campaign for claims."""
        return campaign_view(self.update(lambda: self.campaign(campaign_id), Campaign.start))

    def pause_campaign(self, campaign_id: UUID) -> CampaignView:
        """Stop claims for now."""
        return campaign_view(self.update(lambda: self.campaign(campaign_id), Campaign.pause))

    def end_campaign(self, campaign_id: UUID) -> CampaignView:
        """Close a campaign for good."""
        return campaign_view(self.update(lambda: self.campaign(campaign_id), Campaign.end))

    def get_campaign(self, campaign_id: UUID) -> CampaignView:
        """A campaign by id."""
        return campaign_view(self.campaign(campaign_id))

    def campaign(self, campaign_id: UUID) -> Campaign:
        return self.load(Campaign, campaign_id, CampaignNotFound)

    def claim(
        self,
        campaign_id: UUID,
        member_id: UUID,
        idempotency_key: str | None = None,
        reason: str = "claim",
        device: str | None = None,
    ) -> ClaimResult:
        """Claim a campaign's reward for a member: stock, window and per-member limit hold.
        A claim from a `device` that claimed the campaign for other members is held."""
        reads = [campaign_id, member_id, Claim.id_for(campaign_id, member_id, 1)]
        if device is not None:
            reads.append(ClaimDevice.id_for(campaign_id, device))
        return self.once(
            f"claim:{campaign_id}:{member_id}",
            idempotency_key,
            ClaimResult,
            lambda: self.decide_claim(campaign_id, member_id, reason, device),
            coalesce=True,
            reads=reads,
        )

    def decide_claim(
        self, campaign_id: UUID, member_id: UUID, reason: str, device: str | None = None
    ) -> tuple[ClaimResult, list[Aggregate]]:
        now = self.now()
        campaign = self.campaign(campaign_id)
        campaign.check_claimable(now)
        if not self.member(member_id).following:
            raise NotFollowing("only followers can claim")
        terms = campaign.terms
        slot = self.free_claim_slot(campaign, member_id)
        claim_id = Claim.id_for(campaign_id, member_id, slot)
        changed: list[Aggregate] = []
        if device is not None:
            claimed_from = self.claim_device(campaign_id, device)
            if claimed_from.holds(member_id, self.rules.claim_device_members):
                return self.hold_claim(campaign, member_id, slot, claimed_from, now)
            claimed_from.record(member_id)
            changed.append(claimed_from)
        if terms.stock:
            changed.append(self.reserve_unit(campaign, claim_id))
        coupon = self.coupon_reward(campaign, member_id, now)
        if coupon:
            changed.append(coupon)
        if terms.points_cost or coupon is None:
            changed.append(self.points_for_claim(campaign, member_id, claim_id, reason, now))
        claim = Claim.make(
            campaign_id,
            member_id,
            slot,
            terms.per_member_limit,
            coupon_code=coupon.code if coupon else None,
            points=terms.reward.points,
            reason=reason,
        )
        result = ClaimResult(
            claim_id=claim.id,
            campaign_id=campaign_id,
            member_id=member_id,
            code=coupon.code if coupon else None,
            title=coupon.title if coupon else None,
            status="issued",
            valid_until=coupon.valid_until if coupon else None,
            points=terms.reward.points,
        )
        return result, [claim, *changed]

    def claim_device(self, campaign_id: UUID, device: str) -> ClaimDevice:
        """Whom this device claimed the campaign for (nobody yet: a fresh record)."""
        found = self.maybe(ClaimDevice, ClaimDevice.id_for(campaign_id, device))
        return found if found is not None else ClaimDevice.start(campaign_id, device)

    def hold_claim(
        self, campaign: Campaign, member_id: UUID, slot: int, device: ClaimDevice, now: datetime
    ) -> tuple[ClaimResult, list[Aggregate]]:
        """Hold the member's claim for review, once: holding it again finds the review."""
        Claim.check_slot(slot, campaign.terms.per_member_limit)
        review_id = ClaimReview.id_for(campaign.id, member_id, slot)
        review = self.maybe(ClaimReview, review_id)
        if review is None:
            review = ClaimReview.hold(campaign.id, member_id, slot, device, now)
            return held_result(review), [review]
        review.check_still_held()
        return held_result(review), []

    def coupon_reward(self, campaign: Campaign, member_id: UUID, now: datetime) -> Coupon | None:
        """The coupon a claim issues, when the campaign's reward is one."""
        reward = campaign.terms.reward
        if reward.type != "coupon":
            return None
        return Coupon.issue(
            new_coupon_code(),
            campaign.id,
            member_id,
            reward.title,
            reward.value_fen,
            campaign.coupon_window(now),
            campaign.terms.store_ids,
        )

    def points_for_claim(
        self, campaign: Campaign, member_id: UUID, claim_id: UUID, reason: str, now: datetime
    ) -> PointsAccount:
        """The member's account after paying the claim's points cost and earning its points."""
        terms = campaign.terms
        account = self.points_account(member_id)
        if terms.points_cost:
            account.spend(terms.points_cost, "exchange", f"claim:{claim_id}", now)
        if terms.reward.type != "coupon":
            expiry = now + self.rules.points_valid_for
            account.earn(terms.reward.points, reason, f"claim:{claim_id}", expiry)
        return account

    def free_claim_slot(self, campaign: Campaign, member_id: UUID) -> int:
        """The member's first unused claim slot; one past the limit when all are used."""
        limit = campaign.terms.per_member_limit
        for slot in range(1, limit + 1):
            if not self.exists(Claim.id_for(campaign.id, member_id, slot)):
                return slot
        return limit + 1

    def reserve_unit(self, campaign: Campaign, claim_id: UUID) -> StockShard:
        """Reserve one unit from a shard that still has some, trying from a random one."""
        empty = self.empty_shards[campaign.id]
        candidates = [i for i in range(campaign.shard_count) if i not in empty]
        start = random.randrange(len(candidates)) if candidates else 0
        for index in candidates[start:] + candidates[:start]:
            shard: StockShard = self.get_aggregate(StockShard.id_for(campaign.id, index))
            if shard.remaining > 0:
                shard.reserve(claim_id)
                return shard
            empty.add(index)
        raise CampaignOutOfStock(f"campaign {campaign.terms.name} has no stock left")
