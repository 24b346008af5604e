"""The Lianjie application: every use case on one event-sourced application and log."""

from services.app.campaigns import CampaignUseCases
from services.app.coupons import CouponUseCases


class Lianjie(CampaignUseCases, CouponUseCases):
    """Members, stores, campaigns, claims, coupons, points and referrals on one event log."""


__all__ = ["Lianjie"]
