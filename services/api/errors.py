"""RFC 9457 problem details: every error leaves the API as application/problem+json."""

from __future__ import annotations

import logging
import sqlite3
from typing import Any

import psycopg
from eventsourcing.persistence import PersistenceError
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from domain.errors import DomainError, InvalidInput, NotFound
from services.app.base import ConflictPersisted
from services.storage import storage_fault

log = logging.getLogger(__name__)
PROBLEM_BASE = "https://lianjie.example/problems/"
PROBLEM_JSON = "application/problem+json"

# Slugs whose status API.md fixes, or that are not a plain 404/422/409.
STATUS_BY_SLUG = {
    "coupon-not-found": 404,
    "code-not-recognised": 404,
    "coupon-already-redeemed": 409,
    "coupon-expired": 422,
    "coupon-not-yet-valid": 422,
    "not-valid-at-store": 422,
    "campaign-out-of-stock": 409,
    "claim-limit-reached": 409,
    "campaign-not-running": 409,
    "invalid-credentials": 401,
    "not-authenticated": 401,
    "token-expired": 401,
    "wechat-login-failed": 401,
    "forbidden": 403,
    "rate-limited": 429,
    "login-locked": 429,
    "wechat-unavailable": 502,
}
# What the event store's drivers raise (eventsourcing wraps psycopg's and sqlite3's).
STORAGE_ERRORS = (PersistenceError, psycopg.Error, sqlite3.Error)
HTTP_SLUGS = {404: "not-found", 405: "method-not-allowed", 401: "not-authenticated"}


def status_for(error: DomainError) -> int:
    """The HTTP status of a domain error: fixed by slug, else 404/422/409 by its family."""
    if error.slug in STATUS_BY_SLUG:
        return STATUS_BY_SLUG[error.slug]
    if isinstance(error, NotFound):
        return 404
    if isinstance(error, InvalidInput):
        return 422
    return 409


def problem(
    request: Request,
    status: int,
    slug: str,
    title: str,
    detail: str,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    """A problem+json response whose `type` ends in the slug."""
    body = {
        "type": PROBLEM_BASE + slug,
        "title": title,
        "status": status,
        "detail": detail,
        "instance": request.url.path,
        **extra,
    }
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


async def on_domain_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, DomainError)
    status = status_for(error)
    headers = dict(getattr(error, "headers", {}) or {})
    if status == 401:
        headers.setdefault("WWW-Authenticate", "Bearer")
    return problem(request, status, error.slug, error.title, error.detail, headers)


async def on_validation_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, RequestValidationError)
    # Never echo the rejected input: it may be a password.
    errors = [
        {"loc": [str(part) for part in e["loc"]], "msg": e["msg"], "type": e["type"]}
        for e in error.errors()
    ]
    detail = "; ".join(f"{'.'.join(e['loc'])}: {e['msg']}" for e in errors)
    return problem(request, 422, "invalid-request", "Invalid request", detail, errors=errors)


async def on_http_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, StarletteHTTPException)
    slug = HTTP_SLUGS.get(error.status_code, f"http-{error.status_code}")
    title = slug.replace("-", " ").capitalize()
    detail = error.detail if isinstance(error.detail, str) else title
    return problem(request, error.status_code, slug, title, detail, error.headers)


async def on_conflicts(request: Request, error: Exception) -> JSONResponse:
    detail = "too many concurrent changes to the same thing: try again"
    return problem(request, 503, "busy", "Busy", detail, {"Retry-After": "1"})


async def on_storage_error(request: Request, error: Exception) -> JSONResponse:
    """503 while the store is away, full or read-only; any other database error is a bug."""
    fault = storage_fault(error)
    if fault is None:
        return await on_unexpected(request, error)
    log.warning("%s on %s %s: %s", fault.slug, request.method, request.url.path, error)
    headers = {"Retry-After": str(fault.retry_after_seconds)}
    return problem(request, 503, fault.slug, fault.title, fault.detail, headers)


async def on_unexpected(request: Request, error: Exception) -> JSONResponse:
    log.exception("unexpected error on %s %s", request.method, request.url.path)
    detail = "something went wrong on our side; it has been logged"
    return problem(request, 500, "internal-error", "Internal error", detail)


def install_error_handlers(api: FastAPI) -> None:
    """Answer every failure with problem+json, never a traceback."""
    api.add_exception_handler(DomainError, on_domain_error)
    api.add_exception_handler(RequestValidationError, on_validation_error)
    api.add_exception_handler(StarletteHTTPException, on_http_error)
    api.add_exception_handler(ConflictPersisted, on_conflicts)
    for storage_error in STORAGE_ERRORS:
        api.add_exception_handler(storage_error, on_storage_error)
    api.add_exception_handler(Exception, on_unexpected)
