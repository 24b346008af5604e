"""A member's history for the console: their events, read from the event log itself.

The member's own aggregate, their points account and each of their coupons are read
from the application's event store and merged by time, newest first. Nothing here is
a read model: the log is the record, and this is what an operator asks it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from domain.coupon import Coupon
from domain.points import PointsAccount
from services.app import Lianjie

HIDDEN = {"originator_id", "originator_version", "timestamp", "allocations", "originator_topic"}


@dataclass(frozen=True)
class HistoryEntry:
    at: datetime
    aggregate: str
    event: str
    details: dict[str, Any]


def plain(value: Any) -> Any:
    """A JSON-friendly copy of an event field."""
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return [plain(item) for item in value]
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    return value


def entry(event: Any) -> HistoryEntry:
    fields = {k: plain(v) for k, v in vars(event).items() if k not in HIDDEN}
    aggregate, _, name = type(event).__qualname__.rpartition(".")
    at = getattr(event, "at", None) or event.timestamp
    return HistoryEntry(at, aggregate, name, fields)


def member_history(
    app: Lianjie, member_id: UUID, codes: list[str], limit: int
) -> list[HistoryEntry]:
    """The member's, their points account's and their coupons' events, newest first."""
    ids = [member_id, PointsAccount.id_for(member_id)] + [Coupon.id_for(code) for code in codes]
    entries = [entry(event) for aggregate_id in ids for event in app.events.get(aggregate_id)]
    entries.sort(key=lambda e: e.at, reverse=True)
    return entries[:limit]
