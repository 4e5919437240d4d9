"""Numbered ids: never handed out twice, not even after the record is deleted, and never in conflict under load."""

from concurrent.futures import ThreadPoolExecutor
from threading import Barrier

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.roster.exchange import import_roster
from app.roster.vocab import FORMAT
from tests.api.conftest import World

CONCURRENT = 20


def _need(client: TestClient, world: World, role: str = "member", **body: str) -> str:
    response = client.post("/v1/needs", json={"title": "設備の遠隔監視", "description": "工場の設備を遠隔で見守りたい",
                                              **body}, headers=world.headers(role))
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def _member(client: TestClient, world: World, name: str) -> str:
    response = client.post("/v1/organizations", headers=world.headers("secretariat"), json={
        "name": name, "member_type": "corporate", "roles": ["user"], "support_type": None, "prefecture": "福岡県",
        "industry": "E", "description": f"{name}は福岡の会員です。"})
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def test_a_deleted_records_id_is_never_handed_out_again(client: TestClient, world: World) -> None:
    first = _need(client, world)
    assert client.delete(f"/v1/needs/{first}", headers=world.headers("member")).status_code == 204
    second = _need(client, world, role="other_member")
    assert second != first

    seed = client.post("/v1/seeds", json={"title": "稼働監視", "description": "後付けセンサー"},
                       headers=world.headers("member")).json()["id"]
    assert client.delete(f"/v1/seeds/{seed}", headers=world.headers("member")).status_code == 204
    assert client.post("/v1/seeds", json={"title": "見える化", "description": "クラウドで見える化"},
                       headers=world.headers("member")).json()["id"] not in (seed, second)

    member = _member(client, world, "福岡テスト工業")
    assert client.delete(f"/v1/organizations/{member}", headers=world.headers("secretariat")).status_code == 204
    assert _member(client, world, "福岡テスト電機") != member


def test_ids_chosen_by_a_request_or_a_roster_are_never_handed_out_after_deletion(client: TestClient, world: World,
                                                                              session: Session) -> None:
    import_roster(session, {"format": FORMAT, "organizations": [{
        "id": "ORG-0082", "name": "鹿児島テスト", "member_type": "corporate", "roles": ["user"],
        "support_type": None, "prefecture": "鹿児島県", "industry": "A", "description": "鹿児島の会員です。",
        "needs": [{"id": "N-0071", "title": "鶏舎の温度", "description": "鶏舎の温度を見守りたい"}], "seeds": []}]})
    session.commit()
    assert client.delete("/v1/organizations/ORG-0082", headers=world.headers("secretariat")).status_code == 204
    assert _member(client, world, "次の会員") == "ORG-0083"
    assert _need(client, world) == "N-0072"

    assert _need(client, world, id="N-0500") == "N-0500"
    assert client.delete("/v1/needs/N-0500", headers=world.headers("member")).status_code == 204
    assert _need(client, world) == "N-0501"


def test_concurrent_creates_without_an_id_all_succeed_with_distinct_ids(client: TestClient, world: World) -> None:
    start = Barrier(CONCURRENT)

    def create(n: int) -> tuple[int, str]:
        start.wait()
        role = "member" if n % 2 else "other_member"
        response = client.post("/v1/needs", json={"title": f"課題 {n}", "description": f"同時に登録する課題 {n}"},
                               headers=world.headers(role))
        return response.status_code, response.json().get("id") or response.text

    with ThreadPoolExecutor(CONCURRENT) as pool:
        results = list(pool.map(create, range(CONCURRENT)))
    assert [status for status, _ in results] == [201] * CONCURRENT, results
    created = {need_id for _, need_id in results}
    assert len(created) == CONCURRENT
    listed = client.get("/v1/needs", params={"limit": 100}, headers=world.headers("secretariat")).json()
    assert created <= {item["id"] for item in listed["items"]}
