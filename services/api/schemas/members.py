"""Followers: their profile, cards, coupons, claims and shares."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from pydantic import BaseModel, Field

from services.api.schemas.common import RequestBody


class MemberOut(BaseModel):
    id: UUID
    openid: str
    following: bool
    followed_at: datetime
    region: str | None
    phone: str | None
    tags: list[str]
    scene: str | None
    store_id: UUID | None
    campaign_id: UUID | None
    referrer_id: UUID | None


class CardOut(BaseModel):
    payload: str
    expires_at: datetime


class CardActivationOut(BaseModel):
    """When the follower's member card was activated (the first activation's time)."""

    activated_at: datetime


class CouponOut(BaseModel):
    code: str
    campaign_id: UUID
    title: str
    value_fen: int
    status: str
    valid_from: datetime
    valid_until: datetime
    store_ids: list[UUID] | None
    redeemed_at: datetime | None


class ClaimOut(BaseModel):
    """A claimed coupon (code, title, valid_until) or, for points rewards, the points; or a
    claim held for review (202, status "held"): nothing issued yet."""

    code: str | None
    title: str | None
    status: str = Field(description='"issued", or "held" for review (nothing issued yet)')
    valid_until: datetime | None
    points: int
    campaign_id: UUID
    review_id: UUID | None = Field(None, description="the review of a held claim")


class ShareCreate(RequestBody):
    campaign_id: UUID | None = None


class ShareOut(BaseModel):
    token: str
    url: str
    scene: str
