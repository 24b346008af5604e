"""What the till page reads beyond the scan: a coupon in full, and who a member card is."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from pydantic import BaseModel

from services.api.schemas.common import RequestBody, ScannedCode


class CouponDetails(BaseModel):
    """A coupon as the till shows it, in the staff member's store."""

    code: str
    title: str
    value_fen: int
    status: str
    valid_from: datetime
    valid_until: datetime
    redeemable: bool
    reason: str | None
    redeemed_at: datetime | None
    redeemed_store_id: UUID | None
    redeemed_store_name: str | None
    reversible_until: datetime | None


class CardRequest(RequestBody):
    code: ScannedCode


class TillMemberProfile(BaseModel):
    """Who a scanned member card belongs to (from the wallet read model)."""

    id: UUID
    openid: str
    following: bool
    member_since: datetime
    points: int
    points_expiring_soon: int
    tags: list[str]
