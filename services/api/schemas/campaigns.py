"""Campaigns: what followers can claim, when, where and how many."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Literal
from uuid import UUID

from pydantic import AfterValidator, AwareDatetime, BaseModel, Field

from domain.campaign import KINDS
from services.api.schemas.common import Name, RequestBody, Title

Kind = Literal[KINDS]  # type: ignore[valid-type]
Status = Literal["draft", "running", "paused", "ended"]


def in_utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC)


# Any offset is accepted (Asia/Shanghai is +08:00); times are kept in UTC.
UtcDatetime = Annotated[AwareDatetime, AfterValidator(in_utc)]


class CouponReward(RequestBody):
    type: Literal["coupon"]
    title: Title
    value_fen: int = Field(ge=0, le=100_000_000)


class PointsReward(RequestBody):
    type: Literal["points"]
    points: int = Field(ge=1, le=1_000_000)


Reward = Annotated[CouponReward | PointsReward, Field(discriminator="type")]


class CampaignCreate(RequestBody):
    name: Name
    kind: Kind
    reward: Reward
    stock: int | None = Field(None, ge=1, le=10_000_000)
    per_member_limit: int = Field(1, ge=1, le=100)
    starts_at: UtcDatetime | None = None
    ends_at: UtcDatetime | None = None
    store_ids: list[UUID] | None = Field(None, min_length=1, max_length=1000)
    coupon_valid_days: int = Field(30, ge=1, le=3650)
    points_cost: int = Field(0, ge=0, le=1_000_000, description="points_exchange only")


class CampaignOut(BaseModel):
    id: UUID
    name: str
    kind: str
    status: Status
    reward: CouponReward | PointsReward
    stock: int | None
    per_member_limit: int
    starts_at: AwareDatetime | None
    ends_at: AwareDatetime | None
    store_ids: list[UUID] | None
    coupon_valid_days: int
    points_cost: int


class CampaignList(BaseModel):
    items: list[CampaignOut]
