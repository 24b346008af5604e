"""Token buckets per staff token and per client IP, kept in this process's memory.

Each API process limits on its own: with N processes a client may get up to N times
the configured rate. That bounds brute-force code guessing well enough; a shared
limiter (e.g. in PostgreSQL) is the next step if it must be exact.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from domain.errors import DomainError
from services.settings import Settings

MAX_BUCKETS = 50_000


class RateLimited(DomainError):
    """Too many requests from this token or address: wait `Retry-After` seconds."""

    slug = "rate-limited"
    title = "Too many requests"

    def __init__(self, retry_after: float) -> None:
        seconds = max(1, math.ceil(retry_after))
        super().__init__(f"too many requests: try again in {seconds} s")
        self.headers = {"Retry-After": str(seconds)}


@dataclass
class Bucket:
    tokens: float
    updated: float


@dataclass(frozen=True)
class Limit:
    """`per_minute` requests on average, up to `burst` at once."""

    per_minute: int
    burst: int

    @property
    def per_second(self) -> float:
        return self.per_minute / 60


class RateLimiter:
    """Takes one token per request from a named bucket; refuses when it is empty."""

    def __init__(
        self,
        by_token: Limit,
        by_address: Limit,
        enabled: bool = True,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.limits = {"token": by_token, "ip": by_address}
        self.enabled = enabled
        self.monotonic = monotonic
        self.buckets: dict[str, Bucket] = {}
        self.lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: Settings) -> RateLimiter:
        return cls(
            Limit(settings.rate_limit_per_minute, settings.rate_limit_burst),
            Limit(settings.rate_limit_ip_per_minute, settings.rate_limit_ip_burst),
            enabled=settings.rate_limits,
        )

    def hit(self, scope: str, *, token: str | None = None, address: str | None = None) -> None:
        """Count one request in `scope` against the token's and the address's buckets."""
        if not self.enabled:
            return
        keys = [(kind, key) for kind, key in (("token", token), ("ip", address)) if key]
        with self.lock:
            now = self.monotonic()
            waits = [self.take(f"{scope}:{k}:{key}", self.limits[k], now) for k, key in keys]
        if any(wait > 0 for wait in waits):
            raise RateLimited(max(waits))

    def take(self, key: str, limit: Limit, now: float) -> float:
        """Take a token; 0 when granted, else the seconds until one is available."""
        bucket = self.buckets.get(key)
        if bucket is None:
            if len(self.buckets) >= MAX_BUCKETS:
                self.forget_idle(now)
            bucket = self.buckets[key] = Bucket(limit.burst, now)
        bucket.tokens = min(limit.burst, bucket.tokens + (now - bucket.updated) * limit.per_second)
        bucket.updated = now
        if bucket.tokens >= 1:
            bucket.tokens -= 1
            return 0
        return (1 - bucket.tokens) / limit.per_second

    def forget_idle(self, now: float) -> None:
        """Drop buckets idle long enough to be full again (they would grant anyway)."""
        slowest = min(limit.per_second for limit in self.limits.values())
        horizon = max(limit.burst for limit in self.limits.values()) / slowest
        self.buckets = {k: b for k, b in self.buckets.items() if now - b.updated < horizon}
