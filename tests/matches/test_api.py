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
