"""ReferralReview: the fraud decision on one referred follow, and an operator's verdict.

Every follow that names a share token is judged once, and the judgement is an event:

- `Refused` when the rule is certain: the member followed through their own token
  (self-referral), the token's owner was themselves brought in by this member, at any
  level (a cycle), or it is a re-follow (a member is referred once, ever);
- `Flagged` when a signal can be innocent (a burst of follows for one referrer, one
  device opening the invitation again and again, the owner's own device opening it):
  the reward is held until an operator `approve`s (paid then) or `reject`s it;
- `Capped` when the referrer has earned their daily number of rewards already;
- `Cleared` otherwise: the reward is paid.

`ReferrerDay` counts a referrer's referred follows per Asia/Shanghai day, so the cap and
the burst window are decided against a consistent count (two follows racing for the
last reward collide on its version).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from uuid import UUID

from eventsourcing.domain import Aggregate

from domain.errors import DomainError, NotFound
from domain.ids import derived_id

SHANGHAI = timezone(timedelta(hours=8), "Asia/Shanghai")  # no daylight saving in China


class ReferralReviewNotFound(NotFound):
    """No referral review has this id."""

    slug = "referral-review-not-found"
    title = "Referral review not found"


class ReviewNotPending(DomainError):
    """Only a flagged referral waits for an operator; this one is decided."""

    slug = "referral-review-not-pending"
    title = "Referral review already decided"


@dataclass(frozen=True)
class FraudLimits:
    """When a referral is flagged or capped; a cap of 0 means no daily cap."""

    daily_cap: int = 20
    window: timedelta = timedelta(hours=1)
    burst: int = 10  # referred follows for one referrer inside the window
    device_opens: int = 3  # openings of one invitation from one device inside the window


@dataclass(frozen=True)
class ReferralFacts:
    """What is known about a referred follow when it is judged."""

    member_id: UUID
    referrer_id: UUID
    refollow: bool
    referrer_chain: Sequence[UUID]  # who brought the referrer in, and who brought them...
    follows_in_window: int  # the referrer's referred follows inside the window, this one too
    suspicions: Sequence[str]  # what the invitation's openings showed inside the window
    rewards_today: int  # rewards the referrer was paid today (before this one)


def refusal(facts: ReferralFacts) -> str | None:
    """The certain reason this referral earns nothing, if any."""
    if facts.referrer_id == facts.member_id:
        return "self-referral"
    if facts.member_id in facts.referrer_chain:
        return "cycle"
    if facts.refollow:
        return "refollow"
    return None


def flags(facts: ReferralFacts, limits: FraudLimits) -> list[str]:
    """The signals that hold this referral for review (each may be innocent)."""
    found = list(dict.fromkeys(facts.suspicions))
    if facts.follows_in_window >= limits.burst:
        found.append("burst")
    return found


def capped(facts: ReferralFacts, limits: FraudLimits) -> bool:
    return 0 < limits.daily_cap <= facts.rewards_today


class ReferralReview(Aggregate):
    """The judgement of one referred follow: cleared, refused, flagged or capped."""

    @staticmethod
    def id_for(member_id: UUID, follow_version: int) -> UUID:
        """One review per follow event: the member's id and that event's version."""
        return derived_id("referral-review", member_id, follow_version)

    class Judged(Aggregate.Created):
        member_id: UUID
        referrer_id: UUID
        campaign_id: UUID | None
        followed_at: datetime
        reasons: list[str]

        verdict = "new"

        def apply(self, review: ReferralReview) -> None:
            review.status = self.verdict

    class Cleared(Judged):
        """Nothing suspicious: the reward is paid."""

        verdict = "cleared"

    class Refused(Judged):
        """A certain rule: no reward, ever."""

        verdict = "refused"

    class Flagged(Judged):
        """Held for an operator."""

        verdict = "flagged"

    class Capped(Judged):
        """The referrer's daily cap was reached: no reward."""

        verdict = "capped"

    class Decided(Aggregate.Event):
        operator_id: UUID
        at: datetime
        note: str
        verdict = "decided"

        def apply(self, review: ReferralReview) -> None:
            review.status = self.verdict
            review.operator_id = self.operator_id
            review.decided_at = self.at
            review.note = self.note

    class Approved(Decided):
        """An operator found the flagged referral genuine: the reward is paid."""

        verdict = "approved"

    class Rejected(Decided):
        """An operator found the flagged referral fraudulent: never paid."""

        verdict = "rejected"

    def __init__(
        self,
        member_id: UUID,
        referrer_id: UUID,
        campaign_id: UUID | None,
        followed_at: datetime,
        reasons: list[str],
    ) -> None:
        self.member_id = member_id
        self.referrer_id = referrer_id
        self.campaign_id = campaign_id
        self.followed_at = followed_at
        self.reasons = reasons
        self.status = "new"
        self.operator_id: UUID | None = None
        self.decided_at: datetime | None = None
        self.note = ""

    @classmethod
    def judge(
        cls,
        facts: ReferralFacts,
        limits: FraudLimits,
        follow_version: int,
        campaign_id: UUID | None,
        followed_at: datetime,
    ) -> ReferralReview:
        """Refuse, flag, cap or clear a referred follow (in that order of precedence)."""
        event_class, reasons = cls.verdict(facts, limits)
        return cls._create(
            event_class,
            id=cls.id_for(facts.member_id, follow_version),
            member_id=facts.member_id,
            referrer_id=facts.referrer_id,
            campaign_id=campaign_id,
            followed_at=followed_at,
            reasons=reasons,
        )

    @classmethod
    def verdict(cls, facts: ReferralFacts, limits: FraudLimits) -> tuple[type[Judged], list[str]]:
        if reason := refusal(facts):
            return cls.Refused, [reason]
        if found := flags(facts, limits):
            return cls.Flagged, found
        if capped(facts, limits):
            return cls.Capped, [f"daily-cap-{limits.daily_cap}"]
        return cls.Cleared, []

    @property
    def pays(self) -> bool:
        """Whether the referrer (and their referrers) earn the reward for this follow."""
        return self.status in ("cleared", "approved")

    def approve(self, operator_id: UUID, now: datetime, note: str = "") -> None:
        """Release a held reward: the policies pay it, once."""
        self.check_pending()
        self.trigger_event(self.Approved, operator_id=operator_id, at=now, note=note)

    def reject(self, operator_id: UUID, now: datetime, note: str = "") -> None:
        """Refuse a held reward for good."""
        self.check_pending()
        self.trigger_event(self.Rejected, operator_id=operator_id, at=now, note=note)

    def check_pending(self) -> None:
        if self.status != "flagged":
            raise ReviewNotPending(f"review {self.id} is {self.status}")


def shanghai_day(moment: datetime) -> date:
    return moment.astimezone(SHANGHAI).date()


class ReferrerDay(Aggregate):
    """One referrer's referred follows on one Asia/Shanghai day, and which were paid."""

    @staticmethod
    def id_for(referrer_id: UUID, day: date) -> UUID:
        return derived_id("referrer-day", referrer_id, day.isoformat())

    class Started(Aggregate.Created):
        referrer_id: UUID
        day: str  # ISO date

    class Counted(Aggregate.Event):
        member_id: UUID
        at: datetime
        paid: bool

        def apply(self, day: ReferrerDay) -> None:
            day.follows.append(self.at)
            day.rewards += self.paid

    def __init__(self, referrer_id: UUID, day: str) -> None:
        self.referrer_id = referrer_id
        self.day = date.fromisoformat(day)
        self.follows: list[datetime] = []
        self.rewards = 0

    @classmethod
    def start(cls, referrer_id: UUID, day: date) -> ReferrerDay:
        return cls._create(
            cls.Started,
            id=cls.id_for(referrer_id, day),
            referrer_id=referrer_id,
            day=day.isoformat(),
        )

    def follows_since(self, moment: datetime) -> int:
        return sum(1 for at in self.follows if at >= moment)

    def count(self, review: ReferralReview) -> None:
        """Record a judged first follow; a cleared one uses up one of the day's rewards."""
        self.trigger_event(
            self.Counted, member_id=review.member_id, at=review.followed_at, paid=review.pays
        )
