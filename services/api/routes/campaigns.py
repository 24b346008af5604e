"""Campaigns: define, list, look up, start, pause, end."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query

from domain.campaign import CampaignTerms, Reward
from services.api.deps import LianjieDep, OperatorDep
from services.api.schemas.campaigns import CampaignCreate, CampaignList, CampaignOut, Status
from services.api.schemas.common import problem_responses
from services.app.campaigns import CampaignView

router = APIRouter(
    prefix="/api/campaigns",
    tags=["campaigns"],
    responses=problem_responses(401, 403, 404, 409, 422),
)


def campaign_out(view: CampaignView) -> CampaignOut:
    return CampaignOut.model_validate(view, from_attributes=True)


def campaign_terms(body: CampaignCreate) -> CampaignTerms:
    return CampaignTerms(
        name=body.name,
        kind=body.kind,
        reward=Reward(**body.reward.model_dump()),
        stock=body.stock,
        per_member_limit=body.per_member_limit,
        starts_at=body.starts_at,
        ends_at=body.ends_at,
        store_ids=body.store_ids,
        coupon_valid_days=body.coupon_valid_days,
        points_cost=body.points_cost,
    )


@router.post("", status_code=201)
def create_campaign(body: CampaignCreate, _: OperatorDep, app: LianjieDep) -> CampaignOut:
    """Define a campaign in draft; store_ids absent means every store."""
    return campaign_out(app.create_campaign(campaign_terms(body)))


@router.get("")
def list_campaigns(
    _: OperatorDep,
    app: LianjieDep,
    status: Status | None = None,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> CampaignList:
    """Campaigns in the order they were defined, optionally in one status."""
    views = app.list_campaigns(status, offset, limit)
    return CampaignList(items=[campaign_out(view) for view in views])


@router.get("/{campaign_id}")
def get_campaign(campaign_id: UUID, _: OperatorDep, app: LianjieDep) -> CampaignOut:
    """A campaign by id."""
    return campaign_out(app.get_campaign(campaign_id))


@router.post("/{campaign_id}/start")
def start_campaign(campaign_id: UUID, _: OperatorDep, app: LianjieDep) -> CampaignOut:
    """Open a campaign for claims (from draft or paused)."""
    return campaign_out(app.start_campaign(campaign_id))


@router.post("/{campaign_id}/pause")
def pause_campaign(campaign_id: UUID, _: OperatorDep, app: LianjieDep) -> CampaignOut:
    """Stop claims for now; start resumes."""
    return campaign_out(app.pause_campaign(campaign_id))


@router.post("/{campaign_id}/end")
def end_campaign(campaign_id: UUID, _: OperatorDep, app: LianjieDep) -> CampaignOut:
    """Close a campaign for good."""
    return campaign_out(app.end_campaign(campaign_id))
