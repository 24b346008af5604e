"""OperatorAction: the audit record of one operator command, saved with what it changed.

The events an operator's command triggers are the business facts; this aggregate adds
who gave the command, which command it was and when, in the same transaction. Events
stay as they were (older logs load unchanged) and every operator command is covered,
whichever aggregates it touches.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from eventsourcing.domain import Aggregate


class OperatorAction(Aggregate):
    """Who (an operator account) did what (a command and the events it saved) when."""

    class Recorded(Aggregate.Created):
        actor_id: UUID
        actor: str | None
        action: str
        changes: list[dict[str, str]]
        at: datetime

    def __init__(
        self,
        actor_id: UUID,
        actor: str | None,
        action: str,
        changes: list[dict[str, str]],
        at: datetime,
    ) -> None:
        self.actor_id = actor_id
        self.actor = actor
        self.action = action
        self.changes = changes
        self.at = at

    @classmethod
    def record(
        cls,
        actor_id: UUID,
        actor: str | None,
        action: str,
        changes: list[dict[str, str]],
        at: datetime,
    ) -> OperatorAction:
        """Record a command; `changes` names each saved event ({"event", "id"})."""
        return cls._create(
            cls.Recorded, actor_id=actor_id, actor=actor, action=action, changes=changes, at=at
        )
