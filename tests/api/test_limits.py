"""Failed authentications are limited per client address: guessing keys stays slow, other addresses go on.
Shared stores (the database, Redis) count for every worker and server together."""

import re
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from app.config import Settings
from app.main import create_app
from app.ratelimit import DatabaseRateLimiter, Limiter, Limiters, RateLimiter, RedisRateLimiter, store_for
from tests.api.conftest import World

WRONG = "iotm_00000000_" + "x" * 40


def test_failed_keys_from_one_address_get_429_until_the_count_drops(api_settings: Settings, world: World) -> None:
    app = create_app(api_settings.model_copy(update={"auth_failures_per_minute": 3}), load_matching=False)
    with TestClient(app, client=("203.0.113.7", 50000)) as guesser, \
            TestClient(app, client=("198.51.100.2", 50000)) as member_office:
        assert [guesser.get("/v1/labs").status_code for _ in range(5)] == [401] * 5  # no key is no guess
        assert [guesser.get("/v1/labs", headers={"Authorization": f"Bearer {WRONG}"}).status_code
                for _ in range(3)] == [401] * 3
        refused = guesser.get("/v1/labs", headers=world.headers("lab", **{"Accept-Language": "ja"}))
        assert refused.status_code == 429  # even a right key: a guess that hit must not be told apart
        assert 1 <= int(refused.headers["Retry-After"]) <= 20
        assert "認証の失敗が多すぎます（1分あたり最大 3 回）" in refused.json()["detail"]
        assert guesser.get("/v1/labs", headers={"X-API-Key": WRONG}).status_code == 429
        # Another address is not held up by it.
        assert member_office.get("/v1/labs", headers=world.headers("member")).status_code == 200


def test_failed_sign_ins_count_too(api_settings: Settings, world: World) -> None:
    app = create_app(api_settings.model_copy(update={"auth_failures_per_minute": 2}), load_matching=False)
    with TestClient(app) as browser:
        def attempt(key: str) -> int:
            csrf = re.search(r'name="csrf" value="([^"]+)"', browser.get("/signin").text)
            assert csrf
            return browser.post("/signin", data={"api_key": key, "csrf": csrf.group(1)},
                                follow_redirects=False).status_code

        assert [attempt(WRONG), attempt(WRONG)] == [401, 401]
        csrf = re.search(r'name="csrf" value="([^"]+)"', browser.get("/signin").text)
        assert csrf
        refused = browser.post("/signin", data={"api_key": world.tokens["member"], "csrf": csrf.group(1)},
                               follow_redirects=False)
        assert refused.status_code == 429
        assert "Retry-After" in refused.headers
        assert "認証の失敗が多すぎます" in refused.text
        assert browser.get("/v1/labs", headers=world.headers("lab")).status_code == 429  # the same address


def test_peeking_counts_nothing() -> None:
    now = [0.0]
    limiter = RateLimiter(per_minute=60, burst=2, clock=lambda: now[0])
    assert limiter.peek("a") is None
    assert [limiter.hit("a"), limiter.hit("a"), limiter.hit("a")] == [None, None, 1]
    assert limiter.peek("a") == 1
    now[0] += 2.0
    assert limiter.peek("a") is None
    assert RateLimiter(per_minute=0, burst=1).peek("a") is None


def _shared_limiters(engine: Engine, clock: Callable[[], float]) -> list[Limiter]:
    """Two limiters on one database, as two workers or two servers hold them."""
    return [DatabaseRateLimiter("test", per_minute=60, burst=3, engine=lambda: engine, clock=clock)
            for _ in range(2)]


def test_database_buckets_are_shared_and_refill(engine: Engine) -> None:
    now = [1_000_000.0]
    first, second = _shared_limiters(engine, lambda: now[0])
    caller = f"key-{now[0]}-{engine.dialect.name}"
    assert [first.hit(caller), second.hit(caller), first.hit(caller)] == [None, None, None]
    assert second.hit(caller) == 1  # the burst is spent, whoever counts
    assert first.peek(caller) == 1
    assert first.hit("someone else") is None
    now[0] += 1.0
    assert second.peek(caller) is None
    assert second.hit(caller) is None
    assert first.hit(caller) == 1


def test_database_buckets_never_let_a_concurrent_burst_through(engine: Engine) -> None:
    limiters = _shared_limiters(engine, time.time)
    caller = f"burst-{time.time()}-{engine.dialect.name}"
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda i: limiters[i % 2].hit(caller), range(24)))
    # At one a second, a slow machine may refill a token or two while the 24 run.
    assert 3 <= answers.count(None) <= 5


def test_redis_buckets_are_shared(tmp_path: Path) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'x.db'}", redis_url="redis://127.0.0.1:6379/15")
    limiters = [Limiters(settings, lambda: None).make("test", per_minute=60, burst=3)  # type: ignore[arg-type,return-value]
                for _ in range(2)]
    assert all(isinstance(limiter, RedisRateLimiter) for limiter in limiters)
    caller = f"redis-{time.time()}"
    assert [limiters[i % 2].hit(caller) for i in range(4)] == [None, None, None, 1]
    assert limiters[1].peek("nobody yet") is None


def test_an_unreachable_redis_lets_requests_through(tmp_path: Path) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'x.db'}", redis_url="redis://127.0.0.1:1/0")
    limiter = Limiters(settings, lambda: None).make("test", per_minute=60, burst=1)  # type: ignore[arg-type,return-value]
    assert [limiter.hit("a"), limiter.hit("a")] == [None, None]


def test_the_store_follows_the_deployment(tmp_path: Path) -> None:
    sqlite = f"sqlite:///{tmp_path / 'x.db'}"
    assert store_for(Settings(database_url=sqlite)) == "memory"
    assert store_for(Settings(database_url=sqlite, workers=2)) == "database"
    assert store_for(Settings(database_url="postgresql://db/iotmatch")) == "database"
    assert store_for(Settings(database_url=sqlite, redis_url="redis://127.0.0.1:6379/0")) == "redis"
    assert store_for(Settings(database_url=sqlite, workers=4, rate_limit_store="memory")) == "memory"
