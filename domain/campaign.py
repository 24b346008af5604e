"""Campaign: what followers can claim, when, where and how many."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate

from domain.errors import DomainError, InvalidInput, NotFound
from domain.stock import split_stock

KINDS = (
    "follow_gift",
    "scan_gift",
    "share_gift",
    "referral_reward",
    "points_exchange",
    "booking_discount",
    "quiz_prize",
    "lucky_draw",
)


class CampaignNotFound(NotFound):
    """No campaign has this id."""

    slug = "campaign-not-found"
    title = "Campaign not found"


class InvalidCampaign(InvalidInput):
    """The campaign's definition is inconsistent."""

    slug = "invalid-campaign"
    title = "Invalid campaign"


class CampaignNotRunning(DomainError):
    """The campaign is not running now (draft, paused, ended or outside its window)."""

    slug = "campaign-not-running"
    title = "Campaign not running"


class CampaignStatusConflict(DomainError):
    """The campaign cannot move to that status from where it is."""

    slug = "campaign-status-conflict"
    title = "Campaign cannot change to that status"


@dataclass(frozen=True)
class Reward:
    """A coupon (title, value in fen) or a number of points."""

    type: str
    title: str = ""
    value_fen: int = 0
    points: int = 0

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Reward:
        reward = cls(**data)
        reward.check()
        return reward

    def check(self) -> None:
        if self.type == "coupon":
            if not self.title.strip() or self.value_fen < 0 or self.points:
                raise InvalidCampaign("a coupon reward has a title and a value_fen ≥ 0")
        elif self.type == "points":
            if self.points <= 0 or self.title or self.value_fen:
                raise InvalidCampaign("a points reward has points > 0 and nothing else")
        else:
            raise InvalidCampaign("reward type is 'coupon' or 'points'")

    def as_dict(self) -> dict[str, Any]:
        if self.type == "coupon":
            return {"type": "coupon", "title": self.title, "value_fen": self.value_fen}
        return {"type": "points", "points": self.points}


@dataclass(frozen=True)
class CampaignTerms:
    """Everything a campaign is created with."""

    name: str
    kind: str
    reward: Reward
    stock: int | None = None
    per_member_limit: int = 1
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    store_ids: list[UUID] | None = None
    coupon_valid_days: int = 30
    points_cost: int = 0

    def check(self) -> None:
        if not self.name.strip():
            raise InvalidCampaign("a campaign needs a name")
        if self.kind not in KINDS:
            raise InvalidCampaign(f"kind is one of {', '.join(KINDS)}")
        self.reward.check()
        if self.stock is not None and self.stock < 1:
            raise InvalidCampaign("stock, when given, is at least 1")
        if self.per_member_limit < 1:
            raise InvalidCampaign("per_member_limit is at least 1")
        if self.starts_at and self.ends_at and self.ends_at <= self.starts_at:
            raise InvalidCampaign("ends_at comes after starts_at")
        if self.coupon_valid_days < 1:
            raise InvalidCampaign("coupon_valid_days is at least 1")
        if self.points_cost < 0 or (self.kind == "points_exchange") != (self.points_cost > 0):
            raise InvalidCampaign("points_exchange campaigns, and only they, have points_cost > 0")
        if self.store_ids is not None and not self.store_ids:
            raise InvalidCampaign("store_ids, when given, names at least one store")


class Campaign(Aggregate):
    """A campaign's definition and status. Claims never touch it: stock lives in shards."""

    class Created(Aggregate.Created):
        name: str
        kind: str
        reward: dict[str, Any]
        stock: int | None
        per_member_limit: int
        starts_at: datetime | None
        ends_at: datetime | None
        store_ids: list[UUID] | None
        coupon_valid_days: int
        points_cost: int
        shard_units: list[int]

    class Started(Aggregate.Event):
        def apply(self, campaign: Campaign) -> None:
            campaign.status = "running"

    class Paused(Aggregate.Event):
        def apply(self, campaign: Campaign) -> None:
            campaign.status = "paused"

    class Ended(Aggregate.Event):
        def apply(self, campaign: Campaign) -> None:
            campaign.status = "ended"

    def __init__(
        self,
        name: str,
        kind: str,
        reward: dict[str, Any],
        stock: int | None,
        per_member_limit: int,
        starts_at: datetime | None,
        ends_at: datetime | None,
        store_ids: list[UUID] | None,
        coupon_valid_days: int,
        points_cost: int,
        shard_units: list[int],
    ) -> None:
        self.terms = CampaignTerms(
            name=name,
            kind=kind,
            reward=Reward.from_dict(reward),
            stock=stock,
            per_member_limit=per_member_limit,
            starts_at=starts_at,
            ends_at=ends_at,
            store_ids=store_ids,
            coupon_valid_days=coupon_valid_days,
            points_cost=points_cost,
        )
        self.shard_units = shard_units
        self.status = "draft"

    @classmethod
    def create(cls, terms: CampaignTerms) -> Campaign:
        """Define a campaign in draft; its stock is split over shards (see domain.stock)."""
        terms.check()
        fields = asdict(terms)
        fields["reward"] = terms.reward.as_dict()
        shard_units = split_stock(terms.stock) if terms.stock else []
        return cls._create(cls.Created, shard_units=shard_units, **fields)

    def start(self) -> None:
        """Open the campaign for claims (from draft or paused)."""
        self.check_status_in("draft", "paused", action="start")
        self.trigger_event(self.Started)

    def pause(self) -> None:
        """Stop claims for now; start resumes."""
        self.check_status_in("running", action="pause")
        self.trigger_event(self.Paused)

    def end(self) -> None:
        """Close the campaign for good."""
        self.check_status_in("draft", "running", "paused", action="end")
        self.trigger_event(self.Ended)

    def check_status_in(self, *statuses: str, action: str) -> None:
        if self.status not in statuses:
            raise CampaignStatusConflict(f"cannot {action} a campaign that is {self.status}")

    def check_claimable(self, now: datetime) -> None:
        """Raise unless the campaign is running and `now` lies inside its window."""
        terms = self.terms
        if self.status != "running":
            raise CampaignNotRunning(f"campaign {terms.name} is {self.status}")
        if terms.starts_at and now < terms.starts_at:
            raise CampaignNotRunning(f"campaign {terms.name} starts at {terms.starts_at}")
        if terms.ends_at and now >= terms.ends_at:
            raise CampaignNotRunning(f"campaign {terms.name} ended at {terms.ends_at}")

    def coupon_window(self, now: datetime) -> tuple[datetime, datetime]:
        """When a coupon claimed now is valid: from now for coupon_valid_days."""
        return now, now + timedelta(days=self.terms.coupon_valid_days)

    @property
    def shard_count(self) -> int:
        return len(self.shard_units)
