"""What the wallet page offers a follower: campaigns to claim, gifts for points, a share QR."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Response

from domain.scenes import parse_scene
from services.api.deps import ContextDep, FollowerDep
from services.api.posters import follow_link
from services.api.qr import qr_png
from services.api.schemas.common import problem_responses
from services.api.schemas.storefront import ClaimableCampaign, ClaimableCampaigns
from services.app.campaigns import CampaignView

router = APIRouter(
    prefix="/api/me", tags=["follower"], responses=problem_responses(401, 403, 404, 422)
)
# Rewarded by what a follower does (follow, bring friends), never claimed from the wallet.
AUTOMATIC = ("follow_gift", "share_gift", "referral_reward")
PNG = {200: {"content": {"image/png": {}}, "description": "a QR code"}}
Token = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[0-9A-Za-z]+$")]


def claimable(view: CampaignView) -> ClaimableCampaign:
    return ClaimableCampaign.model_validate(view, from_attributes=True)


@router.get("/campaigns")
def campaigns_to_claim(_: FollowerDep, context: ContextDep) -> ClaimableCampaigns:
    """Running campaigns inside their window a follower claims here (gifts for points included)."""
    now = context.lianjie.now()
    running = context.lianjie.list_campaigns("running", 0, 500)
    return ClaimableCampaigns(
        items=[
            claimable(view)
            for view in running
            if view.kind not in AUTOMATIC
            and (view.starts_at is None or view.starts_at <= now)
            and (view.ends_at is None or now < view.ends_at)
        ]
    )


@router.get("/shares/{token}/qr.png", response_class=Response, responses=PNG)
def share_qr(token: Token, _: FollowerDep, context: ContextDep) -> Response:
    """The QR of an invitation link (`POST /api/me/shares` made the token): friends scan it."""
    scene = parse_scene(f"ref:{token}")
    link = follow_link(context.settings.public_url, str(scene))
    return Response(qr_png(link, box_size=8), media_type="image/png")
