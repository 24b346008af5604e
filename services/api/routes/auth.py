"""Logins: operator and staff passwords, dev follower tokens, WeChat OAuth, logout."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request, Response

from services.api.deps import ContextDep, Credentials, LoginAttempt, PrincipalDep, client_address
from services.api.schemas.auth import (
    FollowerTokenRequest,
    FollowerTokenResponse,
    LoginRequest,
    TokenResponse,
    WhoAmI,
)
from services.api.schemas.common import problem_responses
from services.app.accounts import IssuedToken

router = APIRouter(prefix="/api/auth", tags=["auth"], responses=problem_responses(401, 422, 429))


def follower_token(issued: IssuedToken) -> FollowerTokenResponse:
    return FollowerTokenResponse(
        access_token=issued.access_token,
        member_id=issued.subject_id,
        expires_at=issued.expires_at,
    )


@router.post("/token", dependencies=[LoginAttempt])
def login(body: LoginRequest, request: Request, context: ContextDep) -> TokenResponse:
    """Log in an operator or staff member; the bearer token expires (default 12 h).
    Failed logins in a row lock the username (and the address) out: 429 `login-locked`."""
    issued = context.lianjie.login(
        body.username, body.password, context.settings.token_ttl(), client_address(request)
    )
    return TokenResponse(
        access_token=issued.access_token,
        role=issued.role,
        expires_at=issued.expires_at,
        store_id=issued.store_id,
    )


@router.post("/follower-token", dependencies=[LoginAttempt], responses=problem_responses(404))
def dev_follower_token(body: FollowerTokenRequest, context: ContextDep) -> FollowerTokenResponse:
    """A follower token by openid (LIANJIE_DEV_LOGIN=1 only; 404 otherwise)."""
    if not context.settings.dev_login:
        raise HTTPException(404, "dev login is off (LIANJIE_DEV_LOGIN)")
    return follower_token(context.lianjie.follower_login(body.openid, context.settings.token_ttl()))


@router.get(
    "/wechat/callback",
    dependencies=[LoginAttempt],
    responses=problem_responses(404, 502),
)
def wechat_callback(
    code: Annotated[str, Query(min_length=1, max_length=512)], context: ContextDep
) -> FollowerTokenResponse:
    """Exchange a WeChat OAuth code for the visitor's openid and issue a follower token."""
    if context.wechat is None:
        raise HTTPException(404, "WeChat login is off (LIANJIE_WECHAT_APPID and _SECRET)")
    openid = context.wechat.openid_for(code)
    return follower_token(context.lianjie.follower_login(openid, context.settings.token_ttl()))


@router.post("/logout", status_code=204)
def logout(principal: PrincipalDep, credentials: Credentials, context: ContextDep) -> Response:
    """Revoke this bearer token in every API process."""
    assert credentials is not None  # the principal dependency checked it
    context.lianjie.logout(credentials.credentials)
    return Response(status_code=204)


@router.get("/me")
def whoami(principal: PrincipalDep) -> WhoAmI:
    """Who this token speaks for, its store (staff) and when it expires."""
    return WhoAmI(
        role=principal.role,
        id=principal.subject_id,
        username=principal.username,
        store_id=principal.store_id,
        expires_at=principal.expires_at,
    )
