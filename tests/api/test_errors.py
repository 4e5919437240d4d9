"""One error shape (RFC 9457) for every failure, in English or Japanese, and never a 500 for bad input."""

import pytest
from fastapi.testclient import TestClient

from app.config import Settings
from app.main import create_app
from tests.api.conftest import World


def _problem(response: object, status: int) -> dict[str, object]:
    assert response.status_code == status, response.text  # type: ignore[attr-defined]
    assert response.headers["content-type"] == "application/problem+json"  # type: ignore[attr-defined]
    body: dict[str, object] = response.json()  # type: ignore[attr-defined]
    assert {"type", "title", "status", "detail"} <= body.keys()
    assert body["status"] == status
    return body


@pytest.mark.parametrize(("accept_language", "title", "phrase"), [
    ("en-US,en;q=0.9", "Not found", "No need with id 'N-404'"),
    ("ja,en;q=0.5", "見つかりません", "ID 'N-404' のニーズはありません"),
])
def test_unknown_ids_are_404_in_the_callers_language(client: TestClient, world: World, accept_language: str,
                                                     title: str, phrase: str) -> None:
    headers = world.headers("member", **{"Accept-Language": accept_language})
    body = _problem(client.get("/v1/needs/N-404", headers=headers), 404)
    assert body["title"] == title
    assert phrase in str(body["detail"])
    assert body["type"] == "/problems/not-found"
    lang = accept_language[:2]
    assert client.get("/v1/needs/N-404", headers=headers).headers["content-language"] == lang
    for path in ("/v1/organizations/ORG-404", "/v1/seeds/S-404", "/v1/labs/lab-404", "/v1/nothing-here"):
        _problem(client.get(path, headers=headers), 404)


def test_validation_errors_name_the_field(client: TestClient, world: World) -> None:
    ja = world.headers("secretariat", **{"Accept-Language": "ja"})
    body = _problem(client.get("/v1/needs", params={"limit": 0}, headers=ja), 422)
    assert body["field"] == "limit"
    assert "入力が正しくありません（limit）" in str(body["detail"])
    body = _problem(client.post("/v1/needs", json={"organization": "ORG-A", "title": "x"}, headers=ja), 422)
    assert body["field"] == "description"
    body = _problem(client.patch("/v1/organizations/ORG-A", json={"prefecture": "東京"}, headers=ja), 422)
    assert body["field"] == "prefecture"
    body = _problem(client.get("/v1/organizations", params={"prefecture": "Fukuoka"}, headers=ja), 422)
    assert body["field"] == "prefecture"
    assert "47都道府県" in str(body["detail"])
    body = _problem(client.post("/v1/needs", content=b"{not json", headers=ja | {"Content-Type": "application/json"}),
                    422)
    assert "JSON" in str(body["detail"])
    body = _problem(client.post("/v1/needs", json={"title": "t", "description": "d", "colour": "red"},
                                headers=world.headers("member")), 422)
    assert body["field"] == "colour"


def test_bad_input_never_causes_a_server_error(client: TestClient, world: World) -> None:
    headers = world.headers("secretariat")
    weird = ["%00", "N-1%00", "'; DROP TABLE needs; --", "\u202e", "a" * 5000, "%F0%9F%98%80", ".."]
    for value in weird:
        for path in (f"/v1/needs/{value}", f"/v1/organizations/{value}", f"/v1/labs/{value}"):
            assert client.get(path, headers=headers).status_code in (400, 404, 422)
        assert client.get("/v1/needs", params={"q": value[:200], "organization": value[:64]},
                          headers=headers).status_code in (200, 400, 422)
    assert client.post("/v1/needs", json={"organization": "ORG-A", "title": "a\x00b", "description": "d"},
                       headers=headers).status_code == 422
    assert client.post("/v1/needs", json=[1, 2], headers=headers).status_code == 422
    assert client.post("/v1/needs", json={"organization": "ORG-A", "title": "t", "description": "d",
                                          "budget_jpy": 10**30}, headers=headers).status_code == 422
    assert client.delete("/v1/keys/99999999999999999999", headers=headers).status_code == 422


def test_record_rules_name_the_field(client: TestClient, world: World) -> None:
    member = {"name": "秋田の会員", "member_type": "corporate", "roles": ["sier"], "prefecture": "秋田県",
              "industry": "K", "description": "説明", "support_type": "kosen"}
    body = _problem(client.post("/v1/organizations", json=member, headers=world.headers("secretariat")), 422)
    assert body["field"] == "support_type"
    assert "support" in str(body["detail"])


def test_duplicate_id_is_a_conflict(client: TestClient, world: World) -> None:
    body = _problem(client.post("/v1/needs", json={"id": "N-B1", "organization": "ORG-A", "title": "t",
                                                   "description": "d"}, headers=world.headers("member")), 409)
    assert body["field"] == "id"


def test_bodies_over_the_limit_get_413(api_settings: Settings, world: World) -> None:
    settings = api_settings.model_copy(update={"max_body_bytes": 1000})
    with TestClient(create_app(settings, load_matching=False)) as small:
        big = {"organization": "ORG-A", "title": "t", "description": "説明" * 1000}
        body = _problem(small.post("/v1/needs", json=big, headers=world.headers("member", **{"Accept-Language": "ja"})),
                        413)
        assert "1000 バイト" in str(body["detail"])

        def chunks():  # no Content-Length: counted as it streams
            yield b'{"organization": "ORG-A", "title": "t", "description": "'
            yield b"x" * 2000
            yield b'"}'

        streamed = small.post("/v1/needs", content=chunks(),
                              headers=world.headers("member", **{"Content-Type": "application/json"}))
        _problem(streamed, 413)


def test_missing_and_wrong_keys_are_401_with_how_to_send_one(client: TestClient) -> None:
    body = _problem(client.get("/v1/needs", headers={"Accept-Language": "ja"}), 401)
    assert "Authorization: Bearer" in str(body["detail"])
    assert body["title"] == "認証が必要です"
    body = _problem(client.get("/v1/needs", headers={"X-API-Key": "iotm_00000000_" + "x" * 40}), 401)
    assert "not valid" in str(body["detail"])


def test_matching_routes_answer_503_while_the_index_is_not_loaded(client: TestClient, world: World) -> None:
    _problem(client.get("/v1/needs/N-A1/matches", headers=world.headers("member")), 503)


def test_nul_characters_in_bodies_are_refused_not_crashed_on(client: TestClient, world: World) -> None:
    headers = world.headers("secretariat")
    bodies = [("/v1/feedback", {"need": "\x00", "seed": "S-B1", "status": "met"}),
              ("/v1/keys", {"role": "member", "organization": "ORG-\x00"}),
              ("/v1/needs", {"organization": "\x00", "title": "t", "description": "d"}),
              ("/v1/programs/suggestions", {"organization": "\x00", "partners": ["\x00"]})]
    for path, body in bodies:
        assert client.post(path, json=body, headers=headers).status_code == 422, path
