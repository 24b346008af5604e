"""Leaderboards for operators, read from the read models."""

from __future__ import annotations

from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, Query

from domain.errors import InvalidInput
from projections.leaderboard import referral_leaderboard
from services.api.deps import ContextDep, OperatorDep, ReadAfter
from services.api.schemas.common import problem_responses
from services.api.schemas.wallet import LeaderboardEntryOut, LeaderboardOut

router = APIRouter(
    prefix="/api/leaderboards",
    tags=["leaderboards"],
    responses=problem_responses(401, 403, 422),
    dependencies=[ReadAfter],
)
PeriodKey = Annotated[str, Query(max_length=10, pattern=r"^(\d{4}-\d{2}(-\d{2})?|\d{4}-W\d{2})?$")]


@router.get("/referrals")
def referrals(
    _: OperatorDep,
    context: ContextDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 10,
    period: Literal["all", "day", "week", "month"] = "all",
    period_key: PeriodKey = "",
    store_id: UUID | None = None,
    campaign_id: UUID | None = None,
) -> LeaderboardOut:
    """Members by referrals, most first (ties: who referred first); period and scope filters."""
    if (period == "all") != (period_key == ""):
        raise InvalidInput(
            "period_key goes with day (2026-11-11), week (2026-W46), month (2026-11)"
        )
    if store_id and campaign_id:
        raise InvalidInput("filter by store or by campaign, not both")
    scope, scope_id = ("all", "")
    if store_id or campaign_id:
        scope, scope_id = ("store", str(store_id)) if store_id else ("campaign", str(campaign_id))
    entries = referral_leaderboard(
        context.read_models.db, limit, period, period_key, scope, scope_id
    )
    return LeaderboardOut(
        entries=[LeaderboardEntryOut.model_validate(e, from_attributes=True) for e in entries]
    )
