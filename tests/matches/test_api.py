"""Over HTTP: a seed posted, changed or removed through the API shows in the very next match request."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.config import Settings
from app.main import create_app
from app.matches.engine import MatchingEngine
from embeddings.encoder import SentenceTransformerEncoder
from matching.vocabulary import load_vocabulary
from seed import VOCABULARY
from tests.api.conftest import World, make_world

GREENHOUSE_SEED = {
    "id": "S-B9",
    "title": "ビニールハウスの温湿度を遠隔で見守る無線センサー",
    "description": "ハウス内の温度と湿度を無線センサーで測り、異常な高温や低温をスマホに知らせます。",
    "industries_served": ["A"],
}


@pytest.fixture
def world(session: Session) -> World:
    """Four members with one need and one seed each, and a key per role."""
    return make_world(session)


@pytest.fixture
def client(database_url: str, tmp_path: Path, world: World,
           encoder: SentenceTransformerEncoder) -> Iterator[TestClient]:
    """The whole app with a matching engine already started on the database."""
    settings = Settings(database_url=database_url, data_dir=tmp_path / "var", rate_limit_per_minute=0)
    engine = MatchingEngine(settings, encoder, load_vocabulary(VOCABULARY))
    with TestClient(create_app(settings, engine)) as test_client:
        yield test_client


def _matched_seeds(client: TestClient, world: World, need_id: str) -> list[str]:
    response = client.get(f"/v1/needs/{need_id}/matches", headers=world.headers("secretariat"))
    assert response.status_code == 200, response.text
    return [m["seed"] for m in response.json()["matches"]]


def test_seed_posted_changed_and_removed_through_the_api_is_seen_by_the_next_match(
        client: TestClient, world: World) -> None:
    before = _matched_seeds(client, world, "N-C1")
    assert "S-B9" not in before
    member_b = world.headers("other_member")

    assert client.post("/v1/seeds", json=GREENHOUSE_SEED, headers=member_b).status_code == 201
    assert _matched_seeds(client, world, "N-C1")[0] == "S-B9"

    changed = {"title": "営業日報アプリの開発", "description": "紙の日報をタブレット入力に置き換えるアプリを作ります。",
               "industries_served": ["I"]}
    assert client.patch("/v1/seeds/S-B9", json=changed, headers=member_b).status_code == 200
    after_edit = _matched_seeds(client, world, "N-C1")
    assert after_edit[0] != "S-B9"
    search = client.get("/v1/search", params={"q": "日報をタブレットで入力"}, headers=world.headers("secretariat"))
    assert search.json()["matches"][0]["seed"] == "S-B9"

    assert client.delete("/v1/seeds/S-B9", headers=member_b).status_code == 204
    assert "S-B9" not in _matched_seeds(client, world, "N-C1")
    assert client.get("/v1/seeds/S-B9/matches", headers=world.headers("secretariat")).status_code == 404


def _matches(client: TestClient, world: World, path: str, **params: str) -> list[dict[str, object]]:
    response = client.get(path, params=params, headers=world.headers("secretariat"))
    assert response.status_code == 200, response.text
    matches: list[dict[str, object]] = response.json()["matches"]
    return matches


def test_a_seed_offered_only_in_some_prefectures_is_not_matched_with_members_elsewhere(
        client: TestClient, world: World) -> None:
    member_b = world.headers("other_member")  # 佐賀県; the greenhouse need N-C1 is a 福岡県 member's
    limited = GREENHOUSE_SEED | {"service_area": ["佐賀県"]}
    created = client.post("/v1/seeds", json=limited, headers=member_b)
    assert created.status_code == 201, created.text
    assert created.json()["service_area"] == ["佐賀県"]
    assert "S-B9" not in [m["seed"] for m in _matches(client, world, "/v1/needs/N-C1/matches", limit="10")]
    # Nor does the seed list the 福岡県 need among the needs it can serve.
    assert "N-C1" not in [m["need"] for m in _matches(client, world, "/v1/seeds/S-B9/matches")]

    # Asked for 佐賀県's members, it is shown, and the reason says that the need's member is outside the area.
    shown = _matches(client, world, "/v1/needs/N-C1/matches", prefecture="佐賀県")
    match = next(m for m in shown if m["seed"] == "S-B9")
    area = next(r for r in match["reasons"] if r["type"] == "service_area")  # type: ignore[attr-defined]
    assert area == {"type": "service_area", "prefectures": ["佐賀県"], "stated": True, "need_prefecture": "福岡県",
                    "need_inside": False}
    assert "提供地域は佐賀県に限られ、福岡県は対象外です" in str(match["reason_text"])
    assert "offered only in Saga, not in Fukuoka" in str(match["reason_text_en"])

    widened = client.patch("/v1/seeds/S-B9", json={"service_area": ["福岡県", "佐賀県"]}, headers=member_b)
    assert widened.status_code == 200, widened.text
    top = _matches(client, world, "/v1/needs/N-C1/matches")[0]
    assert top["seed"] == "S-B9"
    assert "対象外" not in str(top["reason_text"])


def test_a_limit_written_in_the_seed_text_counts_like_a_stated_service_area(client: TestClient, world: World) -> None:
    description = "佐賀県内の農家を対象に、ハウス内の温度と湿度を無線センサーで測り、異常な高温や低温を知らせます。"
    text_limited = GREENHOUSE_SEED | {"description": description}
    assert client.post("/v1/seeds", json=text_limited, headers=world.headers("other_member")).status_code == 201
    assert "S-B9" not in [m["seed"] for m in _matches(client, world, "/v1/needs/N-C1/matches")]
    match = next(m for m in _matches(client, world, "/v1/needs/N-C1/matches", prefecture="佐賀県")
                 if m["seed"] == "S-B9")
    assert {"type": "service_area", "prefectures": ["佐賀県"], "stated": False, "need_prefecture": "福岡県",
            "need_inside": False} in match["reasons"]  # type: ignore[operator]


def test_an_unknown_prefecture_in_a_service_area_is_a_422(client: TestClient, world: World) -> None:
    response = client.post("/v1/seeds", json=GREENHOUSE_SEED | {"service_area": ["九州"]},
                           headers=world.headers("other_member"))
    assert response.status_code == 422
    assert "service_area" in response.text


@pytest.mark.parametrize("q", ["", " ", "　\t\n"])
def test_a_search_for_nothing_but_blanks_is_a_422_that_names_q(client: TestClient, world: World, q: str) -> None:
    response = client.get("/v1/search", params={"q": q}, headers=world.headers("member", **{"Accept-Language": "ja"}))
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert "q" in response.text


def _estimates(client: TestClient, world: World, need_id: str) -> dict[tuple[object, object], object]:
    return {(m["seed"], p["program_id"]): p["estimated_support_jpy"]
            for m in _matches(client, world, f"/v1/needs/{need_id}/matches")
            for p in m["programs"]}  # type: ignore[attr-defined]


def test_programs_for_a_pair_follow_an_edit_of_the_need_or_its_member_at_once(
        client: TestClient, world: World) -> None:
    before = _estimates(client, world, "N-A1")
    assert any(before.values()), before
    owner = world.headers("member")

    assert client.patch("/v1/needs/N-A1", json={"budget_jpy": 1_000_000}, headers=owner).status_code == 200
    cheaper = _estimates(client, world, "N-A1")
    assert cheaper.keys() == before.keys()
    assert all(cheaper[pair] is None or before[pair] is None or cheaper[pair] <= before[pair]  # type: ignore[operator]
               for pair in before)
    assert cheaper != before

    # A member that grows out of the SME definitions loses the programs for SMEs.
    response = client.patch("/v1/organizations/ORG-A", json={"capital_jpy": 50_000_000_000, "employees": 5000},
                            headers=world.headers("secretariat"))
    assert response.status_code == 200, response.text
    assert _estimates(client, world, "N-A1") != cheaper
