"""The till: scan a code, redeem a coupon, record a purchase."""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, Field

from services.api.schemas.common import OrderRef, RequestBody, ScannedCode


class ScanRequest(RequestBody):
    code: ScannedCode


class TillCoupon(BaseModel):
    code: str
    title: str
    value_fen: int
    status: str
    valid_until: datetime
    redeemable: bool
    reason: str | None


class TillMember(BaseModel):
    id: UUID
    points: int
    coupons: list[TillCoupon]


class MemberScan(BaseModel):
    kind: Literal["member"] = "member"
    member: TillMember


class CouponScan(BaseModel):
    kind: Literal["coupon"] = "coupon"
    coupon: TillCoupon


class RedeemRequest(RequestBody):
    order_ref: OrderRef | None = None


class RedemptionOut(BaseModel):
    code: str
    status: str
    store_id: UUID
    redeemed_at: datetime


class PurchaseRequest(RequestBody):
    member_code: ScannedCode
    amount_fen: int = Field(ge=1, le=100_000_000)
    order_ref: OrderRef


class PurchaseOut(BaseModel):
    points_earned: int
    balance: int
