"""Accounts: store staff and further operators."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter

from services.api.deps import LianjieDep, OperatorDep
from services.api.schemas.common import problem_responses
from services.api.schemas.stores import AccountOut, OperatorCreate, StaffCreate, StaffList
from services.app.accounts import AccountView

router = APIRouter(tags=["staff"], responses=problem_responses(401, 403, 404, 409, 422))


def account_out(account: AccountView) -> AccountOut:
    return AccountOut(
        id=account.id,
        username=account.username,
        role=account.role,
        store_id=account.store_id,
        active=account.active,
    )


@router.post("/api/staff", status_code=201)
def create_staff(body: StaffCreate, _: OperatorDep, app: LianjieDep) -> AccountOut:
    """Create a staff login at one store (password stored as an argon2 hash)."""
    return account_out(app.register_staff(body.username, body.password, body.store_id))


@router.get("/api/staff")
def list_staff(_: OperatorDep, app: LianjieDep, store_id: UUID | None = None) -> StaffList:
    """Staff logins of one store, or of every store."""
    return StaffList(items=[account_out(account) for account in app.list_staff(store_id)])


@router.post("/api/staff/{account_id}/disable")
def disable_staff(account_id: UUID, _: OperatorDep, app: LianjieDep) -> AccountOut:
    """Disable a login for good; its tokens stop working at once."""
    return account_out(app.disable_account(account_id))


@router.post("/api/operators", status_code=201)
def create_operator(body: OperatorCreate, _: OperatorDep, app: LianjieDep) -> AccountOut:
    """Create another operator login."""
    return account_out(app.register_operator(body.username, body.password))
