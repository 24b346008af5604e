"""Member: a follower of the Official Account, identified by WeChat openid."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate

from domain.errors import DomainError, InvalidInput, NotFound
from domain.ids import derived_id
from domain.personal import ERASED, PersonalData

MAX_TAG_LENGTH = 32


class MemberNotFound(NotFound):
    """No member has this id or openid."""

    slug = "member-not-found"
    title = "Member not found"


class AlreadyFollowing(DomainError):
    """The member follows already; a second follow changes nothing."""

    slug = "already-following"
    title = "Already following"


class NotFollowing(DomainError):
    """The member has unfollowed; there is nothing to unfollow."""

    slug = "not-following"
    title = "Not following"


class InvalidProfile(InvalidInput):
    """A profile field is malformed."""

    slug = "invalid-profile"
    title = "Invalid profile"


@dataclass(frozen=True)
class Attribution:
    """Where a follower first came from: first touch, never rewritten."""

    scene: str | None = None
    store_id: UUID | None = None
    campaign_id: UUID | None = None
    referrer_id: UUID | None = None
    share_token: str | None = None


def openid_owner(event: Any) -> UUID:
    """The member an event's `openid` belongs to (the data subject of WeChat events)."""
    return Member.id_for(event.openid)


class Member(Aggregate):
    """A follower; created by the first follow, which fixes attribution forever."""

    @staticmethod
    def id_for(openid: str) -> UUID:
        return derived_id("member", openid)

    class Followed(Aggregate.Created):
        personal_data = PersonalData(("openid",))
        openid: str
        scene: str | None
        store_id: UUID | None
        campaign_id: UUID | None
        referrer_id: UUID | None
        share_token: str | None
        at: datetime

    class Unfollowed(Aggregate.Event):
        at: datetime

        def apply(self, member: Member) -> None:
            member.following = False

    class Refollowed(Aggregate.Event):
        """Following again; `openid` is recorded anew only after an erasure."""

        class_version = 2
        personal_data = PersonalData(("openid",))
        scene: str | None
        openid: str | None
        at: datetime

        @staticmethod
        def upcast_v1_v2(state: dict) -> None:
            state["openid"] = None

        def apply(self, member: Member) -> None:
            member.following = True
            if self.openid is not None:
                member.openid, member.erased = self.openid, False

    class ProfileCompleted(Aggregate.Event):
        personal_data = PersonalData(("phone",))
        region: str
        phone: str | None

        def apply(self, member: Member) -> None:
            member.region = self.region
            member.phone = self.phone

    class RegionDetected(Aggregate.Event):
        """WeChat reported a location inside one of the brand's regions."""

        region: str

        def apply(self, member: Member) -> None:
            member.region = self.region

    class Tagged(Aggregate.Event):
        tag: str

        def apply(self, member: Member) -> None:
            member.tags.append(self.tag)

    class Untagged(Aggregate.Event):
        tag: str

        def apply(self, member: Member) -> None:
            member.tags.remove(self.tag)

    class PurchaseRecorded(Aggregate.Event):
        store_id: UUID
        amount_fen: int
        order_ref: str
        at: datetime

        def apply(self, member: Member) -> None:
            member.spent_fen += self.amount_fen

    class CardActivated(Aggregate.Event):
        """The follower activated their member card; when, nothing personal."""

        at: datetime

        def apply(self, member: Member) -> None:
            member.card_activated_at = self.at

    class Erased(Aggregate.Event):
        """An operator erased the member's personal data (PIPL); who and when, nothing else."""

        by: UUID
        at: datetime

        def apply(self, member: Member) -> None:
            member.openid, member.phone = ERASED, None
            member.following, member.erased = False, True

    def __init__(
        self,
        openid: str,
        scene: str | None,
        store_id: UUID | None,
        campaign_id: UUID | None,
        referrer_id: UUID | None,
        share_token: str | None,
        at: datetime,
    ) -> None:
        self.openid = openid
        self.attribution = Attribution(scene, store_id, campaign_id, referrer_id, share_token)
        self.followed_at = at
        self.following = True
        self.region: str | None = None
        self.phone: str | None = None
        self.tags: list[str] = []
        self.spent_fen = 0
        self.erased = False
        self.card_activated_at: datetime | None = None

    @classmethod
    def follow(cls, openid: str, attribution: Attribution, now: datetime) -> Member:
        """A first follow: creates the member with its first-touch attribution."""
        if not openid.strip():
            raise InvalidInput("openid must not be empty")
        member_id = cls.id_for(openid)
        referrer_id = attribution.referrer_id
        if referrer_id == member_id:  # self-referral earns no attribution
            referrer_id = None
        return cls._create(
            cls.Followed,
            id=member_id,
            openid=openid,
            scene=attribution.scene,
            store_id=attribution.store_id,
            campaign_id=attribution.campaign_id,
            referrer_id=referrer_id,
            share_token=attribution.share_token if referrer_id else None,
            at=now,
        )

    def refollow(self, scene: str | None, now: datetime, openid: str | None = None) -> None:
        """Follow again after unfollowing: never re-attributes, never re-rewards; after an
        erasure the openid is recorded again (under a new key)."""
        if self.following:
            raise AlreadyFollowing(f"member {self.id} already follows")
        openid = openid if self.erased else None
        self.trigger_event(self.Refollowed, scene=scene, openid=openid, at=now)

    def unfollow(self, now: datetime) -> None:
        """Stop following the Official Account."""
        self.check_following()
        self.trigger_event(self.Unfollowed, at=now)

    def activate_card(self, now: datetime) -> None:
        """Activate the member card, once: activating an active card changes nothing."""
        self.check_following()
        if self.card_activated_at is None:
            self.trigger_event(self.CardActivated, at=now)

    def check_following(self) -> None:
        if not self.following:
            raise NotFollowing(f"member {self.id} does not follow")

    def erase(self, by: UUID, now: datetime) -> None:
        """Erase the member's personal data: they stop following and read as ERASED;
        points, coupons and referrals stay. Erasing again (new data came) is allowed."""
        self.trigger_event(self.Erased, by=by, at=now)

    def complete_profile(self, region: str, phone: str | None = None) -> None:
        """Record the member's region and, optionally, phone number."""
        region = region.strip()
        if not region:
            raise InvalidProfile("region must not be empty")
        if phone is not None and not (
            phone.isascii() and phone.isdigit() and 5 <= len(phone) <= 15
        ):
            raise InvalidProfile("phone must be 5 to 15 digits")
        self.trigger_event(self.ProfileCompleted, region=region, phone=phone)

    def detect_region(self, region: str) -> None:
        """Place the member in the region their location falls in (no change, no event)."""
        if region != self.region:
            self.trigger_event(self.RegionDetected, region=region)

    def record_purchase(self, store_id: UUID, amount_fen: int, order_ref: str, now: datetime):
        """A purchase at a store's till, in fen."""
        if amount_fen <= 0:
            raise InvalidInput("amount_fen must be positive")
        if not order_ref.strip():
            raise InvalidInput("a purchase needs an order_ref")
        self.trigger_event(
            self.PurchaseRecorded,
            store_id=store_id,
            amount_fen=amount_fen,
            order_ref=order_ref,
            at=now,
        )

    def tag(self, tag: str) -> None:
        """Add a segmentation tag; tagging twice changes nothing."""
        tag = self.check_tag(tag)
        if tag not in self.tags:
            self.trigger_event(self.Tagged, tag=tag)

    def untag(self, tag: str) -> None:
        """Remove a segmentation tag if present."""
        tag = self.check_tag(tag)
        if tag in self.tags:
            self.trigger_event(self.Untagged, tag=tag)

    @staticmethod
    def check_tag(tag: str) -> str:
        tag = tag.strip()
        if not tag or len(tag) > MAX_TAG_LENGTH:
            raise InvalidProfile(f"a tag has 1 to {MAX_TAG_LENGTH} characters")
        return tag
