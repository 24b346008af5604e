"""The referral review queue: operators see judged referrals and decide flagged ones."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Body, Query

from projections.review import ReviewRow, review_counts, review_queue
from services.api.deps import ContextDep, LianjieDep, OperatorDep, ReadAfter
from services.api.schemas.common import problem_responses
from services.api.schemas.reviews import ReviewDecision, ReviewList, ReviewOut, ReviewStatus
from services.app.referrals import ReviewView

router = APIRouter(
    prefix="/api/referral-reviews",
    tags=["referral reviews"],
    responses=problem_responses(401, 403, 404, 409, 422),
)
Decision = Annotated[ReviewDecision | None, Body()]


def review_out(review: ReviewView | ReviewRow) -> ReviewOut:
    return ReviewOut.model_validate(review, from_attributes=True)


@router.get("", dependencies=[ReadAfter])
def list_reviews(
    _: OperatorDep,
    context: ContextDep,
    status: ReviewStatus = "flagged",
    referrer_id: UUID | None = None,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> ReviewList:
    """Judged referrals of one status (flagged: the queue), oldest follow first."""
    db = context.read_models.db
    rows = review_queue(db, status, referrer_id, limit, offset)
    return ReviewList(items=[review_out(row) for row in rows], counts=review_counts(db))


@router.get("/{review_id}")
def get_review(review_id: UUID, _: OperatorDep, app: LianjieDep) -> ReviewOut:
    """A referral's review by id, from the log."""
    return review_out(app.get_referral_review(review_id))


@router.post("/{review_id}/approve")
def approve(
    review_id: UUID, operator: OperatorDep, app: LianjieDep, body: Decision = None
) -> ReviewOut:
    """Release a flagged referral's reward: paid once, by the policies."""
    note = body.note if body else ""
    return review_out(app.approve_referral(review_id, operator.subject_id, note))


@router.post("/{review_id}/reject")
def reject(
    review_id: UUID, operator: OperatorDep, app: LianjieDep, body: Decision = None
) -> ReviewOut:
    """Refuse a flagged referral's reward for good."""
    note = body.note if body else ""
    return review_out(app.reject_referral(review_id, operator.subject_id, note))
