"""Rate limits: a token bucket per API key, or per client address for failed authentications and for searches
by visitors without a key. The buckets live in the process's memory, or, so that several workers and servers
count together, in the database or in Redis (`limiter_for` picks by the settings)."""

import hashlib
import logging
import math
import threading
import time
from collections.abc import Callable, Hashable
from typing import Any, Protocol, cast

from sqlalchemy import Boolean, Float, String, Table, case, delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import Mapped, mapped_column
from starlette.requests import Request

from app.config import Settings
from app.db import Base, normalize_url
from app.errors import AppError

log = logging.getLogger(__name__)

MAX_BUCKETS = 10_000  # beyond this, buckets that have refilled completely are forgotten


class RateLimited(AppError):
    """Too many requests; the response says when to try again."""

    status_code = 429
    title = "Too many requests"

    def __init__(self, message: str, *, retry_after: int, code: str | None = None,
                 params: dict[str, object] | None = None) -> None:
        super().__init__(message, code=code, params=params)
        self.headers = {"Retry-After": str(retry_after)}


class Limiter(Protocol):
    """What the routes ask of a rate limiter, wherever it keeps its buckets."""

    per_minute: float

    @property
    def enabled(self) -> bool: ...

    def peek(self, caller: Hashable) -> int | None: ...

    def hit(self, caller: Hashable) -> int | None: ...


class RateLimiter:
    """Each caller (a key id, a client address) may make `burst` requests at once and `per_minute` on average;
    0 per minute means no limit.

    In memory, so each worker process counts on its own: with N workers a caller gets up to N times the rate.
    """

    def __init__(self, per_minute: float, burst: int, clock: Callable[[], float] = time.monotonic) -> None:
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


class RateLimitBucket(Base):
    """A token bucket shared by every worker and server on the database: tokens left at `updated_at`."""

    __tablename__ = "rate_limit_buckets"

    key: Mapped[str] = mapped_column(String(100), primary_key=True)  # limiter name and caller
    tokens: Mapped[float] = mapped_column(Float)
    updated_at: Mapped[float] = mapped_column(Float, index=True)  # seconds since the epoch
    allowed: Mapped[bool] = mapped_column(Boolean)  # whether the last request counted was let through


def _bucket_key(name: str, caller: Hashable, private: bool = False) -> str:
    # A private caller (an e-mail address) is stored only as its hash, like a long one.
    key = f"{name}:{caller}"
    return key if len(key) <= 100 and not private else f"{name}:{hashlib.sha256(str(caller).encode()).hexdigest()}"


class DatabaseRateLimiter:
    """The token bucket as one upsert per request, atomic on SQLite and PostgreSQL alike, so concurrent
    workers never both spend the last token."""

    CLEANUP_EVERY = 1000  # requests between deletions of buckets that have refilled

    def __init__(self, name: str, per_minute: float, burst: int, engine: Callable[[], Engine],
                 clock: Callable[[], float] = time.time, private: bool = False) -> None:
        self.name, self.per_minute, self.private = name, per_minute, private
        self.rate = per_minute / 60.0
        self.burst = float(burst)
        self.engine, self.clock = engine, clock
        self._hits = 0

    @property
    def enabled(self) -> bool:
        """Whether requests are limited at all."""
        return self.rate > 0

    def _wait(self, tokens: float) -> int:
        return max(1, math.ceil((1 - tokens) / self.rate))

    def peek(self, caller: Hashable) -> int | None:
        """Without counting anything: None if the caller may go now, else the whole seconds until it may."""
        if not self.enabled:
            return None
        with self.engine().connect() as connection:
            row = connection.execute(select(RateLimitBucket.tokens, RateLimitBucket.updated_at).where(
                RateLimitBucket.key == _bucket_key(self.name, caller, self.private))).first()
        if row is None:
            return None
        tokens = min(self.burst, row.tokens + max(0.0, self.clock() - row.updated_at) * self.rate)
        return None if tokens >= 1 else self._wait(tokens)

    def hit(self, caller: Hashable) -> int | None:
        """Count one request; None if allowed, else the whole seconds until the next one is."""
        if not self.enabled:
            return None
        now = self.clock()
        table = cast(Table, RateLimitBucket.__table__)
        engine = self.engine()
        insert = sqlite_insert if engine.dialect.name == "sqlite" else pg_insert
        refilled = table.c.tokens + case((table.c.updated_at < now, (now - table.c.updated_at) * self.rate),
                                         else_=0.0)
        current = case((refilled > self.burst, self.burst), else_=refilled)
        upsert = insert(table).values(key=_bucket_key(self.name, caller, self.private), tokens=self.burst - 1,
                                      updated_at=now, allowed=True)
        statement = upsert.on_conflict_do_update(index_elements=[table.c.key], set_={
            "tokens": case((current >= 1, current - 1), else_=current),
            "allowed": current >= 1,
            "updated_at": now,
        }).returning(table.c.tokens, table.c.allowed)
        with engine.begin() as connection:
            tokens, allowed = connection.execute(statement).one()
        self._hits += 1
        if self._hits % self.CLEANUP_EVERY == 0:
            self._forget_full(now)
        return None if allowed else self._wait(tokens)

    def _forget_full(self, now: float) -> None:
        with self.engine().begin() as connection:
            connection.execute(delete(RateLimitBucket).where(
                RateLimitBucket.key.like(f"{self.name}:%"),
                RateLimitBucket.updated_at < now - self.burst / self.rate))


# The token bucket inside Redis, so the check and the spending are one atomic step; Redis's own clock, so
# servers whose clocks differ count alike. Returns {allowed (1/0), tokens left as a string}.
_REDIS_BUCKET = """
local rate, burst = tonumber(ARGV[1]), tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens, at = tonumber(state[1]) or burst, tonumber(state[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - at) * rate)
local allowed = 0
if ARGV[3] == 'hit' then
  if tokens >= 1 then tokens = tokens - 1; allowed = 1 end
  redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
  redis.call('EXPIRE', KEYS[1], math.ceil(burst / rate) + 60)
elseif tokens >= 1 then
  allowed = 1
end
return {allowed, tostring(tokens)}
"""


class RedisRateLimiter:
    """The token bucket in Redis. If Redis cannot be reached the request goes through (and the failure is
    logged): a limit that cannot count must not take the service down with it."""

    def __init__(self, name: str, per_minute: float, burst: int, client: Any, private: bool = False) -> None:
        self.name, self.per_minute, self.private = name, per_minute, private
        self.rate = per_minute / 60.0
        self.burst = float(burst)
        self._script = client.register_script(_REDIS_BUCKET)

    @property
    def enabled(self) -> bool:
        """Whether requests are limited at all."""
        return self.rate > 0

    def _ask(self, caller: Hashable, mode: str) -> int | None:
        if not self.enabled:
            return None
        import redis

        try:
            allowed, tokens = self._script(keys=[f"iotmatch:rate:{_bucket_key(self.name, caller, self.private)}"],
                                           args=[self.rate, self.burst, mode])
        except redis.RedisError as exc:
            log.warning("rate limit %s not counted: Redis unreachable (%s)", self.name, exc)
            return None
        return None if int(allowed) else max(1, math.ceil((1 - float(tokens)) / self.rate))

    def peek(self, caller: Hashable) -> int | None:
        """Without counting anything: None if the caller may go now, else the whole seconds until it may."""
        return self._ask(caller, "peek")

    def hit(self, caller: Hashable) -> int | None:
        """Count one request; None if allowed, else the whole seconds until the next one is."""
        return self._ask(caller, "hit")


def store_for(settings: Settings) -> str:
    """Where the limits count, with 'auto' resolved (see the rate_limit_store setting)."""
    if settings.rate_limit_store != "auto":
        return settings.rate_limit_store
    if settings.redis_url:
        return "redis"
    shared_database = make_url(normalize_url(settings.database_url)).get_backend_name() == "postgresql"
    return "database" if settings.workers > 1 or shared_database else "memory"


class Limiters:
    """Makes the service's limiters, all in one store; the database engine is looked up when first needed,
    since the lifespan creates it after the app."""

    def __init__(self, settings: Settings, engine: Callable[[], Engine]) -> None:
        self.store = store_for(settings)
        self.engine = engine
        self._redis: Any = None
        if self.store == "redis":
            if not settings.redis_url:
                raise ValueError("IOTMATCH_RATE_LIMIT_STORE=redis needs IOTMATCH_REDIS_URL")
            import redis

            self._redis = redis.Redis.from_url(settings.redis_url, socket_timeout=0.5, socket_connect_timeout=0.5)

    def make(self, name: str, per_minute: float, burst: int, *, private: bool = False) -> Limiter:
        """A limiter named `name` (its buckets are apart from the other limiters'); `private` stores the callers
        (e-mail addresses) only as hashes."""
        if self.store == "redis":
            return RedisRateLimiter(name, per_minute, burst, self._redis, private=private)
        if self.store == "database":
            return DatabaseRateLimiter(name, per_minute, burst, self.engine, private=private)
        return RateLimiter(per_minute, burst)
