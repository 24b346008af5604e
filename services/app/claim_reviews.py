"""Use cases for claims held because their device claimed the campaign for other members:
the review of each, and an operator's verdict (domain/claim_review.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from domain.claim import CampaignOutOfStock
from domain.claim_review import ClaimReview, ClaimReviewNotFound
from domain.errors import DomainError
from services.app.campaigns import CampaignUseCases


@dataclass(frozen=True)
class ClaimReviewView:
    id: UUID
    campaign_id: UUID
    member_id: UUID
    device: str
    other_members: list[UUID]
    held_at: datetime
    status: str
    claim_id: UUID | None
    operator_id: UUID | None
    decided_at: datetime | None
    note: str


def claim_review_view(review: ClaimReview) -> ClaimReviewView:
    return ClaimReviewView(
        review.id,
        review.campaign_id,
        review.member_id,
        review.device,
        list(review.other_members),
        review.held_at,
        review.status,
        review.claim_id,
        review.operator_id,
        review.decided_at,
        review.note,
    )


class ClaimReviewUseCases(CampaignUseCases):
    def approve_claim(self, review_id: UUID, operator_id: UUID, note: str = "") -> ClaimReviewView:
        """An operator releases a held claim: it is made now, once, under the campaign's rules
        (window, per-member limit, stock); stock gone meanwhile closes the review unpaid."""

        def attempt() -> ClaimReview:
            now = self.now()
            review = self.claim_review(review_id)
            review.check_pending()
            try:
                result, changed = self.decide_claim(review.campaign_id, review.member_id, "claim")
            except CampaignOutOfStock:
                review.give_up_out_of_stock(operator_id, now, note)
                self.save(review)
                return review
            except DomainError:
                # A twin approval may have won meanwhile: its claim is what refuses us.
                self.claim_review(review_id).check_pending()
                raise
            assert result.claim_id is not None  # no device given: never held again
            device = self.claim_device(review.campaign_id, review.device)
            device.record(review.member_id)  # approved: the device's claims for them are not held
            review.approve(operator_id, now, note, result.claim_id)
            self.save(review, device, *changed)
            return review

        return claim_review_view(self.retrying(attempt))

    def reject_claim(self, review_id: UUID, operator_id: UUID, note: str = "") -> ClaimReviewView:
        """An operator refuses a held claim for good."""
        now = self.now()
        review = self.update(
            lambda: self.claim_review(review_id), lambda r: r.reject(operator_id, now, note)
        )
        return claim_review_view(review)

    def get_claim_review(self, review_id: UUID) -> ClaimReviewView:
        """A held claim's review by id."""
        return claim_review_view(self.claim_review(review_id))

    def claim_review(self, review_id: UUID) -> ClaimReview:
        return self.load(ClaimReview, review_id, ClaimReviewNotFound)
