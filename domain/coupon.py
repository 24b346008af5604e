"""Coupon: issued to a member, redeemed at most once, reversible for a short grace period."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

from eventsourcing.domain import Aggregate

from domain.errors import DomainError, NotFound
from domain.ids import derived_id

DEFAULT_GRACE_PERIOD = timedelta(minutes=10)


class CouponNotFound(NotFound):
    """No coupon has this code."""

    slug = "coupon-not-found"
    title = "Coupon not found"


class CouponAlreadyRedeemed(DomainError):
    """The coupon was redeemed already."""

    slug = "coupon-already-redeemed"
    title = "Coupon already redeemed"


class CouponExpired(DomainError):
    """The coupon's validity has run out."""

    slug = "coupon-expired"
    title = "Coupon expired"


class CouponNotYetValid(DomainError):
    """The coupon's validity has not started."""

    slug = "coupon-not-yet-valid"
    title = "Coupon not yet valid"


class CouponVoided(DomainError):
    """The coupon was voided by an operator."""

    slug = "coupon-voided"
    title = "Coupon voided"


class NotValidAtStore(DomainError):
    """The coupon cannot be used at this store."""

    slug = "not-valid-at-store"
    title = "Coupon not valid at this store"


class RedemptionNotReversible(DomainError):
    """There is no redemption to undo, or its grace period is over."""

    slug = "redemption-not-reversible"
    title = "Redemption cannot be reversed"


@dataclass(frozen=True)
class CouponState:
    """What decides whether a coupon can be redeemed (read models keep it too)."""

    code: str
    voided: bool
    redeemed_at: datetime | None
    valid_from: datetime
    valid_until: datetime
    store_ids: list[UUID] | None


def redemption_refusal(coupon: CouponState, store_id: UUID, now: datetime) -> DomainError | None:
    """Why this coupon cannot be redeemed at `store_id` now, or None if it can."""
    if coupon.voided:
        return CouponVoided(f"coupon {coupon.code} was voided")
    if coupon.redeemed_at:
        return CouponAlreadyRedeemed(
            f"coupon {coupon.code} was redeemed at {coupon.redeemed_at.isoformat()}"
        )
    if now >= coupon.valid_until:
        return CouponExpired(f"coupon {coupon.code} expired at {coupon.valid_until.isoformat()}")
    if now < coupon.valid_from:
        return CouponNotYetValid(f"coupon {coupon.code} is valid from {coupon.valid_from}")
    if coupon.store_ids is not None and store_id not in coupon.store_ids:
        return NotValidAtStore(f"coupon {coupon.code} cannot be used at this store")
    return None


def coupon_status(coupon: CouponState, now: datetime) -> str:
    """issued, redeemed, expired or voided."""
    if coupon.voided:
        return "voided"
    if coupon.redeemed_at:
        return "redeemed"
    return "expired" if now >= coupon.valid_until else "issued"


class Coupon(Aggregate):
    """A coupon; its id is derived from its code so a scan finds it directly."""

    @staticmethod
    def id_for(code: str) -> UUID:
        return derived_id("coupon", code)

    class Issued(Aggregate.Created):
        code: str
        campaign_id: UUID
        member_id: UUID
        title: str
        value_fen: int
        valid_from: datetime
        valid_until: datetime
        store_ids: list[UUID] | None

    class Redeemed(Aggregate.Event):
        store_id: UUID
        staff_id: UUID | None
        order_ref: str | None
        at: datetime

        def apply(self, coupon: Coupon) -> None:
            coupon.redemption = self

    class RedemptionReversed(Aggregate.Event):
        by_staff_id: UUID | None
        at: datetime

        def apply(self, coupon: Coupon) -> None:
            coupon.redemption = None

    class Voided(Aggregate.Event):
        reason: str

        def apply(self, coupon: Coupon) -> None:
            coupon.voided = True

    def __init__(
        self,
        code: str,
        campaign_id: UUID,
        member_id: UUID,
        title: str,
        value_fen: int,
        valid_from: datetime,
        valid_until: datetime,
        store_ids: list[UUID] | None,
    ) -> None:
        self.code = code
        self.campaign_id = campaign_id
        self.member_id = member_id
        self.title = title
        self.value_fen = value_fen
        self.valid_from = valid_from
        self.valid_until = valid_until
        self.store_ids = store_ids
        self.redemption: Coupon.Redeemed | None = None
        self.voided = False

    @classmethod
    def issue(
        cls,
        code: str,
        campaign_id: UUID,
        member_id: UUID,
        title: str,
        value_fen: int,
        window: tuple[datetime, datetime],
        store_ids: list[UUID] | None,
    ) -> Coupon:
        """Issue a coupon with its code, value, validity window and eligible stores."""
        valid_from, valid_until = window
        return cls._create(
            cls.Issued,
            id=cls.id_for(code),
            code=code,
            campaign_id=campaign_id,
            member_id=member_id,
            title=title,
            value_fen=value_fen,
            valid_from=valid_from,
            valid_until=valid_until,
            store_ids=store_ids,
        )

    @property
    def state(self) -> CouponState:
        return CouponState(
            self.code,
            self.voided,
            self.redemption.at if self.redemption else None,
            self.valid_from,
            self.valid_until,
            self.store_ids,
        )

    def status(self, now: datetime) -> str:
        """issued, redeemed, expired or voided, as the wallet shows it."""
        return coupon_status(self.state, now)

    def redeem(self, store_id: UUID, staff_id: UUID | None, order_ref: str | None, now: datetime):
        """Use the coupon at a store; at most one redemption ever stands."""
        self.check_redeemable(store_id, now)
        self.trigger_event(
            self.Redeemed, store_id=store_id, staff_id=staff_id, order_ref=order_ref, at=now
        )

    def check_redeemable(self, store_id: UUID, now: datetime) -> None:
        """Raise the reason this coupon cannot be redeemed at `store_id` now, if any."""
        refusal = redemption_refusal(self.state, store_id, now)
        if refusal:
            raise refusal

    def reverse_redemption(
        self, store_id: UUID, staff_id: UUID | None, now: datetime, grace: timedelta
    ) -> None:
        """Undo a redemption at the same store within the grace period."""
        redemption = self.redemption
        if redemption is None:
            raise RedemptionNotReversible(f"coupon {self.code} is not redeemed")
        if redemption.store_id != store_id:
            raise RedemptionNotReversible("only the redeeming store can reverse")
        if now > redemption.at + grace:
            raise RedemptionNotReversible(
                f"the grace period of {int(grace.total_seconds() // 60)} minutes is over"
            )
        self.trigger_event(self.RedemptionReversed, by_staff_id=staff_id, at=now)

    def void(self, reason: str) -> None:
        """Withdraw an unredeemed coupon."""
        if self.voided:
            raise CouponVoided(f"coupon {self.code} was voided already")
        if self.redemption:
            raise CouponAlreadyRedeemed(f"coupon {self.code} was redeemed; it cannot be voided")
        self.trigger_event(self.Voided, reason=reason)
