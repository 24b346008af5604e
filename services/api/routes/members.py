"""Member lookup for operators (by id or WeChat openid), and erasure of personal data."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Path

from services.api.deps import LianjieDep, OperatorDep
from services.api.schemas.common import problem_responses
from services.api.schemas.members import MemberOut
from services.app.members import MemberView

router = APIRouter(
    prefix="/api/members", tags=["members"], responses=problem_responses(401, 403, 404, 422)
)


def member_out(view: MemberView) -> MemberOut:
    return MemberOut.model_validate(view, from_attributes=True)


@router.get("/by-openid/{openid}")
def find_member(
    openid: Annotated[str, Path(min_length=1, max_length=128)], _: OperatorDep, app: LianjieDep
) -> MemberOut:
    """A member by WeChat openid."""
    return member_out(app.find_member(openid))


@router.get("/{member_id}")
def get_member(member_id: UUID, _: OperatorDep, app: LianjieDep) -> MemberOut:
    """A member by id."""
    return member_out(app.get_member(member_id))


@router.post("/{member_id}/erase")
def erase_member(member_id: UUID, operator: OperatorDep, app: LianjieDep) -> MemberOut:
    """Erase a member's personal data (PIPL): openid, phone and messages read as "erased"."""
    return member_out(app.erase_member(member_id, operator.subject_id))
