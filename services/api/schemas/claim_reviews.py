"""The claim review queue: claims held because their device claimed for other members."""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, Field

ClaimReviewStatus = Literal["held", "approved", "rejected", "out-of-stock"]


class ClaimReviewOut(BaseModel):
    """One held claim's review; members are named by id."""

    id: UUID
    campaign_id: UUID
    member_id: UUID = Field(description="the follower whose claim was held")
    device: str = Field(description="a keyed hash of the claiming IP and browser")
    other_members: list[UUID] = Field(
        description="the members this device had claimed the campaign for when it was held"
    )
    status: ClaimReviewStatus = Field(
        description="held (waiting for an operator), approved (the claim was made), "
        "rejected (never paid), out-of-stock (approved, but the stock had run out: nothing "
        "issued)"
    )
    held_at: datetime
    claim_id: UUID | None = Field(description="the claim an approval made")
    decided_at: datetime | None
    operator_id: UUID | None = Field(description="who decided it")
    note: str


class ClaimReviewList(BaseModel):
    items: list[ClaimReviewOut]
    counts: dict[str, int] = Field(description="reviews of each status, all campaigns")
