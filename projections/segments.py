"""Segments: which members a targeted push reaches, by tag, region, store and activity.

One row per member (first-touch store, region from the profile, following or not,
when last active) and one per (tag, member). A member is active when they follow,
refollow, buy, claim, complete their profile or get tagged; last_active_at is the
latest of those moments: the event's business time `at` where it has one, else the
time the event was recorded. Claims made on a member's behalf (follow gifts,
referral rewards) are not the member's activity. A batch's changes to a member
are gathered in memory and written as one statement per member and batch (tags
apart), whatever the number of events.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from domain.claim import Claim
from domain.member import Member
from projections.contribution import MEMBER_CLAIM
from projections.sql import Database, iso
from projections.view import Batch, View, handles

# One statement per member and batch: a new member's row, or an upsert of what changed
# since (None leaves a column as it is; first-touch facts never change).
INSERT = (
    "INSERT INTO segment_members (member_id, store_id, region, following, member_since, "
    "last_active_at) VALUES (%s, %s, %s, %s, %s, %s)"
)
UPSERT = (
    f"{INSERT} ON CONFLICT (member_id) DO UPDATE SET "
    "region = COALESCE(excluded.region, segment_members.region), "
    "following = COALESCE(excluded.following, segment_members.following), "
    "last_active_at = CASE WHEN segment_members.last_active_at IS NULL "
    "OR excluded.last_active_at > segment_members.last_active_at "
    "THEN excluded.last_active_at ELSE segment_members.last_active_at END"
)


@dataclass
class MemberChanges:
    """What one batch changed about a member, column by column; None where nothing."""

    store_id: str | None = None
    region: str | None = None
    following: int | None = None
    member_since: str | None = None
    last_active_at: str | None = None


class SegmentsView(View):
    """Members by tag, region, first-touch store, following and last activity."""

    name = "segments"
    tables = {
        # Nullable columns, so that one upsert carries any batch's changes (PostgreSQL
        # checks NOT NULL before ON CONFLICT); every row starts with the member's follow.
        "segment_members": (
            "member_id TEXT PRIMARY KEY, store_id TEXT, region TEXT, following INTEGER, "
            "member_since TEXT, last_active_at TEXT"
        ),
        "segment_tags": "tag TEXT NOT NULL, member_id TEXT NOT NULL, PRIMARY KEY (tag, member_id)",
    }
    indexes = [
        "CREATE INDEX IF NOT EXISTS segment_members_region ON segment_members (region)",
        "CREATE INDEX IF NOT EXISTS segment_members_store ON segment_members (store_id)",
        "CREATE INDEX IF NOT EXISTS segment_members_active ON segment_members (last_active_at)",
    ]

    def __init__(self) -> None:
        self.changes: dict[str, MemberChanges] = {}  # this batch's, by member id

    def handle(self, events: Iterable[tuple[str, Any]], batch: Batch) -> None:
        """Gather the batch's changes per member, then write one statement per member."""
        self.changes = {}
        super().handle(events, batch)
        for member, c in self.changes.items():
            statement = INSERT if c.member_since else UPSERT  # only a follow sets member_since
            batch.run(
                statement,
                member,
                c.store_id,
                c.region,
                c.following,
                c.member_since,
                c.last_active_at,
            )

    def change(self, member_id: UUID) -> MemberChanges:
        return self.changes.setdefault(str(member_id), MemberChanges())

    def touch(self, member_id: UUID, moment: datetime) -> MemberChanges:
        """Note activity at `moment`; the latest in the batch wins."""
        change, at = self.change(member_id), iso(moment)
        if change.last_active_at is None or change.last_active_at < at:
            change.last_active_at = at
        return change

    @handles(Member.Followed)
    def followed(self, event: Member.Followed, batch: Batch) -> None:
        change = self.touch(event.originator_id, event.at)
        change.following = 1
        change.store_id = str(event.store_id) if event.store_id else None
        change.member_since = iso(event.at)

    @handles(Member.Unfollowed, Member.Erased)
    def unfollowed(self, event: Member.Unfollowed | Member.Erased, batch: Batch) -> None:
        self.change(event.originator_id).following = 0  # leaving is not activity

    @handles(Member.Refollowed)
    def refollowed(self, event: Member.Refollowed, batch: Batch) -> None:
        self.touch(event.originator_id, event.at).following = 1

    @handles(Member.ProfileCompleted)
    def profile_completed(self, event: Member.ProfileCompleted, batch: Batch) -> None:
        self.touch(event.originator_id, event.timestamp).region = event.region

    @handles(Member.RegionDetected)
    def region_detected(self, event: Member.RegionDetected, batch: Batch) -> None:
        self.change(event.originator_id).region = event.region  # a location report

    @handles(Member.Tagged)
    def tagged(self, event: Member.Tagged, batch: Batch) -> None:
        batch.run(
            "INSERT INTO segment_tags (tag, member_id) VALUES (%s, %s)",
            event.tag,
            str(event.originator_id),
        )
        self.touch(event.originator_id, event.timestamp)

    @handles(Member.Untagged)
    def untagged(self, event: Member.Untagged, batch: Batch) -> None:
        batch.run(
            "DELETE FROM segment_tags WHERE tag = %s AND member_id = %s",
            event.tag,
            str(event.originator_id),
        )

    @handles(Member.PurchaseRecorded)
    def purchased(self, event: Member.PurchaseRecorded, batch: Batch) -> None:
        self.touch(event.originator_id, event.at)

    @handles(Claim.Made)
    def claimed(self, event: Claim.Made, batch: Batch) -> None:
        if event.reason == MEMBER_CLAIM:
            self.touch(event.member_id, event.timestamp)


def segment_filter(
    tags: Iterable[str],
    region: str | None,
    store_id: UUID | None,
    active_since: datetime | None,
    following_only: bool,
) -> tuple[str, list[Any]]:
    """The WHERE clause (on segment_members AS m) and its params for these filters."""
    clauses: list[str] = []
    params: list[Any] = []
    if following_only:
        clauses.append("m.following = 1")
    if region is not None:
        clauses.append("m.region = %s")
        params.append(region)
    if store_id is not None:
        clauses.append("m.store_id = %s")
        params.append(str(store_id))
    if active_since is not None:
        clauses.append("m.last_active_at >= %s")
        params.append(iso(active_since))
    for tag in sorted({tag.strip() for tag in ([tags] if isinstance(tags, str) else tags)}):
        clauses.append(
            "EXISTS (SELECT 1 FROM segment_tags t WHERE t.tag = %s AND t.member_id = m.member_id)"
        )
        params.append(tag)
    return (f"WHERE {' AND '.join(clauses)}" if clauses else ""), params


def segment_members(
    db: Database,
    tags: Iterable[str] = (),
    region: str | None = None,
    store_id: UUID | None = None,
    active_since: datetime | None = None,
    following_only: bool = True,
    limit: int | None = None,
) -> list[UUID]:
    """Members with every one of `tags` who match the other filters; most recently active first.

    `store_id` is the first-touch store; `active_since` keeps members active at or after it.
    """
    where, params = segment_filter(tags, region, store_id, active_since, following_only)
    page = ""
    if limit is not None:
        page = " LIMIT %s"
        params.append(limit)
    rows = db.read(
        f"SELECT m.member_id FROM segment_members m {where} "
        f"ORDER BY m.last_active_at DESC, m.member_id{page}",
        params,
    )
    return [UUID(member) for (member,) in rows]


def segment_size(
    db: Database,
    tags: Iterable[str] = (),
    region: str | None = None,
    store_id: UUID | None = None,
    active_since: datetime | None = None,
    following_only: bool = True,
) -> int:
    """How many members `segment_members` would return with these filters and no limit."""
    where, params = segment_filter(tags, region, store_id, active_since, following_only)
    rows = db.read(f"SELECT COUNT(*) FROM segment_members m {where}", params)
    return int(rows[0][0])
