"""Referral: share tokens that attribute new followers to the member who shared.

Rewards go up the referrer chain to at most `levels` members (1 to 3). A member is
never rewarded for their own follow, a chain that loops back stops there, and a
re-follow carries no attribution, so unfollow/refollow farming earns nothing.

Openings of an invitation link are counted per device (`InvitationDevice`; a device is
a keyed hash of the opener's IP and browser, never the IP itself). When one device
opens a link again and again, or the device the owner shared it from opens it, the
token records a suspicion: follows through it soon after are held for review
(domain/review.py).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

from eventsourcing.domain import Aggregate

from domain.codes import new_share_token
from domain.errors import InvalidInput, NotFound
from domain.ids import derived_id

MAX_LEVELS = 3
KEPT_OPENINGS = 50  # per device and link: enough for any window the rules look at


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
        owner_device: str | None = None  # where the owner asked for it (None: not over HTTP)

    class Suspected(Aggregate.Event):
        """Its openings looked like farming: follows through it soon after are held."""

        reason: str
        at: datetime

        def apply(self, share: ShareToken) -> None:
            share.suspicions.append((self.reason, self.at))

    def __init__(
        self,
        token: str,
        owner_id: UUID,
        campaign_id: UUID | None,
        owner_device: str | None = None,  # tokens shared before devices were recorded
    ) -> None:
        self.token = token
        self.owner_id = owner_id
        self.campaign_id = campaign_id
        self.owner_device = owner_device
        self.suspicions: list[tuple[str, datetime]] = []

    @classmethod
    def share(
        cls, owner_id: UUID, campaign_id: UUID | None = None, owner_device: str | None = None
    ) -> ShareToken:
        """Create a fresh token for a member, optionally for one campaign."""
        token = new_share_token()
        return cls._create(
            cls.Shared,
            id=cls.id_for(token),
            token=token,
            owner_id=owner_id,
            campaign_id=campaign_id,
            owner_device=owner_device,
        )

    def notice_opening(
        self, device: InvitationDevice, limit: int, window: timedelta, now: datetime
    ) -> None:
        """Suspect the link when the owner's device or one device opening it `limit` times
        in `window` opened it; once per reason and window."""
        reason = None
        if self.owner_device is not None and device.device == self.owner_device:
            reason = "owner-device"
        elif device.openings_since(now - window) >= limit:
            reason = "one-device"
        if reason and reason not in self.suspicions_since(now - window, now):
            self.trigger_event(self.Suspected, reason=reason, at=now)

    def suspicions_since(self, start: datetime, end: datetime) -> list[str]:
        """Why the link was suspected between two moments, oldest first."""
        return [reason for reason, at in self.suspicions if start <= at <= end]

    @property
    def scene(self) -> str:
        return f"ref:{self.token}"


class InvitationDevice(Aggregate):
    """One device's openings of one invitation link (its own aggregate: no hot token)."""

    @staticmethod
    def id_for(token: str, device: str) -> UUID:
        return derived_id("invitation-device", token, device)

    class Started(Aggregate.Created):
        token: str
        device: str

    class Opened(Aggregate.Event):
        at: datetime

        def apply(self, opened: InvitationDevice) -> None:
            opened.openings = [*opened.openings[-KEPT_OPENINGS + 1 :], self.at]

    def __init__(self, token: str, device: str) -> None:
        self.token = token
        self.device = device
        self.openings: list[datetime] = []

    @classmethod
    def start(cls, token: str, device: str) -> InvitationDevice:
        return cls._create(cls.Started, id=cls.id_for(token, device), token=token, device=device)

    def open(self, now: datetime) -> None:
        """The link was opened from this device."""
        self.trigger_event(self.Opened, at=now)

    def openings_since(self, moment: datetime) -> int:
        return sum(1 for at in self.openings if at >= moment)


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
