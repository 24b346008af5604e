"""Use cases for members: follow (with attribution), unfollow, profile, tags, purchases, erasure."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from eventsourcing.domain import Aggregate

from domain.campaign import Campaign, CampaignNotFound
from domain.errors import DomainError
from domain.member import Attribution, Member, MemberNotFound
from domain.points import PointsAccount
from domain.scenes import Scene, parse_scene
from domain.store import Store, StoreNotFound
from services.app.privacy import PersonalDataProtection
from services.app.referrals import ReferralUseCases


@dataclass(frozen=True)
class FollowResult:
    member_id: UUID
    is_new: bool
    referrer_id: UUID | None


@dataclass(frozen=True)
class MemberView:
    id: UUID
    openid: str
    following: bool
    followed_at: datetime
    region: str | None
    phone: str | None
    tags: list[str]
    scene: str | None
    store_id: UUID | None
    campaign_id: UUID | None
    referrer_id: UUID | None


def member_view(member: Member) -> MemberView:
    source = member.attribution
    return MemberView(
        id=member.id,
        openid=member.openid,
        following=member.following,
        followed_at=member.followed_at,
        region=member.region,
        phone=member.phone,
        tags=list(member.tags),
        scene=source.scene,
        store_id=source.store_id,
        campaign_id=source.campaign_id,
        referrer_id=source.referrer_id,
    )


class MemberUseCases(ReferralUseCases, PersonalDataProtection):
    def follow(self, openid: str, scene: str | None = None) -> FollowResult:
        """A follow from WeChat: creates the member with first-touch attribution, or re-follows."""
        return self.retrying(lambda: self.follow_once(openid, scene))

    def follow_once(self, openid: str, scene: str | None) -> FollowResult:
        member_id = Member.id_for(openid)
        existing = self.member(member_id) if self.exists(member_id) else None
        member, changed = self.decide_follow(existing, openid, scene, self.now())
        self.save(*changed)
        if existing is None:
            return FollowResult(member_id, True, member.attribution.referrer_id)
        return FollowResult(member_id, False, None)

    def decide_follow(
        self, member: Member | None, openid: str, scene: str | None, now: datetime
    ) -> tuple[Member, list[Aggregate]]:
        """A first follow (with attribution and a points account) or a re-follow (without);
        the member and what to save, nothing when they follow already."""
        if member is None:
            member = Member.follow(openid, self.attribution(scene), now)
            return member, [member, PointsAccount.open(member.id)]
        if not member.following:
            member.refollow(scene, now, openid)
            return member, [member]
        return member, []

    def import_member(
        self, openid: str, region: str | None = None, phone: str | None = None, tags=()
    ) -> MemberView:
        """An existing customer from another system: created if absent (no attribution),
        profile and tags added; one transaction, so a row is imported whole or not at all."""

        def attempt() -> Member:
            member_id = Member.id_for(openid)
            existing = self.member(member_id) if self.exists(member_id) else None
            member, changed = (
                (existing, []) if existing else self.decide_follow(None, openid, None, self.now())
            )
            if region:
                member.complete_profile(region, phone)
            for tag in tags:
                member.tag(tag)
            if existing and member.pending_events:
                changed = [member]
            self.save(*changed)
            return member

        return member_view(self.retrying(attempt))

    def attribution(self, scene_text: str | None) -> Attribution:
        """Who and what a scene names; an unknown or stale scene attributes nothing."""
        if not scene_text:
            return Attribution()
        try:
            scene = parse_scene(scene_text)
            return self.attribution_for(scene)
        except DomainError:
            return Attribution(scene=scene_text)

    def attribution_for(self, scene: Scene) -> Attribution:
        if scene.kind == "store":
            self.load(Store, scene.uuid, StoreNotFound)
            return Attribution(scene=str(scene), store_id=scene.uuid)
        if scene.kind == "campaign":
            self.load(Campaign, scene.uuid, CampaignNotFound)
            return Attribution(scene=str(scene), campaign_id=scene.uuid)
        share = self.share_token(scene.value)
        return Attribution(
            scene=str(scene),
            campaign_id=share.campaign_id,
            referrer_id=share.owner_id,
            share_token=share.token,
        )

    def unfollow(self, openid: str) -> None:
        """The follower left the Official Account."""
        now = self.now()
        self.update(lambda: self.member(Member.id_for(openid)), lambda m: m.unfollow(now))

    def complete_profile(self, member_id: UUID, region: str, phone: str | None = None) -> None:
        """Record a member's region and optional phone."""
        self.update(lambda: self.member(member_id), lambda m: m.complete_profile(region, phone))

    def activate_card(self, member_id: UUID) -> datetime:
        """Activate a follower's member card (once); when it was activated."""
        now = self.now()
        member = self.update(lambda: self.member(member_id), lambda m: m.activate_card(now))
        return member.card_activated_at

    def tag_member(self, member_id: UUID, tag: str) -> None:
        """Add a segmentation tag."""
        self.update(lambda: self.member(member_id), lambda m: m.tag(tag))

    def untag_member(self, member_id: UUID, tag: str) -> None:
        """Remove a segmentation tag."""
        self.update(lambda: self.member(member_id), lambda m: m.untag(tag))

    def erase_member(self, member_id: UUID, operator_id: UUID) -> MemberView:
        """Erase a member's personal data (PIPL): record who did it, then delete their keys,
        so the personal fields of every event of theirs read as erased from now on."""
        now = self.now()
        member = self.update(lambda: self.member(member_id), lambda m: m.erase(operator_id, now))
        self.personal_data.erase(member_id)
        return member_view(member)

    def get_member(self, member_id: UUID) -> MemberView:
        """A member by id."""
        return member_view(self.member(member_id))

    def find_member(self, openid: str) -> MemberView:
        """A member by WeChat openid."""
        return self.get_member(Member.id_for(openid))

    def member(self, member_id: UUID) -> Member:
        return self.load(Member, member_id, MemberNotFound)
