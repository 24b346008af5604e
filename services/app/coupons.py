"""Use cases for coupons at the till: look up, redeem once, reverse within grace, void."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from eventsourcing.domain import Aggregate

from domain.codes import MalformedCode, normalise_coupon_code
from domain.coupon import Coupon, CouponNotFound
from domain.errors import DomainError
from services.app.stores import StoreUseCases


@dataclass(frozen=True)
class Redemption:
    code: str
    status: str
    store_id: UUID
    redeemed_at: datetime


@dataclass(frozen=True)
class CouponView:
    code: str
    campaign_id: UUID
    member_id: UUID
    title: str
    value_fen: int
    status: str
    valid_from: datetime
    valid_until: datetime
    store_ids: list[UUID] | None
    redeemed_at: datetime | None
    redeemed_store_id: UUID | None


@dataclass(frozen=True)
class Redeemability:
    """Whether a coupon can be redeemed at a store now, and if not, the error slug."""

    coupon: CouponView
    redeemable: bool
    reason: str | None


def coupon_view(coupon: Coupon, now: datetime) -> CouponView:
    redemption = coupon.redemption
    return CouponView(
        code=coupon.code,
        campaign_id=coupon.campaign_id,
        member_id=coupon.member_id,
        title=coupon.title,
        value_fen=coupon.value_fen,
        status=coupon.status(now),
        valid_from=coupon.valid_from,
        valid_until=coupon.valid_until,
        store_ids=coupon.store_ids,
        redeemed_at=redemption.at if redemption else None,
        redeemed_store_id=redemption.store_id if redemption else None,
    )


def coupon_ids(code: str) -> list[UUID]:
    """The id of the coupon with this code, if it is well-formed."""
    try:
        return [Coupon.id_for(normalise_coupon_code(code))]
    except MalformedCode:
        return []


class CouponUseCases(StoreUseCases):
    def redeem_coupon(
        self,
        code: str,
        store_id: UUID,
        staff_id: UUID | None = None,
        order_ref: str | None = None,
        idempotency_key: str | None = None,
    ) -> Redemption:
        """Redeem a coupon at a store, exactly once; a repeated key returns the first answer."""
        return self.once(
            f"redeem:{store_id}",
            idempotency_key,
            Redemption,
            lambda: self.decide_redemption(code, store_id, staff_id, order_ref),
            coalesce=True,
            reads=[store_id, *coupon_ids(code)],
        )

    def decide_redemption(
        self, code: str, store_id: UUID, staff_id: UUID | None, order_ref: str | None
    ) -> tuple[Redemption, list[Aggregate]]:
        now = self.now()
        self.store(store_id).check_open()
        coupon = self.coupon(code)
        coupon.redeem(store_id, staff_id, order_ref, now)
        return Redemption(coupon.code, "redeemed", store_id, now), [coupon]

    def reverse_redemption(self, code: str, store_id: UUID, staff_id: UUID | None = None):
        """Undo a redemption at the same store within the grace period."""
        now, grace = self.now(), self.rules.grace_period
        coupon = self.update(
            lambda: self.coupon(code),
            lambda c: c.reverse_redemption(store_id, staff_id, now, grace),
        )
        return coupon_view(coupon, now)

    def void_coupon(self, code: str, reason: str) -> CouponView:
        """Withdraw an unredeemed coupon."""
        coupon = self.update(lambda: self.coupon(code), lambda c: c.void(reason))
        return coupon_view(coupon, self.now())

    def get_coupon(self, code: str) -> CouponView:
        """A coupon by code (typed or scanned; dashes and case do not matter)."""
        return coupon_view(self.coupon(code), self.now())

    def check_coupon(self, code: str, store_id: UUID) -> Redeemability:
        """Can this coupon be redeemed at this store now? If not, why."""
        now = self.now()
        coupon = self.coupon(code)
        try:
            coupon.check_redeemable(store_id, now)
        except DomainError as rule:
            return Redeemability(coupon_view(coupon, now), False, rule.slug)
        return Redeemability(coupon_view(coupon, now), True, None)

    def coupon(self, code: str) -> Coupon:
        try:
            canonical = normalise_coupon_code(code)
        except MalformedCode as malformed:
            raise CouponNotFound(malformed.detail) from None
        return self.load(Coupon, Coupon.id_for(canonical), CouponNotFound)
