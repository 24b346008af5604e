"""The Lianjie application: every use case on one event-sourced application and log."""

from services.app.accounts import AccountUseCases
from services.app.claim_reviews import ClaimReviewUseCases
from services.app.coupons import CouponUseCases
from services.app.outbound import OutboundUseCases
from services.app.wechat import WeChatUseCases


class Lianjie(
    WeChatUseCases, AccountUseCases, ClaimReviewUseCases, CouponUseCases, OutboundUseCases
):
    """Members, stores, campaigns, claims, coupons, points, referrals and logins on one log."""


__all__ = ["Lianjie"]
