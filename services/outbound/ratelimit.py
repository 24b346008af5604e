"""A token bucket: at most `rate` sends per second on average, `burst` at once."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

EPSILON = 1e-9


class TokenBucket:
    """Tokens refill continuously at `rate` per second up to `burst`; a send takes one."""

    def __init__(
        self, rate: float, burst: int = 1, clock: Callable[[], float] = time.monotonic
    ) -> None:
        if rate <= 0 or burst < 1:
            raise ValueError("a token bucket needs rate > 0 and burst >= 1")
        self.rate, self.burst, self.clock = rate, burst, clock
        self.tokens = float(burst)
        self.updated = clock()
        self.lock = threading.Lock()

    def try_take(self) -> float:
        """Take a token if there is one (returns 0), else how many seconds until there is."""
        with self.lock:
            now = self.clock()
            self.tokens = min(self.burst, self.tokens + (now - self.updated) * self.rate)
            self.updated = now
            if self.tokens >= 1 - EPSILON:  # float refills land a hair short of 1
                self.tokens = max(self.tokens - 1, 0.0)
                return 0.0
            return (1 - self.tokens) / self.rate

    def take(self, stop: threading.Event | None = None) -> bool:
        """Wait for a token; False if `stop` was set while waiting."""
        while (wait := self.try_take()) > 0:
            if stop is None:
                time.sleep(wait)
            elif stop.wait(wait):
                return False
        return True
