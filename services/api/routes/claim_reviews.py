"""The claim review queue: operators see claims held by device and decide them."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Body, Query

from projections.claim_review import ClaimReviewRow, claim_review_counts, claim_review_queue
from services.api.deps import ContextDep, LianjieDep, OperatorDep, ReadAfter
from services.api.schemas.claim_reviews import ClaimReviewList, ClaimReviewOut, ClaimReviewStatus
from services.api.schemas.common import problem_responses
from services.api.schemas.reviews import ReviewDecision
from services.app.claim_reviews import ClaimReviewView

router = APIRouter(
    prefix="/api/claim-reviews",
    tags=["claim reviews"],
    responses=problem_responses(401, 403, 404, 409, 422),
)
Decision = Annotated[ReviewDecision | None, Body()]


def claim_review_out(review: ClaimReviewView | ClaimReviewRow) -> ClaimReviewOut:
    return ClaimReviewOut.model_validate(review, from_attributes=True)


@router.get("", dependencies=[ReadAfter])
def list_claim_reviews(
    _: OperatorDep,
    context: ContextDep,
    status: ClaimReviewStatus = "held",
    campaign_id: UUID | None = None,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> ClaimReviewList:
    """Held claims' reviews of one status (held: the queue), oldest hold first."""
    db = context.read_models.db
    rows = claim_review_queue(db, status, campaign_id, limit, offset)
    return ClaimReviewList(
        items=[claim_review_out(row) for row in rows], counts=claim_review_counts(db)
    )


@router.get("/{review_id}")
def get_claim_review(review_id: UUID, _: OperatorDep, app: LianjieDep) -> ClaimReviewOut:
    """A held claim's review by id, from the log."""
    return claim_review_out(app.get_claim_review(review_id))


@router.post("/{review_id}/approve")
def approve_claim(
    review_id: UUID, operator: OperatorDep, app: LianjieDep, body: Decision = None
) -> ClaimReviewOut:
    """Make the held claim now, once (window, limit and stock still hold); status
    out-of-stock when the stock ran out meanwhile."""
    note = body.note if body else ""
    return claim_review_out(app.approve_claim(review_id, operator.subject_id, note))


@router.post("/{review_id}/reject")
def reject_claim(
    review_id: UUID, operator: OperatorDep, app: LianjieDep, body: Decision = None
) -> ClaimReviewOut:
    """Refuse the held claim for good."""
    note = body.note if body else ""
    return claim_review_out(app.reject_claim(review_id, operator.subject_id, note))
