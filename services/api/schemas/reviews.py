"""The referral review queue: judged referrals, and an operator's verdict on one."""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, Field

from services.api.schemas.common import RequestBody, text

ReviewStatus = Literal["flagged", "approved", "rejected", "refused", "capped", "cleared"]
Note = text(0, 200)


class ReviewOut(BaseModel):
    """One referred follow's fraud review; members are named by id."""

    id: UUID
    member_id: UUID = Field(description="the follower who was referred")
    referrer_id: UUID = Field(description="the owner of the invitation they came through")
    campaign_id: UUID | None
    status: ReviewStatus = Field(
        description="flagged (held for review), approved or rejected (by an operator), "
        "refused (self-referral, cycle, refollow), capped (daily cap), cleared (paid)"
    )
    reasons: list[str] = Field(
        examples=[["burst"], ["one-device", "owner-device"], ["refollow"], ["daily-cap-20"]]
    )
    followed_at: datetime
    decided_at: datetime | None
    operator_id: UUID | None = Field(description="who approved or rejected it")
    note: str


class ReviewList(BaseModel):
    items: list[ReviewOut]
    counts: dict[str, int] = Field(description="reviews of each status, all referrers")


class ReviewDecision(RequestBody):
    note: Note = ""  # type: ignore[valid-type]
