"""The till page's extras: a coupon in full, undoing a redemption, who a member card is."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from domain.member import MemberNotFound
from projections.wallet import wallet
from services.api.deps import ContextDep, ReadAfter, TillStaffDep
from services.api.schemas.common import problem_responses
from services.api.schemas.counter import CardRequest, CouponDetails, TillMemberProfile

router = APIRouter(
    prefix="/api/till", tags=["till"], responses=problem_responses(401, 403, 404, 409, 422, 429)
)
Code = Annotated[str, Path(min_length=1, max_length=64)]


@router.get("/coupons/{code}")
def coupon_details(code: Code, staff: TillStaffDep, context: ContextDep) -> CouponDetails:
    """A coupon in full: redeemable here? if used, when, where, and until when it can be undone."""
    app = context.lianjie
    check = app.check_coupon(code, staff.store_id)
    coupon = check.coupon
    where, undo_until = None, None
    if coupon.redeemed_at and coupon.redeemed_store_id:
        where = app.get_store(coupon.redeemed_store_id).name
        until = coupon.redeemed_at + app.rules.grace_period
        if coupon.redeemed_store_id == staff.store_id and app.now() < until:
            undo_until = until
    return CouponDetails(
        code=coupon.code,
        title=coupon.title,
        value_fen=coupon.value_fen,
        status=coupon.status,
        valid_from=coupon.valid_from,
        valid_until=coupon.valid_until,
        redeemable=check.redeemable,
        reason=check.reason,
        redeemed_at=coupon.redeemed_at,
        redeemed_store_id=coupon.redeemed_store_id,
        redeemed_store_name=where,
        reversible_until=undo_until,
    )


@router.post("/coupons/{code}/reverse")
def reverse_redemption(code: Code, staff: TillStaffDep, context: ContextDep) -> CouponDetails:
    """Undo a redemption at this store within the grace period; the coupon can be used again."""
    context.lianjie.reverse_redemption(code, staff.store_id, staff.subject_id)
    return coupon_details(code, staff, context)


@router.post("/members/identify", dependencies=[ReadAfter])
def identify_member(
    body: CardRequest, staff: TillStaffDep, context: ContextDep
) -> TillMemberProfile:
    """Who a scanned member card belongs to: openid, tags, points and points expiring soon."""
    member_id = context.cards.member_for(body.code)
    seen = wallet(context.read_models.db, member_id, context.lianjie.now())
    if seen is None:
        raise MemberNotFound("this member's wallet is not ready yet: scan again shortly")
    return TillMemberProfile(
        id=seen.member_id,
        openid=seen.openid,
        following=seen.following,
        member_since=seen.member_since,
        points=seen.points,
        points_expiring_soon=seen.points_expiring_soon,
        tags=seen.tags,
    )
