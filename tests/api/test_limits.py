"""Failed authentications are limited per client address: guessing keys stays slow, other addresses go on."""

import re

from fastapi.testclient import TestClient

from app.config import Settings
from app.main import create_app
from app.ratelimit import RateLimiter
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
