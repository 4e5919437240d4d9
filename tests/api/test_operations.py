"""Health, readiness, metrics, request ids in headers and JSON logs, per-key rate limits, the keys CLI."""

import asyncio
import json
import logging

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session
from starlette.types import Message, Receive, Scope, Send
from typer.testing import CliRunner

from app.auth import service as auth_service
from app.cli import cli
from app.config import Settings
from app.main import create_app
from app.matches.engine import MatchingEngine
from app.observability import JsonFormatter
from app.problems import RequestGuardMiddleware
from app.ratelimit import RateLimiter
from embeddings.encoder import SentenceTransformerEncoder
from matching.vocabulary import Vocabulary
from tests.api.conftest import World, make_world


def test_health_and_readiness(client: TestClient, matching_client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    not_ready = client.get("/readyz")
    assert not_ready.status_code == 503
    assert not_ready.json() == {"status": "not ready", "database": "ok", "index": "not loaded", "disk": "ok"}
    assert matching_client.get("/readyz").json() == {"status": "ready", "database": "ok", "index": "loaded",
                                                     "disk": "ok"}


def test_readiness_fails_when_the_disk_is_full(api_settings: Settings, world: World) -> None:
    full = api_settings.model_copy(update={"min_free_disk_mb": 1 << 40})  # more than any disk has free
    with TestClient(create_app(full, load_matching=False)) as client:
        response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["disk"] == "full"


def test_a_database_outage_is_a_503_that_says_to_retry() -> None:
    settings = Settings(database_url="postgresql://nobody@127.0.0.1:1/none", rate_limit_per_minute=0)
    with TestClient(create_app(settings, load_matching=False)) as unreachable:
        response = unreachable.get("/v1/organizations", headers={"Authorization": f"Bearer iotm_abcd1234_{'x' * 43}",
                                                                  "Accept-Language": "ja"})
    assert response.status_code == 503
    assert response.headers["Retry-After"]
    assert "データベース" in response.json()["detail"]


def test_a_body_that_stops_arriving_is_answered_408_not_held_forever() -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await receive()  # the body the client declared and never sends
        raise AssertionError("unreachable")

    sent: list[Message] = []

    async def never() -> Message:
        await asyncio.sleep(3600)
        raise AssertionError("unreachable")

    async def send(message: Message) -> None:
        sent.append(message)

    guard = RequestGuardMiddleware(app, max_bytes=1000, body_timeout=0.2)
    scope = {"type": "http", "method": "POST", "path": "/v1/needs", "query_string": b"",
             "headers": [(b"content-length", b"10"), (b"accept-language", b"ja")]}
    asyncio.run(asyncio.wait_for(guard(scope, never, send), 5))
    assert sent[0]["status"] == 408
    assert (b"connection", b"close") in sent[0]["headers"]
    body = json.loads(b"".join(m.get("body", b"") for m in sent[1:]))
    assert body["type"] == "/problems/request-timeout"
    assert body["title"] == "リクエストがタイムアウトしました"
    assert "0.2 秒以内に届きませんでした" in body["detail"]


def test_readiness_fails_when_the_database_is_unreachable() -> None:
    settings = Settings(database_url="postgresql://nobody@127.0.0.1:1/none", rate_limit_per_minute=0)
    with TestClient(create_app(settings, load_matching=False)) as unreachable:
        response = unreachable.get("/readyz")
    assert response.status_code == 503
    assert response.json()["database"] == "unreachable"


def test_metrics_count_requests_by_route_template(matching_client: TestClient, world: World) -> None:
    for need in ("N-A1", "N-C1"):
        assert matching_client.get(f"/v1/needs/{need}", headers=world.headers("lab")).status_code == 200
    matching_client.get("/v1/needs/N-A1/matches", headers=world.headers("lab"))
    matching_client.get("/no/such/page")
    text = matching_client.get("/metrics").text
    assert 'iotmatch_http_requests_total{method="GET",route="/v1/needs/{need_id}",status="200"} 2.0' in text
    assert 'iotmatch_http_request_duration_seconds_count{method="GET",route="/v1/needs/{need_id}/matches"} 1.0' in text
    assert 'route="unmatched",status="404"' in text
    assert "N-A1" not in text
    assert 'iotmatch_index_documents{kind="seed"} 4.0' in text
    assert "iotmatch_index_loaded 1.0" in text


def _metric(text: str, name: str) -> float:
    """The value of an unlabelled sample in a Prometheus exposition."""
    return next(float(line.split()[1]) for line in text.splitlines() if line.startswith(name + " "))


def test_metrics_count_embedding_cache_hits_and_misses(api_settings: Settings, world: World,
                                                       encoder: SentenceTransformerEncoder,
                                                       vocabulary: Vocabulary) -> None:
    def scrape(settings: Settings) -> tuple[float, float]:
        with TestClient(create_app(settings, MatchingEngine(settings, encoder, vocabulary))) as app_client:
            assert app_client.get("/v1/needs/N-A1/matches", headers=world.headers("lab")).status_code == 200
            text = app_client.get("/metrics").text
        return (_metric(text, "iotmatch_embedding_cache_hits_total"),
                _metric(text, "iotmatch_embedding_cache_misses_total"))

    hits, misses = scrape(api_settings)
    assert hits == 0  # a fresh database: every text is encoded once
    assert misses > 0
    # Another process without the index snapshot rebuilds from the cached vectors: all hits, no encoding.
    elsewhere = api_settings.model_copy(update={"data_dir": api_settings.data_dir.parent / "elsewhere"})
    assert scrape(elsewhere) == (misses, 0)


def test_request_id_is_returned_and_logged(client: TestClient, world: World, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="iotmatch.access"):
        mine = client.get("/v1/labs", headers=world.headers("lab", **{"X-Request-ID": "lab-site-42"}))
        fresh = client.get("/v1/labs", headers={"X-Request-ID": "bad id with spaces"})
    assert mine.headers["X-Request-ID"] == "lab-site-42"
    assert len(fresh.headers["X-Request-ID"]) == 32
    assert fresh.headers["X-Request-ID"] != "bad id with spaces"
    assert fresh.json()["status"] == 401  # errors carry the id too
    lines = [json.loads(JsonFormatter().format(r)) for r in caplog.records if r.name == "iotmatch.access"]
    assert lines[0]["request_id"] == "lab-site-42"
    assert lines[0] | {"time": None, "duration_ms": None} == {
        "time": None, "level": "info", "logger": "iotmatch.access", "message": "GET /v1/labs 200",
        "request_id": "lab-site-42", "method": "GET", "path": "/v1/labs", "route": "/v1/labs", "status": 200,
        "duration_ms": None, "key_id": world.key_ids["lab"], "role": "lab"}
    assert lines[1]["request_id"] == fresh.headers["X-Request-ID"]
    assert lines[1]["key_id"] is None


def test_rate_limit_per_key_with_retry_after(api_settings: Settings, world: World) -> None:
    settings = api_settings.model_copy(update={"rate_limit_per_minute": 6, "rate_limit_burst": 2})
    with TestClient(create_app(settings, load_matching=False)) as limited:
        ja = world.headers("lab", **{"Accept-Language": "ja"})
        assert [limited.get("/v1/labs", headers=ja).status_code for _ in range(2)] == [200, 200]
        refused = limited.get("/v1/labs", headers=ja)
        assert refused.status_code == 429
        assert 1 <= int(refused.headers["Retry-After"]) <= 10
        assert refused.json()["title"] == "リクエストが多すぎます"
        assert "1分あたり最大 6 件" in refused.json()["detail"]
        assert limited.get("/v1/labs", headers=world.headers("member")).status_code == 200  # its own bucket
        assert limited.get("/healthz").status_code == 200


def test_rate_limiter_refills_over_time() -> None:
    now = [0.0]
    limiter = RateLimiter(per_minute=60, burst=1, clock=lambda: now[0])
    assert limiter.hit(1) is None
    assert limiter.hit(1) == 1
    now[0] += 1.0
    assert limiter.hit(1) is None
    assert RateLimiter(per_minute=0, burst=1).hit(1) is None


def test_keys_cli_prints_a_working_key(cli_env: dict[str, str], session: Session) -> None:
    make_world(session)  # members and labs to bind keys to
    runner = CliRunner()
    result = runner.invoke(cli, ["keys", "create", "--role", "member", "--org", "ORG-C", "--name", "農園の担当"])
    assert result.exit_code == 0, result.output
    token = result.stdout.strip().splitlines()[0]
    key = auth_service.authenticate(db_session=session, token=token)
    assert key.role == "member"
    assert key.organization is not None
    assert key.organization.external_id == "ORG-C"
    wrong = runner.invoke(cli, ["keys", "create", "--role", "lab", "--org", "ORG-C"])
    assert wrong.exit_code == 1
    assert "lab" in wrong.output
    listed = runner.invoke(cli, ["keys", "list"])
    assert "ORG-C" in listed.stdout
    assert token not in listed.stdout


def test_docs_and_openapi_describe_the_errors(client: TestClient) -> None:
    assert client.get("/docs").status_code == 200
    spec = client.get("/openapi.json").json()
    assert "Problem" in spec["components"]["schemas"]
    assert "HTTPValidationError" not in spec["components"]["schemas"]
    operations = [op for path, ops in spec["paths"].items() if path.startswith("/v1/") for op in ops.values()]
    for operation in operations:
        assert operation["responses"]["422"]["content"].keys() == {"application/problem+json"}
        assert "401" in operation["responses"]
    need_create = spec["components"]["schemas"]["NeedCreate"]
    assert need_create["examples"][0]["title"] == "工場設備の稼働監視"
