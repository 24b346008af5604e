"""The business rules an application runs with, chosen by settings."""

from dataclasses import dataclass, field
from datetime import timedelta

from domain.coupon import DEFAULT_GRACE_PERIOD
from domain.points import EarningRule
from domain.review import FraudLimits


@dataclass(frozen=True)
class BusinessRules:
    """Grace period, earning rule, points validity, referral rewards per level, when a
    referral is held or capped, and how many members a device may claim a campaign for
    before a further member's claim is held (0: no limit)."""

    grace_period: timedelta = DEFAULT_GRACE_PERIOD
    earning: EarningRule = field(default_factory=EarningRule)
    points_valid_for: timedelta = timedelta(days=365)
    referral_levels: int = 1
    referral_points: tuple[int, ...] = (50, 20, 10)
    fraud: FraudLimits = field(default_factory=FraudLimits)
    claim_device_members: int = 2

    def referral_points_at(self, level: int) -> int:
        points = self.referral_points
        return points[level - 1] if level <= len(points) else 0
