"""Operator audit: every save made on an operator's behalf also records who, what and when.

The HTTP layer names the acting operator for the request (`acting_as`); from then on
each save of that request carries an OperatorAction listing the events it saved, in
the same transaction, so a change and its audit record exist together or not at all.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from eventsourcing.application import Recording

from domain.audit import OperatorAction
from services.app.base import AppBase


@dataclass(frozen=True)
class Actor:
    """The operator a request acts for, and the command (route) it runs."""

    account_id: UUID
    username: str | None
    action: str


ACTING: ContextVar[Actor | None] = ContextVar("lianjie_acting", default=None)


def acting_as(actor: Actor) -> None:
    """Audit every save made from here on in this request (its context) as `actor`'s."""
    ACTING.set(actor)


class AuditUseCases(AppBase):
    def save(self, *objs: Any, **kwargs: Any) -> list[Recording]:
        actor = ACTING.get()
        changes = list(saved_changes(objs)) if actor else []
        if actor and changes:
            record = OperatorAction.record(
                actor.account_id, actor.username, actor.action, changes, self.now()
            )
            objs = (*objs, record)
        return super().save(*objs, **kwargs)


def saved_changes(objs: Iterable[Any]) -> Iterator[dict[str, str]]:
    """{"event": "Campaign.Started", "id": …} for each event about to be saved."""
    for obj in objs:
        for event in getattr(obj, "pending_events", [obj] if obj is not None else []):
            yield {"event": type(event).__qualname__, "id": str(event.originator_id)}
