"""Referral review queue: every judged referral with its verdict and reasons, flagged
ones (waiting for an operator) oldest first. Members are named by id only."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from domain.review import ReferralReview
from projections.queues import counts_by_status, page_in_status
from projections.sql import Database, iso, optional_uuid
from projections.view import Batch, View, handles

STATUSES = ("flagged", "approved", "rejected", "refused", "capped", "cleared")


class ReferralReviewView(View):
    """One row per judged referred follow."""

    name = "reviews"
    tables = {
        "referral_reviews": (
            "review_id TEXT PRIMARY KEY, member_id TEXT NOT NULL, referrer_id TEXT NOT NULL, "
            "campaign_id TEXT, status TEXT NOT NULL, reasons TEXT NOT NULL, "
            "followed_at TEXT NOT NULL, decided_at TEXT, operator_id TEXT, note TEXT"
        ),
    }
    indexes = [
        "CREATE INDEX IF NOT EXISTS referral_reviews_queue ON referral_reviews "
        "(status, followed_at, review_id)",
        "CREATE INDEX IF NOT EXISTS referral_reviews_referrer ON referral_reviews "
        "(referrer_id, followed_at)",
    ]

    @handles(
        ReferralReview.Cleared,
        ReferralReview.Refused,
        ReferralReview.Flagged,
        ReferralReview.Capped,
    )
    def judged(self, event: ReferralReview.Judged, batch: Batch) -> None:
        batch.run(
            "INSERT INTO referral_reviews (review_id, member_id, referrer_id, campaign_id, "
            "status, reasons, followed_at) VALUES (%s, %s, %s, %s, %s, %s, %s)",
            str(event.originator_id),
            str(event.member_id),
            str(event.referrer_id),
            str(event.campaign_id) if event.campaign_id else None,
            event.verdict,
            ",".join(event.reasons),
            iso(event.followed_at),
        )

    @handles(ReferralReview.Approved, ReferralReview.Rejected)
    def decided(self, event: ReferralReview.Decided, batch: Batch) -> None:
        batch.run(
            "UPDATE referral_reviews SET status = %s, decided_at = %s, operator_id = %s, "
            "note = %s WHERE review_id = %s",
            event.verdict,
            iso(event.at),
            str(event.operator_id),
            event.note,
            str(event.originator_id),
        )


@dataclass(frozen=True)
class ReviewRow:
    id: UUID
    member_id: UUID
    referrer_id: UUID
    campaign_id: UUID | None
    status: str
    reasons: list[str]
    followed_at: datetime
    decided_at: datetime | None
    operator_id: UUID | None
    note: str


COLUMNS = (
    "review_id, member_id, referrer_id, campaign_id, status, reasons, followed_at, "
    "decided_at, operator_id, note"
)


def review_row(row: tuple) -> ReviewRow:
    review_id, member_id, referrer_id, campaign_id, status, reasons, followed, decided = row[:8]
    operator_id, note = row[8:]
    return ReviewRow(
        UUID(review_id),
        UUID(member_id),
        UUID(referrer_id),
        optional_uuid(campaign_id),
        status,
        reasons.split(",") if reasons else [],
        datetime.fromisoformat(followed),
        datetime.fromisoformat(decided) if decided else None,
        optional_uuid(operator_id),
        note or "",
    )


def review_queue(
    db: Database,
    status: str = "flagged",
    referrer_id: UUID | None = None,
    limit: int = 50,
    offset: int = 0,
) -> list[ReviewRow]:
    """Referral reviews with this status (optionally one referrer's), oldest follow first."""
    narrow = ("referrer_id", referrer_id)
    order = "followed_at, review_id"
    rows = page_in_status(db, "referral_reviews", COLUMNS, status, order, narrow, limit, offset)
    return [review_row(row) for row in rows]


def review_counts(db: Database) -> dict[str, int]:
    """How many referral reviews there are of each status (0 for none)."""
    return counts_by_status(db, "referral_reviews", STATUSES)
