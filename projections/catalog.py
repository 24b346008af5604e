"""Every read model, by name."""

from projections.analytics import AnalyticsView
from projections.audit import AuditView
from projections.claim_review import ClaimReviewQueue
from projections.contribution import ContributionView
from projections.inbox import InboxView
from projections.leaderboard import ReferralLeaderboardView
from projections.redemption import RedemptionView
from projections.review import ReferralReviewView
from projections.segments import SegmentsView
from projections.view import View
from projections.wallet import WalletView

VIEW_CLASSES: list[type[View]] = [
    RedemptionView,
    WalletView,
    ReferralLeaderboardView,
    ContributionView,
    SegmentsView,
    AnalyticsView,
    InboxView,
    AuditView,
    ReferralReviewView,
    ClaimReviewQueue,
]


def all_views() -> list[View]:
    return [cls() for cls in VIEW_CLASSES]


def views_named(names: list[str]) -> list[View]:
    """The views with these names (all when none are given); unknown names raise KeyError."""
    by_name = {cls.name: cls for cls in VIEW_CLASSES}
    unknown = [name for name in names if name not in by_name]
    if unknown:
        raise KeyError(f"unknown view(s): {', '.join(unknown)}; known: {', '.join(by_name)}")
    return [by_name[name]() for name in names] if names else all_views()
