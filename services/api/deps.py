"""Dependencies: the application and helpers from app.state, and who is calling."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Header, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from domain.access import NotAuthenticated
from services.api.cards import MemberCards
from services.api.metrics import Metrics
from services.api.ratelimit import RateLimiter
from services.api.wechat_oauth import WeChatLogin
from services.app import Lianjie
from services.app.accounts import Principal
from services.app.audit import Actor, acting_as
from services.readmodels import ReadModels
from services.settings import Settings


@dataclass(frozen=True)
class ApiContext:
    """Everything a route may need besides the request, built once by create_app."""

    settings: Settings
    lianjie: Lianjie
    cards: MemberCards
    limiter: RateLimiter
    metrics: Metrics
    wechat: WeChatLogin | None
    read_models: ReadModels


def get_context(request: Request) -> ApiContext:
    return request.app.state.context


def get_lianjie(request: Request) -> Lianjie:
    return get_context(request).lianjie


ContextDep = Annotated[ApiContext, Depends(get_context)]
LianjieDep = Annotated[Lianjie, Depends(get_lianjie)]
bearer = HTTPBearer(auto_error=False, description="A token from /api/auth/token or follower-token")
Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]


def get_principal(app: LianjieDep, credentials: Credentials) -> Principal:
    """Who the bearer token speaks for; 401 when it is missing, unknown, revoked or expired."""
    if credentials is None:
        raise NotAuthenticated("send Authorization: Bearer <token>")
    return app.authenticate(credentials.credentials)


PrincipalDep = Annotated[Principal, Depends(get_principal)]


async def operator(request: Request, principal: PrincipalDep) -> Principal:
    """An operator; everything this request saves is audited as theirs. (Async on
    purpose: it runs in the request's own context, which the endpoint then inherits.)"""
    principal.require("operator")
    route = request.scope.get("route")
    action = getattr(route, "name", None) or request.url.path
    acting_as(Actor(principal.subject_id, principal.username, action))
    return principal


def staff(principal: PrincipalDep) -> Principal:
    return principal.require("staff")


def follower(principal: PrincipalDep) -> Principal:
    return principal.require("follower")


def account_holder(principal: PrincipalDep) -> Principal:
    return principal.require("operator", "staff")


def client_address(request: Request) -> str:
    """The caller's IP (behind a proxy, run uvicorn with --forwarded-allow-ips)."""
    return request.client.host if request.client else "unknown"


def till_staff(request: Request, context: ContextDep, principal: PrincipalDep) -> Principal:
    """Store staff, rate limited per token and per IP (code lookups and redemptions)."""
    principal.require("staff")
    context.limiter.hit("till", token=str(principal.token_id), address=client_address(request))
    return principal


def code_guessing_follower(
    request: Request, context: ContextDep, principal: PrincipalDep
) -> Principal:
    """A follower looking a coupon up by its code: rate limited per token and per IP, so
    an answer that a code exists (someone else's: 403) cannot be farmed."""
    principal.require("follower")
    context.limiter.hit("code", token=str(principal.token_id), address=client_address(request))
    return principal


def login_attempt(request: Request, context: ContextDep) -> None:
    """Rate limit logins per IP: passwords and openids are not for guessing."""
    context.limiter.hit("login", address=client_address(request))


def read_after(
    context: ContextDep,
    after: Annotated[
        int | None,
        Header(
            alias="Lianjie-After",
            ge=0,
            description="A Lianjie-Position from an earlier answer: reads wait (bounded) for it.",
        ),
    ] = None,
) -> None:
    """Read-your-writes: hold the read until the read models reach the client's last write."""
    context.read_models.wait_for(after)


ReadAfter = Depends(read_after)
OperatorDep = Annotated[Principal, Depends(operator)]
StaffDep = Annotated[Principal, Depends(staff)]
FollowerDep = Annotated[Principal, Depends(follower)]
AccountHolderDep = Annotated[Principal, Depends(account_holder)]
TillStaffDep = Annotated[Principal, Depends(till_staff)]
CodeLookupFollowerDep = Annotated[Principal, Depends(code_guessing_follower)]
LoginAttempt = Depends(login_attempt)
