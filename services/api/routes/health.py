"""Liveness, readiness and Prometheus metrics (no authentication: keep them off the internet)."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from services.api.deps import ContextDep

router = APIRouter(tags=["operations"])


def store_reachable(context: ContextDep) -> tuple[bool, str]:
    try:
        position = context.lianjie.ping()
    except Exception as failure:  # any driver error means "cannot reach the store"
        return False, type(failure).__name__
    return True, f"log position {position}"


@router.get("/healthz")
def healthz(context: ContextDep) -> JSONResponse:
    """200 when this process can reach its event store, else 503."""
    ok, detail = store_reachable(context)
    body = {"status": "ok" if ok else "unavailable", "store": detail}
    return JSONResponse(body, 200 if ok else 503)


@router.get("/readyz")
def readyz(request: Request, context: ContextDep) -> JSONResponse:
    """200 when started, not shutting down and the event store answers; else 503."""
    ok, detail = store_reachable(context)
    ready = ok and not getattr(request.app.state, "stopping", False)
    body = {"status": "ready" if ready else "not-ready", "store": detail}
    return JSONResponse(body, 200 if ready else 503)


@router.get("/metrics", response_class=Response)
def metrics(context: ContextDep) -> Response:
    """Prometheus metrics of this process: requests, latencies, redemptions, claims."""
    return Response(context.metrics.render(), media_type=context.metrics.content_type)
