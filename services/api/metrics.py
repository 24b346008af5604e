"""Prometheus metrics: requests, latencies and redemption outcomes, per API process."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from domain.errors import DomainError

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)


@dataclass
class Outcome:
    """The label a block that succeeded is counted under."""

    label: str


class Metrics:
    """One registry per FastAPI app, so several apps (tests) never collide."""

    content_type = CONTENT_TYPE_LATEST

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "lianjie_http_requests",
            "HTTP requests answered, by method, route template and status.",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "lianjie_http_request_duration_seconds",
            "Time to answer an HTTP request, by method and route template.",
            ["method", "route"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.redemptions = Counter(
            "lianjie_redemptions",
            "Coupon redemption attempts at tills, by outcome (redeemed or the error slug).",
            ["outcome"],
            registry=self.registry,
        )
        self.claims = Counter(
            "lianjie_claims",
            "Campaign claims by followers, by outcome (issued, held or the error slug).",
            ["outcome"],
            registry=self.registry,
        )

    @contextmanager
    def outcome(self, counter: Counter, success: str) -> Iterator[Outcome]:
        """Count the block's outcome: `success` (or the label the block sets instead), or
        the slug of the domain error it raised."""
        counted = Outcome(success)
        try:
            yield counted
        except DomainError as refused:
            counter.labels(refused.slug).inc()
            raise
        counter.labels(counted.label).inc()

    def render(self) -> bytes:
        return generate_latest(self.registry)


class MetricsMiddleware:
    """Counts and times every HTTP request by its route template (never the raw path)."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            route = getattr(scope.get("route"), "path", "unmatched")
            method = scope["method"]
            self.metrics.requests.labels(method, route, str(status)).inc()
            self.metrics.latency.labels(method, route).observe(time.perf_counter() - started)
