"""Redemption check: coupon code → everything a till needs, in one indexed lookup."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from domain.coupon import Coupon, CouponState, coupon_status, redemption_refusal
from projections.sql import Database, iso, optional_uuid
from projections.view import Batch, View, handles

COLUMNS = (
    "code, coupon_id, member_id, campaign_id, title, value_fen, valid_from, valid_until, "
    "store_ids, voided, redeemed_at, redeemed_store_id, redeemed_by, order_ref"
)


def join_ids(ids: list[UUID] | None) -> str | None:
    return None if ids is None else ",".join(str(i) for i in ids)


def split_ids(text: str | None) -> list[UUID] | None:
    return None if text is None else [UUID(part) for part in text.split(",") if part]


ISSUED_COLUMNS = (
    "coupon_id, code, member_id, campaign_id, title, value_fen, valid_from, valid_until, store_ids"
)


def insert_issued(table: str) -> str:
    """An INSERT of an issued coupon's columns (those `issued_values` gives) into `table`."""
    return f"INSERT INTO {table} ({ISSUED_COLUMNS}) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)"


def issued_values(event: Coupon.Issued) -> tuple:
    return (
        str(event.originator_id),
        event.code,
        str(event.member_id),
        str(event.campaign_id),
        event.title,
        event.value_fen,
        iso(event.valid_from),
        iso(event.valid_until),
        join_ids(event.store_ids),
    )


def coupon_state(
    code: str,
    voided: int,
    redeemed_at: str | None,
    valid_from: str,
    valid_until: str,
    store_ids: str | None,
) -> CouponState:
    """The domain's view of a coupon, from a row's columns."""
    return CouponState(
        code,
        bool(voided),
        datetime.fromisoformat(redeemed_at) if redeemed_at else None,
        datetime.fromisoformat(valid_from),
        datetime.fromisoformat(valid_until),
        split_ids(store_ids),
    )


class RedemptionView(View):
    """One row per coupon: status, owner, campaign, value, window, stores, redemption."""

    name = "redemption"
    tables = {
        "redemption_coupons": (
            "code TEXT PRIMARY KEY, coupon_id TEXT NOT NULL UNIQUE, member_id TEXT NOT NULL, "
            "campaign_id TEXT NOT NULL, title TEXT NOT NULL, value_fen BIGINT NOT NULL, "
            "valid_from TEXT NOT NULL, valid_until TEXT NOT NULL, store_ids TEXT, "
            "voided INTEGER NOT NULL DEFAULT 0, redeemed_at TEXT, redeemed_store_id TEXT, "
            "redeemed_by TEXT, order_ref TEXT"
        )
    }

    @handles(Coupon.Issued)
    def issued(self, event: Coupon.Issued, batch: Batch) -> None:
        batch.run(insert_issued("redemption_coupons"), *issued_values(event))

    @handles(Coupon.Redeemed)
    def redeemed(self, event: Coupon.Redeemed, batch: Batch) -> None:
        batch.run(
            "UPDATE redemption_coupons SET redeemed_at = %s, redeemed_store_id = %s, "
            "redeemed_by = %s, order_ref = %s WHERE coupon_id = %s",
            iso(event.at),
            str(event.store_id),
            str(event.staff_id) if event.staff_id else None,
            event.order_ref,
            str(event.originator_id),
        )

    @handles(Coupon.RedemptionReversed)
    def reversed(self, event: Coupon.RedemptionReversed, batch: Batch) -> None:
        batch.run(
            "UPDATE redemption_coupons SET redeemed_at = NULL, redeemed_store_id = NULL, "
            "redeemed_by = NULL, order_ref = NULL WHERE coupon_id = %s",
            str(event.originator_id),
        )

    @handles(Coupon.Voided)
    def voided(self, event: Coupon.Voided, batch: Batch) -> None:
        batch.run(
            "UPDATE redemption_coupons SET voided = 1 WHERE coupon_id = %s",
            str(event.originator_id),
        )


@dataclass(frozen=True)
class RedemptionCheck:
    """A coupon as the till sees it, and whether it can be redeemed here now."""

    code: str
    member_id: UUID
    campaign_id: UUID
    title: str
    value_fen: int
    status: str
    valid_from: datetime
    valid_until: datetime
    store_ids: list[UUID] | None
    redeemed_at: datetime | None
    redeemed_store_id: UUID | None
    redeemable: bool
    reason: str | None


def check_redemption(
    db: Database, code: str, store_id: UUID, now: datetime
) -> RedemptionCheck | None:
    """Can coupon `code` be redeemed at `store_id` now? None if no such coupon."""
    rows = db.read(f"SELECT {COLUMNS} FROM redemption_coupons WHERE code = %s", [code])
    if not rows:
        return None
    (code, _, member, campaign, title, value, valid_from, valid_until, stores, voided,
     redeemed_at, redeemed_store, _, _) = rows[0]  # fmt: skip
    state = coupon_state(code, voided, redeemed_at, valid_from, valid_until, stores)
    refusal = redemption_refusal(state, store_id, now)
    return RedemptionCheck(
        code=code,
        member_id=UUID(member),
        campaign_id=UUID(campaign),
        title=title,
        value_fen=value,
        status=coupon_status(state, now),
        valid_from=state.valid_from,
        valid_until=state.valid_until,
        store_ids=state.store_ids,
        redeemed_at=state.redeemed_at,
        redeemed_store_id=optional_uuid(redeemed_store),
        redeemable=refusal is None,
        reason=refusal.slug if refusal else None,
    )


COUPON_EXPORT_COLUMNS = tuple(column.strip() for column in COLUMNS.split(","))


def exported_coupons(db: Database) -> list[tuple]:
    """Every coupon for a CSV export, by validity then code."""
    return db.read(f"SELECT {COLUMNS} FROM redemption_coupons ORDER BY valid_from, code")
