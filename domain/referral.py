"""Referral: share tokens that attribute new followers to the member who shared.

Rewards go up the referrer chain to at most `levels` members (1 to 3). A member is
never rewarded for their own follow, a chain that loops back stops there, and a
re-follow carries no attribution, so unfollow/refollow farming earns nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from uuid import UUID

from eventsourcing.domain import Aggregate

from domain.codes import new_share_token
from domain.errors import InvalidInput, NotFound
from domain.ids import derived_id

MAX_LEVELS = 3


class ShareTokenNotFound(NotFound):
    """No share token with this value."""

    slug = "share-token-not-found"
    title = "Share token not found"


class ShareToken(Aggregate):
    """A member's invitation: a link or QR scene `ref:<token>` that names them."""

    @staticmethod
    def id_for(token: str) -> UUID:
        return derived_id("share", token)

    class Shared(Aggregate.Created):
        token: str
        owner_id: UUID
        campaign_id: UUID | None

    def __init__(self, token: str, owner_id: UUID, campaign_id: UUID | None) -> None:
        self.token = token
        self.owner_id = owner_id
        self.campaign_id = campaign_id

    @classmethod
    def share(cls, owner_id: UUID, campaign_id: UUID | None = None) -> ShareToken:
        """Create a fresh token for a member, optionally for one campaign."""
        token = new_share_token()
        return cls._create(
            cls.Shared,
            id=cls.id_for(token),
            token=token,
            owner_id=owner_id,
            campaign_id=campaign_id,
        )

    @property
    def scene(self) -> str:
        return f"ref:{self.token}"


@dataclass(frozen=True)
class ReferralReward:
    """One member to reward for a new follower, and at which level (1 = direct)."""

    level: int
    member_id: UUID


def check_levels(levels: int) -> int:
    if not 1 <= levels <= MAX_LEVELS:
        raise InvalidInput(f"referral levels are 1 to {MAX_LEVELS}")
    return levels


def rewards_for(
    new_member_id: UUID,
    referrer_id: UUID | None,
    referrer_of: Callable[[UUID], UUID | None],
    levels: int,
) -> list[ReferralReward]:
    """Who earns what for a new follower: the referrer chain, cut at `levels` and loops."""
    rewards: list[ReferralReward] = []
    seen = {new_member_id}
    current = referrer_id
    for level in range(1, check_levels(levels) + 1):
        if current is None or current in seen:
            break
        rewards.append(ReferralReward(level, current))
        seen.add(current)
        current = referrer_of(current) if level < levels else None
    return rewards
