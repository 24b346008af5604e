"""Referral leaderboard: referrals per member, overall and per day/week/month,
per store (the referrer's first-touch store) and per campaign; ties go to whoever
referred first.

Which referrals count is decided in `projections/referrals.py`, as for the wallet and
the contribution score: from the follow; one the fraud review flags is off while it is
held and back if an operator approves it; refused ones never count, capped ones do.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from domain.member import Member
from projections.referrals import (
    REVIEW_VERDICTS,
    CountedReferrals,
    Referral,
    Verdict,
    held_table,
)
from projections.sql import SHANGHAI, Database
from projections.view import Batch, View, handles, remembered

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
        **held_table("referral_held"),
    }
    indexes = [
        "CREATE INDEX IF NOT EXISTS referral_counts_rank ON referral_counts "
        "(period, period_key, scope, scope_id, referrals DESC, first_at)"
    ]

    def __init__(self) -> None:
        self.home_store: dict[str, str | None] = {}  # first touch never changes
        self.referrals = CountedReferrals("referral_held", self.count_referral)

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
        self.referrals.followed(event, batch)

    @handles(*REVIEW_VERDICTS)
    def reviewed(self, verdict: Verdict, batch: Batch) -> None:
        self.referrals.reviewed(verdict, batch)

    def count_referral(self, referral: Referral, delta: int, batch: Batch) -> None:
        referrer, campaign_id, at = referral
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
        query = "SELECT store_id FROM referral_members WHERE member_id = %s"
        return remembered(self.home_store, member_id, query, batch)


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
