"""What a follower can claim: running campaigns, and gifts that cost points."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from pydantic import BaseModel

from services.api.schemas.campaigns import CouponReward, PointsReward


class ClaimableCampaign(BaseModel):
    id: UUID
    name: str
    kind: str
    reward: CouponReward | PointsReward
    points_cost: int
    per_member_limit: int
    ends_at: datetime | None
    store_ids: list[UUID] | None


class ClaimableCampaigns(BaseModel):
    items: list[ClaimableCampaign]
