"""ClaimReview: a claim held because its device had claimed the campaign for other members.

One person with several WeChat accounts could claim a campaign once per account. A
follower's own claims carry their device (a keyed hash of IP and browser, as for
invitation openings); `ClaimDevice` records which members claimed one campaign from one
device. Once it has claimed for `limit` members, a claim from it for a further member is
held: nothing is reserved or issued, and a `ClaimReview` waits for an operator, who
approves (the claim is made then, once, under the campaign's rules) or rejects (never
paid). Identical phones on a store's Wi-Fi look alike, so a device holds, never refuses.

A review's id is its claim's (campaign, member, slot): holding the same claim again
finds the review made the first time.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from eventsourcing.domain import Aggregate

from domain.claim import CampaignOutOfStock
from domain.errors import DomainError, NotFound
from domain.ids import derived_id


class ClaimReviewNotFound(NotFound):
    """No claim review has this id."""

    slug = "claim-review-not-found"
    title = "Claim review not found"


class ClaimReviewNotPending(DomainError):
    """Only a held claim waits for an operator; this one is decided."""

    slug = "claim-review-not-pending"
    title = "Claim review already decided"


class ClaimRejected(DomainError):
    """An operator rejected this held claim: it is never paid."""

    slug = "claim-rejected"
    title = "Claim rejected"


class ClaimDevice(Aggregate):
    """The members who claimed one campaign from one device (its own aggregate: no hot
    campaign)."""

    @staticmethod
    def id_for(campaign_id: UUID, device: str) -> UUID:
        return derived_id("claim-device", campaign_id, device)

    class Started(Aggregate.Created):
        campaign_id: UUID
        device: str

    class Claimed(Aggregate.Event):
        member_id: UUID

        def apply(self, claimed: ClaimDevice) -> None:
            claimed.members.append(self.member_id)

    def __init__(self, campaign_id: UUID, device: str) -> None:
        self.campaign_id = campaign_id
        self.device = device
        self.members: list[UUID] = []

    @classmethod
    def start(cls, campaign_id: UUID, device: str) -> ClaimDevice:
        return cls._create(
            cls.Started, id=cls.id_for(campaign_id, device), campaign_id=campaign_id, device=device
        )

    def holds(self, member_id: UUID, limit: int) -> bool:
        """Whether a claim for this member is held: the device has claimed for `limit`
        other members already (a limit of 0 never holds)."""
        return member_id not in self.members and 0 < limit <= len(self.members)

    def record(self, member_id: UUID) -> None:
        """A claim for this member was made from this device (recorded once per member)."""
        if member_id not in self.members:
            self.trigger_event(self.Claimed, member_id=member_id)


class ClaimReview(Aggregate):
    """A held claim, and an operator's decision on it."""

    @staticmethod
    def id_for(campaign_id: UUID, member_id: UUID, slot: int) -> UUID:
        return derived_id("claim-review", campaign_id, member_id, slot)

    class Held(Aggregate.Created):
        campaign_id: UUID
        member_id: UUID
        slot: int
        device: str
        other_members: list[UUID]  # whom the device had claimed the campaign for
        at: datetime

    class Decided(Aggregate.Event):
        operator_id: UUID
        at: datetime
        note: str
        verdict = "decided"

        def apply(self, review: ClaimReview) -> None:
            review.status = self.verdict
            review.operator_id = self.operator_id
            review.decided_at = self.at
            review.note = self.note

    class Approved(Decided):
        """An operator found the claim genuine: it was made, under the campaign's rules."""

        claim_id: UUID
        verdict = "approved"

        def apply(self, review: ClaimReview) -> None:
            super().apply(review)
            review.claim_id = self.claim_id

    class Rejected(Decided):
        """An operator found the claim fraudulent: never paid."""

        verdict = "rejected"

    class StockRanOut(Decided):
        """An operator approved, but the campaign's stock was gone: nothing was issued."""

        verdict = "out-of-stock"

    def __init__(
        self,
        campaign_id: UUID,
        member_id: UUID,
        slot: int,
        device: str,
        other_members: list[UUID],
        at: datetime,
    ) -> None:
        self.campaign_id = campaign_id
        self.member_id = member_id
        self.slot = slot
        self.device = device
        self.other_members = other_members
        self.held_at = at
        self.status = "held"
        self.claim_id: UUID | None = None
        self.operator_id: UUID | None = None
        self.decided_at: datetime | None = None
        self.note = ""

    @classmethod
    def hold(
        cls, campaign_id: UUID, member_id: UUID, slot: int, device: ClaimDevice, at: datetime
    ) -> ClaimReview:
        """Hold a member's claim (their `slot`-th) made from a device that claimed for others."""
        return cls._create(
            cls.Held,
            id=cls.id_for(campaign_id, member_id, slot),
            campaign_id=campaign_id,
            member_id=member_id,
            slot=slot,
            device=device.device,
            other_members=list(device.members),
            at=at,
        )

    def check_still_held(self) -> None:
        """Held again: it still waits, unless an operator rejected it or its stock ran out."""
        if self.status == "rejected":
            raise ClaimRejected(f"claim review {self.id} was rejected")
        if self.status == "out-of-stock":
            raise CampaignOutOfStock(f"claim review {self.id} found the stock gone")

    def approve(self, operator_id: UUID, now: datetime, note: str, claim_id: UUID) -> None:
        """Record that the held claim was made, as `claim_id`."""
        self.check_pending()
        self.trigger_event(
            self.Approved, operator_id=operator_id, at=now, note=note, claim_id=claim_id
        )

    def reject(self, operator_id: UUID, now: datetime, note: str = "") -> None:
        """Refuse the held claim for good."""
        self.check_pending()
        self.trigger_event(self.Rejected, operator_id=operator_id, at=now, note=note)

    def give_up_out_of_stock(self, operator_id: UUID, now: datetime, note: str = "") -> None:
        """An approval found the campaign's stock gone: close the review, nothing issued."""
        self.check_pending()
        self.trigger_event(self.StockRanOut, operator_id=operator_id, at=now, note=note)

    def check_pending(self) -> None:
        if self.status != "held":
            raise ClaimReviewNotPending(f"claim review {self.id} is {self.status}")
