"""Followers: their profile, cards, coupons, claims and shares."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from pydantic import BaseModel

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
    """A claimed coupon (code, title, valid_until) or, for points rewards, the points."""

    code: str | None
    title: str | None
    status: str
    valid_until: datetime | None
    points: int
    campaign_id: UUID


class ShareCreate(RequestBody):
    campaign_id: UUID | None = None


class ShareOut(BaseModel):
    token: str
    url: str
    scene: str
