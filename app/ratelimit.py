"""Rate limits kept in the process's memory: a token bucket per API key, or per client address for failed
authentications and for searches by visitors without a key."""

import math
import threading
import time
from collections.abc import Callable, Hashable

from starlette.requests import Request

from app.errors import AppError

MAX_BUCKETS = 10_000  # beyond this, buckets that have refilled completely are forgotten


class RateLimited(AppError):
    """Too many requests; the response says when to try again."""

    status_code = 429
    title = "Too many requests"

    def __init__(self, message: str, *, retry_after: int, code: str | None = None,
                 params: dict[str, object] | None = None) -> None:
        super().__init__(message, code=code, params=params)
        self.headers = {"Retry-After": str(retry_after)}


class RateLimiter:
    """Each caller (a key id, a client address) may make `burst` requests at once and `per_minute` on average;
    0 per minute means no limit.

    In memory, so each worker process counts on its own: with N workers a caller gets up to N times the rate.
    """

    def __init__(self, per_minute: int, burst: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.per_minute = per_minute
        self.rate = per_minute / 60.0
        self.burst = float(burst)
        self.clock = clock
        self._buckets: dict[Hashable, tuple[float, float]] = {}  # caller -> (tokens, last refill)
        self._lock = threading.Lock()

    @property
    def enabled(self) -> bool:
        """Whether requests are limited at all."""
        return self.rate > 0

    def _tokens(self, caller: Hashable, now: float) -> float:
        tokens, last = self._buckets.get(caller, (self.burst, now))
        return min(self.burst, tokens + (now - last) * self.rate)

    def _wait(self, tokens: float) -> int:
        return max(1, math.ceil((1 - tokens) / self.rate))

    def peek(self, caller: Hashable) -> int | None:
        """Without counting anything: None if the caller may go now, else the whole seconds until it may."""
        if not self.enabled:
            return None
        with self._lock:
            tokens = self._tokens(caller, self.clock())
        return None if tokens >= 1 else self._wait(tokens)

    def hit(self, caller: Hashable) -> int | None:
        """Count one request; None if allowed, else the whole seconds until the next one is."""
        if not self.enabled:
            return None
        now = self.clock()
        with self._lock:
            if len(self._buckets) >= MAX_BUCKETS:
                self._forget_full(now)
            tokens = self._tokens(caller, now)
            if tokens >= 1:
                self._buckets[caller] = (tokens - 1, now)
                return None
            self._buckets[caller] = (tokens, now)
            return self._wait(tokens)

    def _forget_full(self, now: float) -> None:
        """Drop the buckets that have refilled: they hold nothing a fresh one would not."""
        self._buckets = {caller: bucket for caller, bucket in self._buckets.items()
                         if bucket[0] + (now - bucket[1]) * self.rate < self.burst}


def client_address(request: Request) -> str:
    """The caller's address (behind a reverse proxy, the one uvicorn read from X-Forwarded-For, if trusted)."""
    return request.client.host if request.client else "unknown"
