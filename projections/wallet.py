"""Storefront / wallet: per member, points (and what expires soon), coupons, tags, referrals,
and when the member card was activated."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

from domain.coupon import Coupon, coupon_status, redemption_refusal
from domain.member import Member
from domain.personal import ERASED
from domain.points import PointsAccount
from projections.redemption import coupon_state, insert_issued, issued_values
from projections.referrals import (
    REVIEW_VERDICTS,
    CountedReferrals,
    Referral,
    Verdict,
    held_table,
)
from projections.sql import Database, iso, optional_uuid
from projections.view import Batch, View, handles

EXPIRING_WITHIN = timedelta(days=30)


class WalletView(View):
    """What a follower's wallet page and a till's member scan show."""

    name = "wallet"
    tables = {
        "wallet_members": (
            "member_id TEXT PRIMARY KEY, openid TEXT NOT NULL, following INTEGER NOT NULL, "
            "member_since TEXT NOT NULL, store_id TEXT, campaign_id TEXT, referrer_id TEXT, "
            "referrals BIGINT NOT NULL DEFAULT 0, points BIGINT NOT NULL DEFAULT 0, "
            "account_id TEXT UNIQUE"
        ),
        "wallet_tags": "member_id TEXT NOT NULL, tag TEXT NOT NULL, PRIMARY KEY (member_id, tag)",
        **held_table("wallet_referrals_held"),
        "wallet_cards": "member_id TEXT PRIMARY KEY, activated_at TEXT NOT NULL",
        "wallet_coupons": (
            "coupon_id TEXT PRIMARY KEY, code TEXT NOT NULL, member_id TEXT NOT NULL, "
            "campaign_id TEXT NOT NULL, title TEXT NOT NULL, value_fen BIGINT NOT NULL, "
            "valid_from TEXT NOT NULL, valid_until TEXT NOT NULL, store_ids TEXT, "
            "voided INTEGER NOT NULL DEFAULT 0, redeemed_at TEXT"
        ),
        "wallet_lots": (
            "account_id TEXT NOT NULL, reference TEXT NOT NULL, remaining BIGINT NOT NULL, "
            "expires_at TEXT, PRIMARY KEY (account_id, reference)"
        ),
    }
    indexes = ["CREATE INDEX IF NOT EXISTS wallet_coupons_member ON wallet_coupons (member_id)"]

    def __init__(self) -> None:
        self.referrals = CountedReferrals("wallet_referrals_held", self.count_referral)

    @handles(Member.Followed)
    def followed(self, event: Member.Followed, batch: Batch) -> None:
        batch.run(
            "INSERT INTO wallet_members (member_id, openid, following, member_since, store_id, "
            "campaign_id, referrer_id, account_id) VALUES (%s, %s, 1, %s, %s, %s, %s, %s)",
            str(event.originator_id),
            event.openid,
            iso(event.at),
            str(event.store_id) if event.store_id else None,
            str(event.campaign_id) if event.campaign_id else None,
            str(event.referrer_id) if event.referrer_id else None,
            # the member's points account: derived from the member, known before it opens
            str(PointsAccount.id_for(event.originator_id)),
        )
        self.referrals.followed(event, batch)

    @handles(*REVIEW_VERDICTS)
    def reviewed(self, verdict: Verdict, batch: Batch) -> None:
        self.referrals.reviewed(verdict, batch)

    @staticmethod
    def count_referral(referral: Referral, delta: int, batch: Batch) -> None:
        batch.run(
            "UPDATE wallet_members SET referrals = referrals + %s WHERE member_id = %s",
            delta,
            referral.referrer_id,
        )

    @handles(Member.Unfollowed, Member.Refollowed)
    def following_changed(self, event: Member.Event, batch: Batch) -> None:
        batch.run(
            "UPDATE wallet_members SET following = %s WHERE member_id = %s",
            int(isinstance(event, Member.Refollowed)),
            str(event.originator_id),
        )
        if isinstance(event, Member.Refollowed) and event.openid is not None:
            self.set_openid(batch, event.originator_id, event.openid)

    @handles(Member.Erased)
    def erased(self, event: Member.Erased, batch: Batch) -> None:
        batch.run(
            "UPDATE wallet_members SET following = 0 WHERE member_id = %s",
            str(event.originator_id),
        )
        self.set_openid(batch, event.originator_id, ERASED)

    @staticmethod
    def set_openid(batch: Batch, member_id: UUID, openid: str) -> None:
        batch.run(
            "UPDATE wallet_members SET openid = %s WHERE member_id = %s", openid, str(member_id)
        )

    @handles(Member.Tagged)
    def tagged(self, event: Member.Tagged, batch: Batch) -> None:
        batch.run(
            "INSERT INTO wallet_tags (member_id, tag) VALUES (%s, %s)",
            str(event.originator_id),
            event.tag,
        )

    @handles(Member.Untagged)
    def untagged(self, event: Member.Untagged, batch: Batch) -> None:
        batch.run(
            "DELETE FROM wallet_tags WHERE member_id = %s AND tag = %s",
            str(event.originator_id),
            event.tag,
        )

    @handles(Member.CardActivated)
    def card_activated(self, event: Member.CardActivated, batch: Batch) -> None:
        batch.run(
            "INSERT INTO wallet_cards (member_id, activated_at) VALUES (%s, %s)",
            str(event.originator_id),
            iso(event.at),
        )

    @handles(PointsAccount.Earned)
    def earned(self, event: PointsAccount.Earned, batch: Batch) -> None:
        account = str(event.originator_id)
        self.move_points(batch, account, event.points)
        batch.run(
            "INSERT INTO wallet_lots (account_id, reference, remaining, expires_at) "
            "VALUES (%s, %s, %s, %s)",
            account,
            event.reference,
            event.points,
            iso(event.expires_at),
        )

    @handles(PointsAccount.Spent, PointsAccount.Expired)
    def taken(self, event: PointsAccount.Spent | PointsAccount.Expired, batch: Batch) -> None:
        account = str(event.originator_id)
        self.move_points(batch, account, -event.points)
        self.move_lots(batch, account, event.allocations, sign=-1)

    @handles(PointsAccount.Reversed)
    def reversed(self, event: PointsAccount.Reversed, batch: Batch) -> None:
        account = str(event.originator_id)
        self.move_points(batch, account, event.delta)
        self.move_lots(batch, account, event.allocations, sign=1 if event.delta > 0 else -1)

    @staticmethod
    def move_points(batch: Batch, account: str, delta: int) -> None:
        batch.run(
            "UPDATE wallet_members SET points = points + %s WHERE account_id = %s", delta, account
        )

    @staticmethod
    def move_lots(batch: Batch, account: str, allocations: list, sign: int) -> None:
        for reference, points in allocations:
            batch.run(
                "UPDATE wallet_lots SET remaining = remaining + %s "
                "WHERE account_id = %s AND reference = %s",
                sign * points,
                account,
                reference,
            )

    @handles(Coupon.Issued)
    def coupon_issued(self, event: Coupon.Issued, batch: Batch) -> None:
        batch.run(insert_issued("wallet_coupons"), *issued_values(event))

    @handles(Coupon.Redeemed, Coupon.RedemptionReversed)
    def coupon_redemption(self, event: Coupon.Event, batch: Batch) -> None:
        redeemed_at = iso(event.at) if isinstance(event, Coupon.Redeemed) else None
        batch.run(
            "UPDATE wallet_coupons SET redeemed_at = %s WHERE coupon_id = %s",
            redeemed_at,
            str(event.originator_id),
        )

    @handles(Coupon.Voided)
    def coupon_voided(self, event: Coupon.Voided, batch: Batch) -> None:
        batch.run(
            "UPDATE wallet_coupons SET voided = 1 WHERE coupon_id = %s", str(event.originator_id)
        )


@dataclass(frozen=True)
class WalletCoupon:
    code: str
    title: str
    value_fen: int
    status: str
    valid_until: datetime
    campaign_id: UUID
    usable_here: bool


@dataclass(frozen=True)
class Wallet:
    member_id: UUID
    openid: str
    following: bool
    member_since: datetime
    store_id: UUID | None
    points: int
    points_expiring_soon: int
    tags: list[str]
    referrals: int
    coupons: list[WalletCoupon]
    card_activated_at: datetime | None


def wallet(db: Database, member_id: UUID, now: datetime, store_id: UUID | None = None):
    """A member's wallet; with `store_id`, each coupon says whether it is usable there now."""
    found = db.read(
        "SELECT openid, following, member_since, store_id, points, referrals, account_id, "
        "activated_at FROM wallet_members LEFT JOIN wallet_cards USING (member_id) "
        "WHERE member_id = %s",
        [str(member_id)],
    )
    if not found:
        return None
    openid, following, since, home_store, points, referrals, account, activated = found[0]
    return Wallet(
        member_id=member_id,
        openid=openid,
        following=bool(following),
        member_since=datetime.fromisoformat(since),
        store_id=optional_uuid(home_store),
        points=points,
        points_expiring_soon=expiring_soon(db, account, now),
        tags=member_tags(db, member_id),
        referrals=referrals,
        coupons=member_coupons(db, member_id, now, store_id),
        card_activated_at=datetime.fromisoformat(activated) if activated else None,
    )


def member_tags(db: Database, member_id: UUID) -> list[str]:
    rows = db.read(
        "SELECT tag FROM wallet_tags WHERE member_id = %s ORDER BY tag", [str(member_id)]
    )
    return [tag for (tag,) in rows]


def expiring_soon(db: Database, account: str | None, now: datetime) -> int:
    total = db.read(
        "SELECT SUM(remaining) FROM wallet_lots WHERE account_id = %s "
        "AND expires_at > %s AND expires_at <= %s",
        [account, iso(now), iso(now + EXPIRING_WITHIN)],
    )
    return int(total[0][0] or 0)


def member_coupons(
    db: Database, member_id: UUID, now: datetime, store_id: UUID | None
) -> list[WalletCoupon]:
    rows = db.read(
        "SELECT code, title, value_fen, valid_from, valid_until, store_ids, voided, "
        "redeemed_at, campaign_id FROM wallet_coupons WHERE member_id = %s "
        "ORDER BY valid_until, code",
        [str(member_id)],
    )
    coupons = []
    for code, title, value, start, until, stores, voided, redeemed_at, campaign in rows:
        state = coupon_state(code, voided, redeemed_at, start, until, stores)
        usable = store_id is not None and redemption_refusal(state, store_id, now) is None
        status = coupon_status(state, now)
        coupons.append(
            WalletCoupon(code, title, value, status, state.valid_until, UUID(campaign), usable)
        )
    return coupons


MEMBER_EXPORT_COLUMNS = (
    "member_id",
    "openid",
    "following",
    "member_since",
    "store_id",
    "points",
    "referrals",
    "tags",
)


def exported_members(db: Database) -> list[tuple]:
    """Every member for a CSV export, oldest first; tags joined with '|'."""
    tags: dict[str, list[str]] = {}
    for member_id, tag in db.read("SELECT member_id, tag FROM wallet_tags ORDER BY tag"):
        tags.setdefault(member_id, []).append(tag)
    rows = db.read(
        "SELECT member_id, openid, following, member_since, store_id, points, referrals "
        "FROM wallet_members ORDER BY member_since, member_id"
    )
    return [(*row, "|".join(tags.get(row[0], []))) for row in rows]
