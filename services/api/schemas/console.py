"""What the operator console reads: member labels and history, campaign figures, boards."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from pydantic import BaseModel


class MemberLabel(BaseModel):
    id: UUID
    openid: str


class MemberLabels(BaseModel):
    items: list[MemberLabel]


class HistoryEntryOut(BaseModel):
    at: datetime
    aggregate: str
    event: str
    details: dict[str, Any]


class MemberHistory(BaseModel):
    items: list[HistoryEntryOut]


class ConsoleCoupon(BaseModel):
    code: str
    title: str
    value_fen: int
    status: str
    valid_until: datetime
    campaign_id: UUID


class MemberWallet(BaseModel):
    member_id: UUID
    openid: str
    following: bool
    member_since: datetime
    store_id: UUID | None
    points: int
    points_expiring_soon: int
    tags: list[str]
    referrals: int
    coupons: list[ConsoleCoupon]


class CampaignFigures(BaseModel):
    campaign_id: UUID
    claims: int
    redemptions: int
    stock: int | None
    remaining: int | None


class CampaignFiguresList(BaseModel):
    items: list[CampaignFigures]


class ContributionEntryOut(BaseModel):
    rank: int
    member_id: UUID
    score: float
    spreading: int
    interaction: int
    spending: int
    self_growth: int


class ContributionBoard(BaseModel):
    entries: list[ContributionEntryOut]
