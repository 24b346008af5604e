"""The FastAPI factory: settings (and a clock) in, a wired HTTP API out."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from services.api.cards import MemberCards, card_secret
from services.api.deps import ApiContext, operator
from services.api.errors import PROBLEM_JSON, install_error_handlers
from services.api.metrics import Metrics, MetricsMiddleware
from services.api.positions import WritePositionMiddleware
from services.api.ratelimit import RateLimiter
from services.api.routes import (
    audit,
    auth,
    campaigns,
    claim_reviews,
    exports,
    follow,
    health,
    leaderboards,
    me,
    members,
    reviews,
    staff,
    stores,
    till,
)
from services.api.wechat_oauth import WeChatLogin
from services.app import Lianjie
from services.app.base import Clock, utc_now
from services.bootstrap import bootstrap
from services.readmodels import ReadModels
from services.settings import Settings
from services.web.install import install_web
from services.wechat import include_wechat

log = logging.getLogger(__name__)
ROUTERS = [
    auth,
    audit,
    stores,
    staff,
    campaigns,
    members,
    me,
    till,
    leaderboards,
    reviews,
    claim_reviews,
    exports,
    health,
    follow,
]
ANY_OPERATION_PROBLEMS = ("400", "401", "403", "404", "409", "422", "429", "503")
PROBLEM_SCHEMA = "#/components/schemas/Problem"
DESCRIPTION = """Campaigns, member cards, coupons and points for a WeChat brand's stores.

Send `Authorization: Bearer <token>` from `POST /api/auth/token` (operators, staff)
or from a follower login. Errors are RFC 9457 `application/problem+json` whose
`type` ends in a stable slug (e.g. `coupon-already-redeemed`).
"""


def create_app(
    settings: Settings | None = None,
    clock: Clock = utc_now,
    application: Lianjie | None = None,
) -> FastAPI:
    """Build the HTTP API; it opens (and closes) its own application unless given one."""
    settings = settings or Settings()
    owned = application is None
    lianjie = application if application is not None else bootstrap(settings, clock)
    admin = settings.admin_credentials()
    if admin and lianjie.ensure_operator(*admin):
        log.info("created the bootstrap operator %r", admin[0])
    context = ApiContext(
        settings=settings,
        lianjie=lianjie,
        cards=MemberCards(card_secret(settings), settings.card_step_seconds, lianjie.now),
        limiter=RateLimiter.from_settings(settings),
        metrics=Metrics(),
        wechat=WeChatLogin.from_settings(settings),
        read_models=ReadModels(
            lianjie, embedded=settings.embedded_worker, wait_seconds=settings.read_wait_seconds
        ),
    )

    @asynccontextmanager
    async def lifespan(api: FastAPI) -> AsyncIterator[None]:
        context.read_models.start()
        yield
        api.state.stopping = True
        context.read_models.stop()
        if owned:
            lianjie.close()

    api = FastAPI(title="Lianjie 连接", version="1", description=DESCRIPTION, lifespan=lifespan)
    api.state.context = context
    install_error_handlers(api)
    api.add_middleware(MetricsMiddleware, metrics=context.metrics)
    api.add_middleware(WritePositionMiddleware)
    for module in ROUTERS:
        api.include_router(module.router)
    include_wechat(api, lianjie, settings, operator=operator)
    install_web(api)  # /till, /wallet, /console, their assets and the JSON only they use
    api.openapi = lambda: problem_openapi(api)  # type: ignore[method-assign]
    return api


def problem_openapi(api: FastAPI) -> dict[str, Any]:
    """The OpenAPI document, with error answers declared as application/problem+json."""
    if api.openapi_schema is None:
        schema = get_openapi(
            title=api.title, version=api.version, description=api.description, routes=api.routes
        )
        for path in schema["paths"].values():
            for operation in path.values():
                declare_problems(operation.setdefault("responses", {}))
        api.openapi_schema = schema
    return api.openapi_schema


def declare_problems(responses: dict[str, Any]) -> None:
    """Every error answer as problem+json, and the errors any operation can meet (the
    handlers turn any domain error, bad input or lost race into one) declared on each."""
    for status in ANY_OPERATION_PROBLEMS:
        responses.setdefault(status, {"description": "problem details"})
    for status, response in responses.items():
        if status.startswith(("4", "5")):
            response["content"] = {PROBLEM_JSON: {"schema": {"$ref": PROBLEM_SCHEMA}}}
