"""Claim review queue: claims held because their device claimed the campaign for other
members, held ones (waiting for an operator) oldest first. Members are named by id only."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from domain.claim_review import ClaimReview
from projections.queues import counts_by_status, page_in_status
from projections.sql import Database, iso, optional_uuid
from projections.view import Batch, View, handles

STATUSES = ("held", "approved", "rejected", "out-of-stock")


class ClaimReviewQueue(View):
    """One row per held claim."""

    name = "claim_reviews"
    tables = {
        "claim_reviews": (
            "review_id TEXT PRIMARY KEY, campaign_id TEXT NOT NULL, member_id TEXT NOT NULL, "
            "device TEXT NOT NULL, other_members TEXT NOT NULL, status TEXT NOT NULL, "
            "held_at TEXT NOT NULL, claim_id TEXT, decided_at TEXT, operator_id TEXT, note TEXT"
        ),
    }
    indexes = [
        "CREATE INDEX IF NOT EXISTS claim_reviews_queue ON claim_reviews "
        "(status, held_at, review_id)",
        "CREATE INDEX IF NOT EXISTS claim_reviews_campaign ON claim_reviews "
        "(campaign_id, status, held_at)",
    ]

    @handles(ClaimReview.Held)
    def held(self, event: ClaimReview.Held, batch: Batch) -> None:
        batch.run(
            "INSERT INTO claim_reviews (review_id, campaign_id, member_id, device, "
            "other_members, status, held_at) VALUES (%s, %s, %s, %s, %s, %s, %s)",
            str(event.originator_id),
            str(event.campaign_id),
            str(event.member_id),
            event.device,
            ",".join(map(str, event.other_members)),
            "held",
            iso(event.at),
        )

    @handles(ClaimReview.Approved, ClaimReview.Rejected, ClaimReview.StockRanOut)
    def decided(self, event: ClaimReview.Decided, batch: Batch) -> None:
        claim_id = getattr(event, "claim_id", None)
        batch.run(
            "UPDATE claim_reviews SET status = %s, claim_id = %s, decided_at = %s, "
            "operator_id = %s, note = %s WHERE review_id = %s",
            event.verdict,
            str(claim_id) if claim_id else None,
            iso(event.at),
            str(event.operator_id),
            event.note,
            str(event.originator_id),
        )


@dataclass(frozen=True)
class ClaimReviewRow:
    id: UUID
    campaign_id: UUID
    member_id: UUID
    device: str
    other_members: list[UUID]
    status: str
    held_at: datetime
    claim_id: UUID | None
    decided_at: datetime | None
    operator_id: UUID | None
    note: str


COLUMNS = (
    "review_id, campaign_id, member_id, device, other_members, status, held_at, claim_id, "
    "decided_at, operator_id, note"
)


def claim_review_row(row: tuple) -> ClaimReviewRow:
    review_id, campaign_id, member_id, device, others, status, held_at = row[:7]
    claim_id, decided_at, operator_id, note = row[7:]
    return ClaimReviewRow(
        UUID(review_id),
        UUID(campaign_id),
        UUID(member_id),
        device,
        [UUID(other) for other in others.split(",") if other],
        status,
        datetime.fromisoformat(held_at),
        optional_uuid(claim_id),
        datetime.fromisoformat(decided_at) if decided_at else None,
        optional_uuid(operator_id),
        note or "",
    )


def claim_review_queue(
    db: Database,
    status: str = "held",
    campaign_id: UUID | None = None,
    limit: int = 50,
    offset: int = 0,
) -> list[ClaimReviewRow]:
    """Claim reviews with this status (optionally one campaign's), oldest hold first."""
    narrow = ("campaign_id", campaign_id)
    order = "held_at, review_id"
    rows = page_in_status(db, "claim_reviews", COLUMNS, status, order, narrow, limit, offset)
    return [claim_review_row(row) for row in rows]


def claim_review_counts(db: Database) -> dict[str, int]:
    """How many claim reviews there are of each status (0 for none)."""
    return counts_by_status(db, "claim_reviews", STATUSES)
