"""Per-key rate limiting: a token bucket per API key, kept in the process's memory."""

import math
import threading
import time
from collections.abc import Callable

from app.errors import AppError


class RateLimited(AppError):
    """Too many requests with one key; the response says when to try again."""

    status_code = 429
    title = "Too many requests"

    def __init__(self, message: str, *, retry_after: int, code: str | None = None,
                 params: dict[str, object] | None = None) -> None:
        super().__init__(message, code=code, params=params)
        self.headers = {"Retry-After": str(retry_after)}


class RateLimiter:
    """Each key may make `burst` requests at once and `per_minute` on average; 0 per minute means no limit.

    In memory, so each worker process counts on its own: with N workers a key gets up to N times the rate.
    """

    def __init__(self, per_minute: int, burst: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.rate = per_minute / 60.0
        self.burst = float(burst)
        self.clock = clock
        self._buckets: dict[int, tuple[float, float]] = {}  # key id -> (tokens, last refill)
        self._lock = threading.Lock()

    @property
    def enabled(self) -> bool:
        """Whether requests are limited at all."""
        return self.rate > 0

    def hit(self, key_id: int) -> int | None:
        """Count one request; None if allowed, else the whole seconds until the next one is."""
        if not self.enabled:
            return None
        now = self.clock()
        with self._lock:
            tokens, last = self._buckets.get(key_id, (self.burst, now))
            tokens = min(self.burst, tokens + (now - last) * self.rate)
            if tokens >= 1:
                self._buckets[key_id] = (tokens - 1, now)
                return None
            self._buckets[key_id] = (tokens, now)
            return max(1, math.ceil((1 - tokens) / self.rate))
