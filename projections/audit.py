"""Operator audit: who did what when, newest first, from OperatorAction events."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from domain.audit import OperatorAction
from projections.sql import Database, iso
from projections.view import Batch, View, handles

NEWEST_FIRST = "ORDER BY at DESC, recorded_at DESC, action_id"


class AuditView(View):
    """One row per operator command: the operator, the command, when, what it saved."""

    name = "audit"
    tables = {
        "audit_log": (
            "action_id TEXT PRIMARY KEY, at TEXT NOT NULL, recorded_at TEXT NOT NULL, "
            "actor_id TEXT NOT NULL, actor TEXT, action TEXT NOT NULL, changes TEXT NOT NULL"
        )
    }
    indexes = [
        "CREATE INDEX IF NOT EXISTS audit_by_time ON audit_log (at, recorded_at)",
        "CREATE INDEX IF NOT EXISTS audit_by_actor ON audit_log (actor_id, at, recorded_at)",
    ]

    @handles(OperatorAction.Recorded)
    def recorded(self, event: OperatorAction.Recorded, batch: Batch) -> None:
        batch.run(
            "INSERT INTO audit_log (action_id, at, recorded_at, actor_id, actor, action, changes) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s)",
            str(event.originator_id),
            iso(event.at),
            iso(event.timestamp),
            str(event.actor_id),
            event.actor,
            event.action,
            json.dumps(event.changes),
        )


@dataclass(frozen=True)
class AuditEntry:
    at: datetime
    actor_id: UUID
    actor: str | None
    action: str
    changes: list[dict[str, str]]


def audit_entries(
    db: Database, offset: int = 0, limit: int = 50, actor_id: UUID | None = None
) -> list[AuditEntry]:
    """Operator commands, newest first, one page; optionally one operator's only."""
    where, params = ("WHERE actor_id = %s", [str(actor_id)]) if actor_id else ("", [])
    rows = db.read(
        f"SELECT at, actor_id, actor, action, changes FROM audit_log {where} "
        f"{NEWEST_FIRST} LIMIT %s OFFSET %s",
        [*params, limit, offset],
    )
    return [
        AuditEntry(datetime.fromisoformat(at), UUID(actor), name, action, json.loads(changes))
        for at, actor, name, action, changes in rows
    ]
