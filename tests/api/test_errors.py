"""One error shape (RFC 9457) for every failure, in English or Japanese, and never a 500 for bad input."""

from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.config import Settings
from app.main import create_app
from app.messages import validation_reason
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


JA = {"Accept-Language": "ja"}
EN = {"Accept-Language": "en"}


@pytest.mark.parametrize(("path", "japanese", "english"), [
    ("/v1/programs/nope", "ID 'nope' の支援施策はありません。", "No support program with id 'nope'"),
    ("/v1/programs/nope/history", "ID 'nope' の支援施策はありません。", "No support program with id 'nope'"),
    ("/v1/needs/N-A1/matches", "マッチングの索引を読み込み中です", "The matching index is still loading"),
])
def test_service_errors_follow_the_language(client: TestClient, world: World, path: str, japanese: str,
                                            english: str) -> None:
    ja = client.get(path, headers=world.headers("secretariat", **JA))
    assert japanese in str(_problem(ja, ja.status_code)["detail"])
    assert ja.headers["content-language"] == "ja"
    en = client.get(path, headers=world.headers("secretariat", **EN))
    assert english in str(_problem(en, en.status_code)["detail"])


def test_suggestion_errors_follow_the_language(client: TestClient, world: World) -> None:
    body = {"organization": "ORG-A", "partners": ["ORG-A"]}
    ja = _problem(client.post("/v1/programs/suggestions", json=body, headers=world.headers("secretariat", **JA)), 422)
    assert ja["detail"] == "'ORG-A' は申請者です。partners には他の会員だけを挙げてください。"
    unknown = {"organization": "ORG-NONE"}
    ja = _problem(client.post("/v1/programs/suggestions", json=unknown, headers=world.headers("secretariat", **JA)),
                  404)
    assert ja["detail"] == "ID 'ORG-NONE' の会員はいません。GET /v1/organizations で一覧できます。"


@pytest.mark.parametrize(("method", "path", "request_args", "field", "japanese", "english"), [
    ("GET", "/v1/needs", {"params": {"limit": "many"}}, "limit", "整数にしてください",
     "Input should be a valid integer, unable to parse string as an integer"),
    ("GET", "/v1/needs", {"params": {"limit": 0}}, "limit", "1 以上にしてください",
     "Input should be greater than or equal to 1"),
    ("GET", "/v1/needs", {"params": {"limit": 101}}, "limit", "100 以下にしてください",
     "Input should be less than or equal to 100"),
    ("POST", "/v1/needs", {"json": {"organization": "ORG-A", "title": "t"}}, "description", "必須です",
     "Field required"),
    ("POST", "/v1/needs", {"json": {"organization": "ORG-A", "title": "t", "description": "d", "colour": "red"}},
     "colour", "この項目は使えません", "Extra inputs are not permitted"),
    ("POST", "/v1/needs", {"json": {"organization": "ORG-A", "title": "t", "description": "d", "budget_jpy": "x"}},
     "budget_jpy", "整数にしてください", "Input should be a valid integer"),
    ("POST", "/v1/needs", {"json": {"organization": "ORG-A", "title": "   ", "description": "d"}},
     "title", "空白だけにはできません", "must not be blank"),
    ("POST", "/v1/keys", {"json": {"role": "boss"}}, "role", "'secretariat'、'member'、'lab' のいずれかにしてください",
     "Input should be 'secretariat', 'member' or 'lab'"),
    ("PATCH", "/v1/organizations/ORG-A", {"json": {"prefecture": "東京"}}, "prefecture",
     "'東京' は47都道府県名（漢字、例: 福岡県）ではありません", "is not one of the 47 prefectures"),
    ("PATCH", "/v1/organizations/ORG-A", {"json": {"name": "x" * 201}}, "name",
     "200 文字以下にしてください（201 文字あります）", "should have at most 200"),
    ("GET", "/v1/needs", {"params": {"q": "x" * 201}}, "q", "200 文字以内にしてください",
     "String should have at most 200 characters"),
])
def test_validation_reasons_follow_the_language(client: TestClient, world: World, method: str, path: str,
                                                request_args: dict[str, Any], field: str, japanese: str,
                                                english: str) -> None:
    ja = _problem(client.request(method, path, headers=world.headers("secretariat", **JA), **request_args), 422)
    assert ja["field"] == field
    assert ja["detail"] == f"入力が正しくありません（{field}）: {japanese}"
    assert {"field": field, "message": japanese} in ja["errors"]  # type: ignore[operator]
    en = _problem(client.request(method, path, headers=world.headers("secretariat", **EN), **request_args), 422)
    assert english in str(en["detail"])
    assert any(english in e["message"] for e in en["errors"])  # type: ignore[attr-defined]


@pytest.mark.parametrize(("content", "japanese", "english"), [
    (b'{"organization": "ORG-A", "title": "\xff\xfe", "description": "d"}',
     "リクエスト本文がUTF-8ではありません。JSONはUTF-8で送ってください。", "not UTF-8"),
    (b'{"organization": "ORG-A", "title": "t", "description": "d", "budget_jpy": ' + b"9" * 5000 + b"}",
     "リクエスト本文をJSONとして読めませんでした（4300桁を超える数値など）。内容を確かめて送り直してください。",
     "could not be read as JSON"),
])
def test_unreadable_bodies_are_400_in_the_callers_language(client: TestClient, world: World, content: bytes,
                                                           japanese: str, english: str) -> None:
    json_type = {"Content-Type": "application/json"}
    ja = _problem(client.post("/v1/needs", content=content, headers=world.headers("member", **JA, **json_type)), 400)
    assert ja["detail"] == japanese
    assert ja["title"] == "不正なリクエスト"
    en = _problem(client.post("/v1/needs", content=content, headers=world.headers("member", **EN, **json_type)), 400)
    assert english in str(en["detail"])


def test_malformed_json_names_the_position_in_japanese(client: TestClient, world: World) -> None:
    headers = world.headers("member", **JA, **{"Content-Type": "application/json"})
    body = _problem(client.post("/v1/needs", content=b"{not json", headers=headers), 422)
    assert body["detail"] == "リクエスト本文が正しいJSONではありません（2 文字目付近）。"


def test_key_scope_and_taken_ids_are_wholly_japanese(client: TestClient, world: World) -> None:
    secretariat_ja = world.headers("secretariat", **JA)
    scope = _problem(client.post("/v1/keys", json={"role": "member"}, headers=secretariat_ja), 422)
    assert scope["detail"] == ("role が member のキーは1つの会員に属します。"
                               "organization（会員のID、例: ORG-0001）を指定し、lab は指定しないでください。")
    lab = _problem(client.post("/v1/keys", json={"role": "lab", "organization": "ORG-A"}, headers=secretariat_ja), 422)
    assert "1つのラボに属します" in str(lab["detail"])
    english = _problem(client.post("/v1/keys", json={"role": "member"}, headers=world.headers("secretariat", **EN)),
                       422)
    assert english["detail"] == "A member key belongs to an organization: give organization (an ORG id) and no lab."
    need = {"id": "N-B1", "organization": "ORG-A", "title": "t", "description": "d"}
    taken = _problem(client.post("/v1/needs", json=need, headers=world.headers("member", **JA)), 409)
    assert "ID 'N-B1' は別のニーズで使われています" in str(taken["detail"])
    assert "need" not in str(taken["detail"])


def test_refused_roles_are_joined_in_the_callers_language(client: TestClient, world: World) -> None:
    body = {"organization": "ORG-A", "title": "t", "description": "d"}
    ja = _problem(client.post("/v1/needs", json=body, headers=world.headers("lab", **JA)), 403)
    assert ja["detail"] == "lab のキーでは POST /v1/needs はできません（secretariat または member のキーが必要です）。"
    en = _problem(client.post("/v1/needs", json=body, headers=world.headers("lab", **EN)), 403)
    assert en["detail"] == "A lab key may not POST /v1/needs; that needs a secretariat or member key."


def test_unknown_validation_types_keep_the_english_reason() -> None:
    problem = {"type": "some_future_check", "msg": "Input should be shiny", "ctx": {"shine": 1}}
    assert validation_reason(problem, "ja") == "Input should be shiny"
    assert validation_reason({"type": "value_error", "msg": "Value error, odd", "ctx": {"error": ValueError("odd")}},
                             "ja") == "Value error, odd"
    too_long = {"type": "too_long", "msg": "List should have at most 2 items after validation, not 3",
                "input": [1, 2, 3], "ctx": {"field_type": "List", "max_length": 2, "actual_length": 3}}
    assert validation_reason(too_long, "ja") == "2 件以下にしてください（3 件あります）"
    assert validation_reason(too_long, "en") == too_long["msg"]


def test_a_key_sent_without_bearer_is_taken_and_other_schemes_say_how(client: TestClient, world: World) -> None:
    bare = client.get("/v1/labs", headers={"Authorization": world.tokens["lab"]})
    assert bare.status_code == 200, bare.text
    assert client.get("/v1/labs", headers={"Authorization": f"  {world.tokens['lab']} "}).status_code == 200
    body = _problem(client.get("/v1/labs", headers={"Authorization": "Basic dXNlcjpwYXNz"}), 401)
    assert str(body["detail"]).startswith("The Authorization header holds no API key. Send your key as "
                                          "`Authorization: Bearer <key>`")
    wrong = _problem(client.get("/v1/labs", headers={"Authorization": "iotm_00000000_" + "x" * 40}), 401)
    assert "not valid" in str(wrong["detail"])
