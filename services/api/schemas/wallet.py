"""The follower's wallet and the referral leaderboard, as read models show them."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from pydantic import BaseModel

from services.api.schemas.members import CardOut


class WalletCouponOut(BaseModel):
    code: str
    title: str
    value_fen: int
    status: str
    valid_until: datetime
    campaign_id: UUID


class WalletOut(BaseModel):
    member_id: UUID
    points: int
    points_expiring_soon: int
    coupons: list[WalletCouponOut]
    card: CardOut
    tags: list[str]
    referrals: int
    rank: int | None
    card_activated_at: datetime | None


class LeaderboardEntryOut(BaseModel):
    rank: int
    member_id: UUID
    referrals: int


class LeaderboardOut(BaseModel):
    entries: list[LeaderboardEntryOut]
