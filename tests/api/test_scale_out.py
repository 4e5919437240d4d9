"""Several worker processes of one `iotmatch serve`, and several servers on one PostgreSQL database: a change
made through one is matched through all within a second or two, and they count rate limits together."""

import os
import time
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import httpx
import pytest

from bench import soak
from tests.conftest import BACKENDS, PG_URL, new_database

BURST = 40  # requests a key may make at once; at one a minute on average, nothing refills during a test
TEXT = "みかん畑の斜面を自動で走る小型の草刈りロボットで、高齢の農家の作業を減らします"


def _env(url: str, data_dir: Path) -> dict[str, str]:
    return {**os.environ, "IOTMATCH_DATABASE_URL": url, "IOTMATCH_DATA_DIR": str(data_dir),
            "IOTMATCH_RATE_LIMIT_PER_MINUTE": "1", "IOTMATCH_RATE_LIMIT_BURST": str(BURST),
            "IOTMATCH_LOG_LEVEL": "info", "IOTMATCH_SESSION_SECRET": "scale-out-test"}


def _found(base_url: str, key: str) -> bool:
    """Whether a search over a new connection (so any worker may answer) ranks the new seed first."""
    with httpx.Client(base_url=base_url, headers={"Authorization": f"Bearer {key}"}, timeout=30) as client:
        response = client.get("/v1/search", params={"q": TEXT, "limit": 3})
    response.raise_for_status()
    return any(m["title"] == "斜面の草刈りロボット" for m in response.json()["matches"][:1])


def _seen_by_all_after(post: httpx.Response, base_urls: list[str], key: str, checks: int = 12) -> float:
    """Seconds from the seed's acknowledgement until `checks` searches in a row, spread over the servers,
    all found it."""
    assert post.status_code == 201, post.text
    acknowledged = time.monotonic()
    streak, first_of_streak = 0, acknowledged
    while streak < checks:
        assert time.monotonic() - acknowledged < 30, "the new seed was never found by every worker"
        started = time.monotonic()
        if _found(base_urls[streak % len(base_urls)], key):
            if streak == 0:
                first_of_streak = started
            streak += 1
        else:
            streak = 0
        time.sleep(0.05)
    return first_of_streak - acknowledged


def _allowed(base_urls: list[str], key: str, requests: int) -> int:
    """How many of `requests` calls with one key, each on a new connection, got through the rate limit."""
    statuses = []
    for i in range(requests):
        with httpx.Client(base_url=base_urls[i % len(base_urls)], timeout=30,
                          headers={"Authorization": f"Bearer {key}"}) as client:
            statuses.append(client.get("/v1/organizations", params={"limit": 1}).status_code)
    assert set(statuses) <= {200, 429}, statuses
    return statuses.count(200)


@pytest.fixture
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    url, drop = new_database(request.param, tmp_path)
    yield url
    drop()


@pytest.mark.parametrize("database", BACKENDS, indirect=True)
def test_two_workers_see_each_others_changes_and_share_rate_limits(database: str, tmp_path: Path) -> None:
    env = _env(database, tmp_path / "var")
    secretariat, keys = soak.prepare(database, env, members=2)
    poster, counted = list(keys.values())
    port = soak.free_port()
    with soak.running_server(env, port, tmp_path / "server.log", workers=2):
        base_url = f"http://127.0.0.1:{port}"
        with httpx.Client(base_url=base_url, headers={"Authorization": f"Bearer {poster}"}) as client:
            post = client.post("/v1/seeds", json={"title": "斜面の草刈りロボット", "description": TEXT})
        assert _seen_by_all_after(post, [base_url], secretariat) <= 1.0
        # In memory each worker would count on its own and let up to twice the burst through.
        assert _allowed([base_url], counted, BURST + 20) == BURST


@pytest.mark.skipif(PG_URL is None, reason="two servers share a PostgreSQL database (IOTMATCH_TEST_PG_URL)")
@pytest.mark.parametrize("database", ["postgresql"], indirect=True)
def test_two_servers_on_one_postgresql_database(database: str, tmp_path: Path) -> None:
    shared_snapshots = tmp_path / "shared"  # both start from (and save to) one snapshot folder
    env = _env(database, shared_snapshots)
    secretariat, keys = soak.prepare(database, env, members=2)
    poster, counted = list(keys.values())
    ports = [soak.free_port(), soak.free_port()]
    with ExitStack() as servers:
        for n, port in enumerate(ports):
            servers.enter_context(soak.running_server(env, port, tmp_path / f"server{n}.log"))
        first, second = (f"http://127.0.0.1:{port}" for port in ports)
        with httpx.Client(base_url=first, headers={"Authorization": f"Bearer {poster}"}) as client:
            post = client.post("/v1/seeds", json={"title": "斜面の草刈りロボット", "description": TEXT})
        assert _seen_by_all_after(post, [second, first], secretariat) <= 2.0
        assert _allowed([first, second], counted, BURST + 20) == BURST
