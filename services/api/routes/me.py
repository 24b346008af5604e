"""A follower's own things: profile, member card, coupons, claims and shares."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Header, Request, Response

from domain.access import Forbidden
from domain.member import MemberNotFound
from projections.leaderboard import referral_rank
from projections.wallet import wallet
from services.api.deps import (
    CodeLookupFollowerDep,
    ContextDep,
    FollowerDep,
    LianjieDep,
    ReadAfter,
)
from services.api.devices import device_of
from services.api.posters import follow_link
from services.api.qr import qr_png
from services.api.routes.members import member_out
from services.api.schemas.common import problem_responses
from services.api.schemas.members import (
    CardActivationOut,
    CardOut,
    ClaimOut,
    CouponOut,
    MemberOut,
    ShareCreate,
    ShareOut,
)
from services.api.schemas.wallet import WalletCouponOut, WalletOut
from services.app.accounts import Principal
from services.app.coupons import CouponView

router = APIRouter(
    prefix="/api/me", tags=["follower"], responses=problem_responses(401, 403, 404, 422)
)
PNG = {200: {"content": {"image/png": {}}, "description": "a QR code"}}
HELD = {202: {"model": ClaimOut, "description": "held for an operator's review: nothing issued"}}
NO_STORE = {"Cache-Control": "no-store"}
IdempotencyKey = Annotated[str | None, Header(alias="Idempotency-Key", max_length=128)]


def own_coupon(coupon: CouponView, me: Principal) -> CouponView:
    if coupon.member_id != me.subject_id:
        raise Forbidden("this coupon belongs to someone else")
    return coupon


@router.get("")
def my_profile(me: FollowerDep, app: LianjieDep) -> MemberOut:
    """The follower's own member record."""
    return member_out(app.get_member(me.subject_id))


@router.get("/wallet", dependencies=[ReadAfter])
def my_wallet(me: FollowerDep, context: ContextDep) -> WalletOut:
    """Points, points expiring soon, coupons, tags, referrals and rank, and a fresh card."""
    db, now = context.read_models.db, context.lianjie.now()
    seen = wallet(db, me.subject_id, now)
    if seen is None:
        raise MemberNotFound("the wallet appears once the follow is processed: retry shortly")
    card = context.cards.issue(me.subject_id)
    return WalletOut(
        member_id=seen.member_id,
        points=seen.points,
        points_expiring_soon=seen.points_expiring_soon,
        coupons=[WalletCouponOut.model_validate(c, from_attributes=True) for c in seen.coupons],
        card=CardOut(payload=card.payload, expires_at=card.expires_at),
        tags=seen.tags,
        referrals=seen.referrals,
        rank=referral_rank(db, me.subject_id),
        card_activated_at=seen.card_activated_at,
    )


@router.get("/card")
def my_card(me: FollowerDep, context: ContextDep) -> CardOut:
    """A fresh member-card payload and when the till stops accepting it."""
    card = context.cards.issue(me.subject_id)
    return CardOut(payload=card.payload, expires_at=card.expires_at)


@router.post("/card/activate", responses=problem_responses(409))
def activate_card(me: FollowerDep, app: LianjieDep) -> CardActivationOut:
    """Activate the follower's member card; once activated, it stays so (same answer)."""
    return CardActivationOut(activated_at=app.activate_card(me.subject_id))


@router.get("/card.png", response_class=Response, responses=PNG)
def my_card_png(me: FollowerDep, context: ContextDep) -> Response:
    """The member-card QR image of a fresh payload."""
    payload = context.cards.issue(me.subject_id).payload
    return Response(qr_png(payload, box_size=8), media_type="image/png", headers=NO_STORE)


@router.get("/coupons/{code}.png", response_class=Response, responses=PNG)
def my_coupon_png(code: str, me: CodeLookupFollowerDep, app: LianjieDep) -> Response:
    """One of the follower's coupons as a QR image for the till to scan."""
    coupon = own_coupon(app.get_coupon(code), me)
    return Response(qr_png(coupon.code, box_size=8), media_type="image/png")


@router.get("/coupons/{code}")
def my_coupon(code: str, me: CodeLookupFollowerDep, app: LianjieDep) -> CouponOut:
    """One of the follower's coupons."""
    return CouponOut.model_validate(own_coupon(app.get_coupon(code), me), from_attributes=True)


@router.post(
    "/campaigns/{campaign_id}/claim",
    status_code=201,
    responses=problem_responses(409) | HELD,
)
def claim(
    campaign_id: UUID,
    request: Request,
    response: Response,
    me: FollowerDep,
    context: ContextDep,
    idempotency_key: IdempotencyKey = None,
) -> ClaimOut:
    """Claim a campaign's reward; a repeated Idempotency-Key returns the first claim. A claim
    from a device that claimed the campaign for other members already is held (202)."""
    device = device_of(request, context)
    with context.metrics.outcome(context.metrics.claims, "issued") as counted:
        result = context.lianjie.claim(campaign_id, me.subject_id, idempotency_key, device=device)
        counted.label = result.status
    if result.status == "held":
        response.status_code = 202
    return ClaimOut.model_validate(result, from_attributes=True)


@router.post("/shares", status_code=201, responses=problem_responses(422))
def share(body: ShareCreate, request: Request, me: FollowerDep, context: ContextDep) -> ShareOut:
    """A personal invitation link; followers arriving through it are attributed to you."""
    device = device_of(request, context)  # its own openings of the link are suspect
    view = context.lianjie.create_share(me.subject_id, body.campaign_id, device)
    url = follow_link(context.settings.public_url, view.scene)
    return ShareOut(token=view.token, url=url, scene=view.scene)
