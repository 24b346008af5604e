"""The operator audit: who did what when, from the audit read model."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query
from pydantic import BaseModel

from projections.audit import audit_entries
from services.api.deps import ContextDep, OperatorDep, ReadAfter
from services.api.routes.stores import Limit, Offset
from services.api.schemas.common import problem_responses

router = APIRouter(
    prefix="/api/audit",
    tags=["audit"],
    responses=problem_responses(401, 403, 422),
    dependencies=[ReadAfter],
)


class AuditChange(BaseModel):
    event: str  # e.g. Campaign.Started
    id: UUID  # the aggregate it happened to


class AuditEntryOut(BaseModel):
    at: datetime
    actor_id: UUID
    actor: str | None
    action: str  # the command, e.g. start_campaign
    changes: list[AuditChange]


class AuditPage(BaseModel):
    items: list[AuditEntryOut]
    offset: int
    limit: int


@router.get("")
def audit_log(
    _: OperatorDep,
    context: ContextDep,
    offset: Offset = 0,
    limit: Limit = 50,
    actor_id: Annotated[UUID | None, Query(description="one operator's actions only")] = None,
) -> AuditPage:
    """Operators' commands, newest first: who, what (and the events it saved), when."""
    entries = audit_entries(context.read_models.db, offset, limit, actor_id)
    items = [AuditEntryOut.model_validate(e, from_attributes=True) for e in entries]
    return AuditPage(items=items, offset=offset, limit=limit)
