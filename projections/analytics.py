"""Analytics: daily counts per store and campaign, for funnels and dashboards.

One counter row per (metric, Asia/Shanghai day, store, campaign); '' stands for
"no store" and "no campaign" so the key works on both databases. A query for all
stores or all campaigns adds the rows up. The day is the event's business time
`at` where it has one, else the time it was recorded.

| metric          | store                  | campaign               | from                   |
|-----------------|------------------------|------------------------|------------------------|
| scans           | the scanned QR's       | the scanned QR's       | (re)follows, see (*),  |
|                 |                        |                        | InboundMessage.Scanned |
| follows         | first touch            | first touch            | Member.Followed        |
| refollows       | first touch            | first touch            | Member.Refollowed      |
| unfollows       | first touch            | first touch            | Member.Unfollowed      |
| claims          | member's first touch   | the claimed campaign   | Claim.Made (all, gifts |
|                 |                        |                        | and rewards included)  |
| redemptions     | the redeeming store    | the coupon's campaign  | Coupon.Redeemed        |
| shares          | sharer's first touch   | the token's, if any    | ShareToken.Shared      |
| points_earned,  | ''                     | ''                     | PointsAccount.Earned,  |
| points_spent,   |                        |                        | Spent, Expired and     |
| points_expired  |                        |                        | Reversed               |
| purchases,      | the purchase's store   | ''                     | Member.PurchaseRecorded|
| sales_fen       |                        |                        |                        |
| opens           | sharer's first touch   | the token's, if any    | InvitationDevice.Opened|

(*) A (re)follow through a `store:` or `campaign:` scene counts as one scan of that
QR; a follower scanning such a QR again (WeChat's SCAN push) is an
InboundMessage.Scanned. A share-link opening (projections/invitations.py) counts on
the day it happened, under the same store and campaign as the link's shares, so
shares / opens is the share rate. Net follower growth is follows + refollows -
unfollows. A redemption reversal takes the redemption back off the day and store it
was counted on (reversals come within minutes); a points reversal is booked on the
day it happens, against earned (an earning undone) or spent (a spending undone), so
closed days keep their figures.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from uuid import UUID

from domain.claim import Claim
from domain.coupon import Coupon
from domain.errors import DomainError
from domain.inbound import InboundMessage
from domain.member import Member
from domain.points import PointsAccount
from domain.referral import InvitationDevice, ShareToken
from domain.scenes import parse_scene
from projections.invitations import Invitations, invitation_tables
from projections.sql import Database, local_day
from projections.view import Batch, View, handles

METRICS = (
    "scans",
    "follows",
    "refollows",
    "unfollows",
    "claims",
    "redemptions",
    "shares",
    "opens",
    "points_earned",
    "points_spent",
    "points_expired",
    "purchases",
    "sales_fen",
)
QR_SCENES = ("store", "campaign")
Redemption = tuple[str | None, str | None]  # (store, Shanghai day) of a standing redemption
NOT_REDEEMED: Redemption = (None, None)
UPSERT = (
    "INSERT INTO analytics_daily (metric, day, store_id, campaign_id, n) "
    "VALUES (%s, %s, %s, %s, %s) ON CONFLICT (metric, day, store_id, campaign_id) "
    "DO UPDATE SET n = analytics_daily.n + excluded.n"
)
INSERT_COUPON = (
    "INSERT INTO analytics_coupons (coupon_id, campaign_id, redeemed_store_id, redeemed_day) "
    "VALUES (%s, %s, %s, %s)"
)
UPSERT_COUPON = (
    f"{INSERT_COUPON} ON CONFLICT (coupon_id) DO UPDATE SET "
    "redeemed_store_id = excluded.redeemed_store_id, redeemed_day = excluded.redeemed_day"
)


def key(value: UUID | None) -> str:
    return str(value) if value else ""


class AnalyticsView(View):
    """Daily counters by metric, store and campaign."""

    name = "analytics"
    tables = {
        "analytics_daily": (
            "metric TEXT NOT NULL, day TEXT NOT NULL, store_id TEXT NOT NULL, "
            "campaign_id TEXT NOT NULL, n BIGINT NOT NULL, "
            "PRIMARY KEY (metric, day, store_id, campaign_id)"
        ),
        "analytics_members": (
            "member_id TEXT PRIMARY KEY, store_id TEXT NOT NULL, campaign_id TEXT NOT NULL"
        ),
        "analytics_coupons": (
            "coupon_id TEXT PRIMARY KEY, campaign_id TEXT NOT NULL, "
            "redeemed_store_id TEXT, redeemed_day TEXT"
        ),
        **invitation_tables("analytics"),
    }
    indexes = [
        "CREATE INDEX IF NOT EXISTS analytics_daily_campaign "
        "ON analytics_daily (campaign_id, metric, day)"
    ]

    def __init__(self) -> None:
        # Facts that never change, remembered across batches (first touch, coupon campaign).
        self.first_touch: dict[str, tuple[str, str]] = {}  # member -> (store, campaign)
        self.campaign_of: dict[str, str] = {}  # coupon -> campaign
        self.invitations = Invitations("analytics")
        # What this batch changed: rebuilt from scratch if a batch is handled again.
        self.issued_now: list[str] = []
        self.redemption_now: dict[str, Redemption] = {}  # coupon -> standing redemption

    def handle(self, events: Iterable[tuple[str, Any]], batch: Batch) -> None:
        """Handle a batch, then write each coupon it touched once, in its final state."""
        self.issued_now, self.redemption_now = [], {}
        super().handle(events, batch)
        for coupon_id in self.issued_now:
            store, day = self.redemption_now.pop(coupon_id, NOT_REDEEMED)
            batch.run(INSERT_COUPON, coupon_id, self.campaign_of[coupon_id], store, day)
        for coupon_id, (store, day) in self.redemption_now.items():  # issued before
            batch.run(UPSERT_COUPON, coupon_id, self.campaign_of[coupon_id], store, day)

    @staticmethod
    def count(
        batch: Batch, metric: str, moment: datetime, store: str, campaign: str, n: int = 1
    ) -> None:
        batch.add(UPSERT, (metric, local_day(moment), store, campaign), n)

    @handles(Member.Followed)
    def followed(self, event: Member.Followed, batch: Batch) -> None:
        touch = (key(event.store_id), key(event.campaign_id))
        self.first_touch[str(event.originator_id)] = touch
        batch.run(
            "INSERT INTO analytics_members (member_id, store_id, campaign_id) VALUES (%s, %s, %s)",
            str(event.originator_id),
            *touch,
        )
        self.count(batch, "follows", event.at, *touch)
        scene_kind = (event.scene or "").partition(":")[0]
        if scene_kind in QR_SCENES and (event.store_id or event.campaign_id):
            self.count(batch, "scans", event.at, *touch)

    @handles(Member.Refollowed)
    def refollowed(self, event: Member.Refollowed, batch: Batch) -> None:
        self.count(batch, "refollows", event.at, *self.touch_of(event.originator_id, batch))
        try:
            scene = parse_scene(event.scene or "")
        except DomainError:
            return  # no scene, or a share link: not a QR scan
        if scene.kind == "store":
            self.count(batch, "scans", event.at, scene.value, "")
        elif scene.kind == "campaign":
            self.count(batch, "scans", event.at, "", scene.value)

    @handles(InboundMessage.Scanned)
    def scanned(self, event: InboundMessage.Scanned, batch: Batch) -> None:
        if event.scene.partition(":")[0] in QR_SCENES:
            self.count(batch, "scans", event.at, key(event.store_id), key(event.campaign_id))

    @handles(Member.Unfollowed)
    def unfollowed(self, event: Member.Unfollowed, batch: Batch) -> None:
        self.count(batch, "unfollows", event.at, *self.touch_of(event.originator_id, batch))

    @handles(Claim.Made)
    def claimed(self, event: Claim.Made, batch: Batch) -> None:
        store, _ = self.touch_of(event.member_id, batch)
        self.count(batch, "claims", event.timestamp, store, str(event.campaign_id))

    @handles(ShareToken.Shared)
    def shared(self, event: ShareToken.Shared, batch: Batch) -> None:
        store, _ = self.touch_of(event.owner_id, batch)
        self.count(batch, "shares", event.timestamp, store, key(event.campaign_id))
        self.invitations.shared(event, batch)

    @handles(InvitationDevice.Started)
    def invitation_started(self, event: InvitationDevice.Started, batch: Batch) -> None:
        self.invitations.started(event, batch)

    @handles(InvitationDevice.Opened)
    def invitation_opened(self, event: InvitationDevice.Opened, batch: Batch) -> None:
        invitation = self.invitations.opened(event, batch)
        if invitation:
            owner, campaign = invitation
            store, _ = self.touch_of(owner, batch)
            self.count(batch, "opens", event.at, store, campaign or "")

    @handles(Member.PurchaseRecorded)
    def purchased(self, event: Member.PurchaseRecorded, batch: Batch) -> None:
        store = str(event.store_id)
        self.count(batch, "purchases", event.at, store, "")
        self.count(batch, "sales_fen", event.at, store, "", event.amount_fen)

    @handles(Coupon.Issued)
    def issued(self, event: Coupon.Issued, batch: Batch) -> None:
        coupon_id = str(event.originator_id)
        self.campaign_of[coupon_id] = str(event.campaign_id)
        self.issued_now.append(coupon_id)

    @handles(Coupon.Redeemed)
    def redeemed(self, event: Coupon.Redeemed, batch: Batch) -> None:
        coupon_id, store, day = str(event.originator_id), str(event.store_id), local_day(event.at)
        self.redemption_now[coupon_id] = (store, day)
        campaign = self.campaign(coupon_id, batch)
        batch.add(UPSERT, ("redemptions", day, store, campaign), 1)

    @handles(Coupon.RedemptionReversed)
    def redemption_reversed(self, event: Coupon.RedemptionReversed, batch: Batch) -> None:
        coupon_id = str(event.originator_id)
        store, day = self.standing_redemption(coupon_id, batch)
        if store is None or day is None:
            return  # the domain only reverses a standing redemption
        self.redemption_now[coupon_id] = NOT_REDEEMED
        campaign = self.campaign(coupon_id, batch)
        batch.add(UPSERT, ("redemptions", day, store, campaign), -1)

    @handles(PointsAccount.Earned)
    def points_earned(self, event: PointsAccount.Earned, batch: Batch) -> None:
        self.count(batch, "points_earned", event.timestamp, "", "", event.points)

    @handles(PointsAccount.Spent)
    def points_spent(self, event: PointsAccount.Spent, batch: Batch) -> None:
        self.count(batch, "points_spent", event.timestamp, "", "", event.points)

    @handles(PointsAccount.Expired)
    def points_expired(self, event: PointsAccount.Expired, batch: Batch) -> None:
        self.count(batch, "points_expired", event.at, "", "", event.points)

    @handles(PointsAccount.Reversed)
    def points_reversed(self, event: PointsAccount.Reversed, batch: Batch) -> None:
        # delta < 0 takes back an earning; delta > 0 gives back a spending.
        metric = "points_earned" if event.delta < 0 else "points_spent"
        self.count(batch, metric, event.timestamp, "", "", -abs(event.delta))

    def touch_of(self, member_id: UUID, batch: Batch) -> tuple[str, str]:
        """The member's first-touch (store, campaign): from memory, else one lookup."""
        member = str(member_id)
        if member not in self.first_touch:
            rows = batch.sql.rows(
                "SELECT store_id, campaign_id FROM analytics_members WHERE member_id = %s",
                [member],
            )
            self.first_touch[member] = rows[0] if rows else ("", "")
        return self.first_touch[member]

    def campaign(self, coupon_id: str, batch: Batch) -> str:
        """The coupon's campaign: from memory, else one lookup."""
        if coupon_id not in self.campaign_of:
            found = batch.sql.value(
                "SELECT campaign_id FROM analytics_coupons WHERE coupon_id = %s", [coupon_id]
            )
            self.campaign_of[coupon_id] = found or ""
        return self.campaign_of[coupon_id]

    def standing_redemption(self, coupon_id: str, batch: Batch) -> Redemption:
        """(store, day) of the coupon's redemption: from this batch, else one lookup.

        Only reversals need it, and they are rare: within minutes of a redemption.
        """
        if coupon_id in self.redemption_now:
            return self.redemption_now[coupon_id]
        rows = batch.sql.rows(
            "SELECT redeemed_store_id, redeemed_day FROM analytics_coupons WHERE coupon_id = %s",
            [coupon_id],
        )
        return rows[0] if rows else NOT_REDEEMED


Day = str | date


def days(since_day: Day, until_day: Day) -> list[str]:
    """Every day from `since_day` to `until_day`, both included, as YYYY-MM-DD."""
    start, end = date.fromisoformat(str(since_day)), date.fromisoformat(str(until_day))
    return [(start + timedelta(days=n)).isoformat() for n in range((end - start).days + 1)]


def metric_filter(
    metrics: list[str],
    since_day: Day | None,
    until_day: Day | None,
    store_id: UUID | None,
    campaign_id: UUID | None,
) -> tuple[str, list[Any]]:
    """The WHERE clause on analytics_daily for these metrics, days, store and campaign."""
    unknown = sorted(set(metrics) - set(METRICS))
    if unknown:
        raise ValueError(f"unknown metric(s) {', '.join(unknown)}; known: {', '.join(METRICS)}")
    clauses = [f"metric IN ({', '.join(['%s'] * len(metrics))})"]
    params: list[Any] = list(metrics)
    for clause, value in (
        ("day >= %s", since_day and str(since_day)),
        ("day <= %s", until_day and str(until_day)),
        ("store_id = %s", store_id and str(store_id)),
        ("campaign_id = %s", campaign_id and str(campaign_id)),
    ):
        if value:
            clauses.append(clause)
            params.append(value)
    return "WHERE " + " AND ".join(clauses), params


def daily_metrics(
    db: Database,
    metric: str,
    since_day: Day,
    until_day: Day,
    store_id: UUID | None = None,
    campaign_id: UUID | None = None,
) -> list[tuple[str, int]]:
    """(day, count) for every day in the range, both ends included, 0 where nothing happened.

    Without `store_id` or `campaign_id`, every store's or campaign's count is added up.
    """
    where, params = metric_filter([metric], since_day, until_day, store_id, campaign_id)
    rows = db.read(f"SELECT day, SUM(n) FROM analytics_daily {where} GROUP BY day", params)
    found = {day: int(n) for day, n in rows}
    return [(day, found.get(day, 0)) for day in days(since_day, until_day)]


def totals(
    db: Database,
    metrics: list[str],
    since_day: Day | None = None,
    until_day: Day | None = None,
    store_id: UUID | None = None,
    campaign_id: UUID | None = None,
) -> dict[str, int]:
    """Each metric added up over the days, stores and campaigns the filters let through."""
    where, params = metric_filter(metrics, since_day, until_day, store_id, campaign_id)
    rows = db.read(f"SELECT metric, SUM(n) FROM analytics_daily {where} GROUP BY metric", params)
    found = {metric: int(n) for metric, n in rows}
    return {metric: found.get(metric, 0) for metric in metrics}


@dataclass(frozen=True)
class Funnel:
    """A campaign from QR scan to redemption at a store, all time."""

    scans: int
    follows: int
    claims: int
    redemptions: int


def funnel(db: Database, campaign_id: UUID) -> Funnel:
    """Scans → follows → claims → redemptions of one campaign (follows include share links)."""
    counts = totals(db, ["scans", "follows", "claims", "redemptions"], campaign_id=campaign_id)
    return Funnel(**counts)


def share_rate(
    db: Database,
    since_day: Day | None = None,
    until_day: Day | None = None,
    store_id: UUID | None = None,
    campaign_id: UUID | None = None,
) -> float | None:
    """Shares / opens (the playbook's content KPI: above 5% is good); None without opens."""
    counts = totals(db, ["shares", "opens"], since_day, until_day, store_id, campaign_id)
    return counts["shares"] / counts["opens"] if counts["opens"] else None
