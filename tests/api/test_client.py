"""The Python client against the real app: sync over the test client, async over httpx's ASGI transport."""

import asyncio

import httpx
import pytest
from fastapi.testclient import TestClient

from app.client import ApiError, AsyncClient, Client, RateLimitError
from app.config import Settings
from app.main import create_app
from app.postings.schemas import NeedRead
from tests.api.conftest import World


def _client(test_client: TestClient, world: World, role: str, language: str | None = None) -> Client:
    return Client("http://testserver", world.tokens[role], language=language, http=test_client)


def test_sync_client_reads_matches_and_writes(matching_client: TestClient, world: World) -> None:
    lab = _client(matching_client, world, "lab")
    found = lab.needs.matches("N-A1", limit=10)
    assert [m.seed for m in found.matches] == ["S-C1"]  # the lab's region by default
    everywhere = lab.needs.matches("N-A1", limit=2, prefecture="all", industry="all")
    assert [m.seed for m in everywhere.matches] == ["S-B1", "S-D1"]
    assert everywhere.matches[0].organization.id == "ORG-B"
    assert [o.id for o in lab.organizations.list().items] == ["ORG-A", "ORG-C"]
    assert lab.organizations.get("ORG-A").contact is None
    assert {lab_.id for lab_ in lab.labs.list()} == {"lab-fukuoka-pref", "lab-saga-pref"}
    assert "S-C1" in [m.seed for m in lab.search("稼働データの分析", prefecture="all", industry="all").matches]

    member = _client(matching_client, world, "member")
    need = member.needs.create(title="検査の自動化", description="外観検査をカメラで自動化したい")
    assert isinstance(need, NeedRead)
    assert need.organization.id == "ORG-A"
    assert member.needs.update(need.id, budget_jpy=2_000_000).budget_jpy == 2_000_000
    member.feedback.give("N-A1", "S-B1", "not_relevant")
    assert "S-B1" not in [m.seed for m in member.needs.matches("N-A1").matches]
    assert "S-B1" in [m.seed for m in member.needs.matches("N-A1", include_seen=True).matches]
    member.needs.delete(need.id)
    with pytest.raises(ApiError) as missing:
        member.needs.get(need.id)
    assert missing.value.status == 404
    assert missing.value.request_id


def test_sync_client_errors_carry_the_problem(client: TestClient, world: World) -> None:
    lab = _client(client, world, "lab", language="ja")
    with pytest.raises(ApiError) as refused:
        lab.seeds.create(title="t", description="d", organization="ORG-A")
    assert refused.value.status == 403
    assert "ラボ" in refused.value.detail or "lab" in refused.value.detail
    with pytest.raises(ApiError) as invalid:
        lab.needs.list(limit=0)
    assert invalid.value.status == 422
    assert invalid.value.field == "limit"
    with pytest.raises(ApiError) as unauthorized:
        Client("http://testserver", "iotm_nope", http=client).labs.list()
    assert unauthorized.value.status == 401


# An id with '%' is checked in the async test: Starlette's test client decodes the path twice, servers once.
@pytest.mark.parametrize("odd_id", ["N-A1/matches", "N-A1?x=1", "N-A1#top", "N-A1 x", "N-A1/..", "..", ".", ""])
def test_ids_are_one_path_segment_so_odd_ids_are_404(client: TestClient, world: World, odd_id: str) -> None:
    api = _client(client, world, "secretariat")
    calls = [lambda: api.needs.get(odd_id), lambda: api.seeds.update(odd_id, title="t"),
             lambda: api.needs.delete(odd_id), lambda: api.organizations.get(odd_id), lambda: api.labs.get(odd_id)]
    for call in calls:
        with pytest.raises(ApiError) as missing:
            call()
        assert missing.value.status == 404, odd_id
    assert api.needs.get("N-A1").id == "N-A1"


def test_matches_leave_out_programs_when_asked(matching_client: TestClient, world: World) -> None:
    api = _client(matching_client, world, "secretariat")
    for postings, posting_id in ((api.needs, "N-A1"), (api.seeds, "S-B1")):
        with_programs = postings.matches(posting_id, prefecture="all", industry="all").matches
        assert with_programs
        assert all(m.programs is not None for m in with_programs)
        without = postings.matches(posting_id, prefecture="all", industry="all", programs=False).matches
        assert [m.seed or m.need for m in without] == [m.seed or m.need for m in with_programs]
        assert all(m.programs is None for m in without)
    for call in (lambda: api.needs.matches("N-A1/matches"), lambda: api.organizations.partners("ORG-A?x=1")):
        with pytest.raises(ApiError) as missing:
            call()
        assert missing.value.status == 404


def test_sync_client_reports_rate_limits(api_settings: Settings, world: World) -> None:
    settings = api_settings.model_copy(update={"rate_limit_per_minute": 1, "rate_limit_burst": 1})
    with TestClient(create_app(settings, load_matching=False)) as limited:
        api = _client(limited, world, "member")
        api.labs.list()
        with pytest.raises(RateLimitError) as limit:
            api.labs.list()
    assert limit.value.retry_after >= 1


def test_async_client(matching_client: TestClient, world: World) -> None:
    # The test client ran the app's lifespan; the ASGI transport calls the same app in this event loop.
    transport = httpx.ASGITransport(app=matching_client.app)

    async def scenario() -> None:
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            api = AsyncClient("http://testserver", world.tokens["other_member"], http=http)
            found = await api.seeds.matches("S-B1", limit=3)
            assert [m.need for m in found.matches][0] == "N-A1"
            bare = await api.needs.matches("N-A1", limit=3, programs=False)
            assert bare.matches
            assert all(m.programs is None for m in bare.matches)
            for odd_id in ("N-A1?x=1", "N-A1%2F", "N-A1/matches"):
                with pytest.raises(ApiError) as missing:
                    await api.needs.get(odd_id)
                assert missing.value.status == 404
            page = await api.needs.list(prefecture="福岡県", limit=2)
            assert page.total == 3
            assert [n.id for n in page.items] == ["N-A1", "N-C1"]
            partners = await api.organizations.partners("ORG-B", limit=2)
            assert len(partners.partners) == 2
            feedback = await api.feedback.give("N-A1", "S-B1", "contacted", note="電話で話しました")
            assert feedback.organization == "ORG-B"
            with pytest.raises(ApiError) as refused:
                await api.feedback.summary()
            assert refused.value.status == 403
            secretariat = AsyncClient("http://testserver", world.tokens["secretariat"], http=http)
            summary = await secretariat.feedback.summary()
            assert summary.seeds[0].counts == {"contacted": 1}
            assert (await secretariat.labs.get("lab-saga-pref")).prefecture == "佐賀県"

    asyncio.run(scenario())
