"""The till: scan a member card or coupon, redeem a coupon exactly once, record a purchase."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Header

from domain.coupon import CouponNotFound
from projections.wallet import WalletCoupon, wallet
from services.api.cards import CodeNotRecognised, is_card_payload
from services.api.deps import ContextDep, ReadAfter, TillStaffDep
from services.api.schemas.common import problem_responses
from services.api.schemas.till import (
    CouponScan,
    MemberScan,
    PurchaseOut,
    PurchaseRequest,
    RedeemRequest,
    RedemptionOut,
    ScanRequest,
    TillCoupon,
    TillMember,
)
from services.app.coupons import CouponView

router = APIRouter(
    prefix="/api/till", tags=["till"], responses=problem_responses(401, 403, 404, 409, 422, 429)
)
IdempotencyKey = Annotated[str | None, Header(alias="Idempotency-Key", max_length=128)]


def till_coupon(
    coupon: CouponView | WalletCoupon, redeemable: bool, reason: str | None
) -> TillCoupon:
    return TillCoupon(
        code=coupon.code,
        title=coupon.title,
        value_fen=coupon.value_fen,
        status=coupon.status,
        valid_until=coupon.valid_until,
        redeemable=redeemable,
        reason=reason,
    )


@router.post("/scan", dependencies=[ReadAfter])
def scan(body: ScanRequest, staff: TillStaffDep, context: ContextDep) -> MemberScan | CouponScan:
    """Identify a scanned member card (points, coupons usable here) or a coupon (redeemable?).

    The coupon answer is read from the coupon itself, so it is never stale at the till.
    """
    if is_card_payload(body.code):
        member_id = context.cards.member_for(body.code)
        points = context.lianjie.get_points(member_id)
        seen = wallet(context.read_models.db, member_id, context.lianjie.now(), staff.store_id)
        usable = [till_coupon(c, True, None) for c in seen.coupons if c.usable_here] if seen else []
        return MemberScan(member=TillMember(id=member_id, points=points.balance, coupons=usable))
    try:
        check = context.lianjie.check_coupon(body.code, staff.store_id)
    except CouponNotFound as unknown:
        raise CodeNotRecognised(unknown.detail) from None
    return CouponScan(coupon=till_coupon(check.coupon, check.redeemable, check.reason))


@router.post("/coupons/{code}/redeem", responses=problem_responses(503))
def redeem(
    code: str,
    staff: TillStaffDep,
    context: ContextDep,
    body: Annotated[RedeemRequest | None, Body()] = None,
    idempotency_key: IdempotencyKey = None,
) -> RedemptionOut:
    """Redeem a coupon at the staff's store, exactly once; a repeated key gets the first answer."""
    order_ref = body.order_ref if body else None
    with context.metrics.outcome(context.metrics.redemptions, "redeemed"):
        redemption = context.lianjie.redeem_coupon(
            code, staff.store_id, staff.subject_id, order_ref, idempotency_key
        )
    return RedemptionOut.model_validate(redemption, from_attributes=True)


@router.post("/purchases")
def record_purchase(body: PurchaseRequest, staff: TillStaffDep, context: ContextDep) -> PurchaseOut:
    """Record a purchase for the member whose card was scanned; an order_ref earns once."""
    member_id = context.cards.member_for(body.member_code)
    result = context.lianjie.record_purchase(
        member_id, staff.store_id, body.amount_fen, body.order_ref
    )
    return PurchaseOut(points_earned=result.points_earned, balance=result.balance)
