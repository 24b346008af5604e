"""Referral leaderboard: referrals per member, overall and per day/week/month,
per store (the referrer's first-touch store) and per campaign; ties go to whoever
referred first.

A referral counts from its follow. One the fraud review flags is taken off while it is
held and put back if an operator approves it; refused ones (self-referral, cycles,
re-follows) never count, and capped ones count (the friend came; the reward was capped).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from domain.member import Member
from domain.review import ReferralReview
from projections.sql import SHANGHAI, Database, iso
from projections.view import Batch, View, handles

PERIODS = ("all", "day", "week", "month")
UPSERT = (
    "INSERT INTO referral_counts (period, period_key, scope, scope_id, member_id, referrals, "
    "first_at) VALUES (%s, %s, %s, %s, %s, %s, %s) "
    "ON CONFLICT (period, period_key, scope, scope_id, member_id) DO UPDATE SET "
    "referrals = referral_counts.referrals + excluded.referrals, "
    "first_at = CASE WHEN excluded.first_at < referral_counts.first_at "
    "THEN excluded.first_at ELSE referral_counts.first_at END"
)


def period_keys(moment: datetime) -> list[tuple[str, str]]:
    """The periods a moment falls in, by the Asia/Shanghai calendar."""
    local = moment.astimezone(SHANGHAI)
    year, week, _ = local.isocalendar()
    return [
        ("all", ""),
        ("day", local.date().isoformat()),
        ("week", f"{year}-W{week:02d}"),
        ("month", f"{local.year}-{local.month:02d}"),
    ]


class ReferralLeaderboardView(View):
    """Counters of referrals by (period, scope, member)."""

    name = "leaderboard"
    tables = {
        "referral_counts": (
            "period TEXT NOT NULL, period_key TEXT NOT NULL, scope TEXT NOT NULL, "
            "scope_id TEXT NOT NULL, member_id TEXT NOT NULL, referrals BIGINT NOT NULL, "
            "first_at TEXT NOT NULL, "
            "PRIMARY KEY (period, period_key, scope, scope_id, member_id)"
        ),
        "referral_members": "member_id TEXT PRIMARY KEY, store_id TEXT",
        "referral_held": (
            "review_id TEXT PRIMARY KEY, referrer_id TEXT NOT NULL, campaign_id TEXT, "
            "followed_at TEXT NOT NULL"
        ),
    }
    indexes = [
        "CREATE INDEX IF NOT EXISTS referral_counts_rank ON referral_counts "
        "(period, period_key, scope, scope_id, referrals DESC, first_at)"
    ]

    def __init__(self) -> None:
        self.home_store: dict[str, str | None] = {}  # first touch never changes
        self.held: dict[str, tuple[str, str | None, str]] = {}  # flagged in this process

    @handles(Member.Followed)
    def followed(self, event: Member.Followed, batch: Batch) -> None:
        member_id = str(event.originator_id)
        store_id = str(event.store_id) if event.store_id else None
        self.home_store[member_id] = store_id
        batch.run(
            "INSERT INTO referral_members (member_id, store_id) VALUES (%s, %s)",
            member_id,
            store_id,
        )
        if event.referrer_id:
            campaign_id = str(event.campaign_id) if event.campaign_id else None
            self.count_referral(str(event.referrer_id), campaign_id, iso(event.at), 1, batch)

    @handles(ReferralReview.Flagged)
    def flagged(self, event: ReferralReview.Flagged, batch: Batch) -> None:
        held = (
            str(event.referrer_id),
            str(event.campaign_id) if event.campaign_id else None,
            iso(event.followed_at),
        )
        self.held[str(event.originator_id)] = held
        batch.run(
            "INSERT INTO referral_held (review_id, referrer_id, campaign_id, followed_at) "
            "VALUES (%s, %s, %s, %s)",
            str(event.originator_id),
            *held,
        )
        self.count_referral(*held, -1, batch)

    @handles(ReferralReview.Approved)
    def approved(self, event: ReferralReview.Approved, batch: Batch) -> None:
        review_id = str(event.originator_id)
        held = (
            self.held.pop(review_id, None)
            or batch.sql.rows(
                "SELECT referrer_id, campaign_id, followed_at FROM referral_held "
                "WHERE review_id = %s",
                [review_id],
            )[0]
        )
        self.count_referral(*held, 1, batch)

    def count_referral(
        self, referrer: str, campaign_id: str | None, at: str, delta: int, batch: Batch
    ) -> None:
        scopes = [("all", "")]
        if store := self.store_of(referrer, batch):
            scopes.append(("store", store))
        if campaign_id:
            scopes.append(("campaign", campaign_id))
        for period, period_key in period_keys(datetime.fromisoformat(at)):
            for scope, scope_id in scopes:
                key = (period, period_key, scope, scope_id, referrer)
                batch.add(UPSERT, key, delta, earliest=at)

    def store_of(self, member_id: str, batch: Batch) -> str | None:
        if member_id not in self.home_store:
            self.home_store[member_id] = batch.sql.value(
                "SELECT store_id FROM referral_members WHERE member_id = %s", [member_id]
            )
        return self.home_store[member_id]


@dataclass(frozen=True)
class LeaderboardEntry:
    rank: int
    member_id: UUID
    referrals: int


def referral_leaderboard(
    db: Database,
    limit: int = 10,
    period: str = "all",
    period_key: str = "",
    scope: str = "all",
    scope_id: str = "",
) -> list[LeaderboardEntry]:
    """Members by referrals, most first; ties to the earliest referrer."""
    rows = db.read(
        "SELECT member_id, referrals FROM referral_counts WHERE period = %s AND period_key = %s "
        "AND scope = %s AND scope_id = %s AND referrals > 0 "
        "ORDER BY referrals DESC, first_at, member_id LIMIT %s",
        [period, period_key, scope, scope_id, limit],
    )
    return [LeaderboardEntry(rank, UUID(m), n) for rank, (m, n) in enumerate(rows, start=1)]


def referral_rank(db: Database, member_id: UUID) -> int | None:
    """A member's place on the overall board; None before their first referral."""
    mine = db.read(
        "SELECT referrals, first_at FROM referral_counts WHERE period = 'all' AND scope = 'all' "
        "AND member_id = %s AND referrals > 0",
        [str(member_id)],
    )
    if not mine:
        return None
    referrals, first_at = mine[0]
    ahead = db.read(
        "SELECT COUNT(*) FROM referral_counts WHERE period = 'all' AND scope = 'all' "
        "AND (referrals > %s OR (referrals = %s AND (first_at < %s "
        "OR (first_at = %s AND member_id < %s))))",
        [referrals, referrals, first_at, first_at, str(member_id)],
    )
    return ahead[0][0] + 1
