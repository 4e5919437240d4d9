"""Lab keys: read-only, their lab's region and focus industries by default, CORS for their own origins only."""

import json
from typing import cast

from fastapi import FastAPI
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from app.cli import cli
from tests.api.conftest import FUKUOKA_ORIGIN, SAGA_ORIGIN, World

runner = CliRunner()


def _ids(client: TestClient, world: World, path: str, key: str = "lab", **params: str) -> list[str]:
    response = client.get(path, params=params, headers=world.headers(key))
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()["items"]]


def test_lab_lists_default_to_its_prefecture_and_focus_industries(client: TestClient, world: World) -> None:
    # lab-fukuoka-pref: 福岡県, industries A, E, F, P. ORG-D (福岡, G) and ORG-B (佐賀) fall outside.
    assert _ids(client, world, "/v1/organizations") == ["ORG-A", "ORG-C"]
    assert _ids(client, world, "/v1/needs") == ["N-A1", "N-C1"]
    assert _ids(client, world, "/v1/seeds", industry="G") == ["S-D1"]
    assert _ids(client, world, "/v1/seeds", prefecture="佐賀県") == []
    assert _ids(client, world, "/v1/seeds", prefecture="佐賀県", industry="all") == ["S-B1"]
    assert _ids(client, world, "/v1/organizations", prefecture="all", industry="all") == ["ORG-A", "ORG-B", "ORG-C",
                                                                                       "ORG-D"]
    # lab-saga-pref: 佐賀県, industries E, I; ORG-B is in 佐賀県 but in G.
    assert _ids(client, world, "/v1/organizations", key="other_lab") == []
    assert _ids(client, world, "/v1/organizations", key="other_lab", industry="all") == ["ORG-B"]
    assert _ids(client, world, "/v1/organizations", key="member") == ["ORG-A", "ORG-B", "ORG-C", "ORG-D"]


def test_lab_matches_default_to_its_region_unless_asked(matching_client: TestClient, world: World) -> None:
    def seeds(**params: str) -> list[str]:
        response = matching_client.get("/v1/needs/N-A1/matches", params=params, headers=world.headers("lab"))
        return [m["seed"] for m in response.json()["matches"]]

    assert seeds() == ["S-C1"]
    assert seeds(prefecture="all", industry="all") == ["S-B1", "S-D1", "S-C1"]
    assert seeds(industry="all") == ["S-D1", "S-C1"]
    found = matching_client.get("/v1/search", params={"q": "工場の稼働監視"}, headers=world.headers("lab")).json()
    assert {m["organization"]["prefecture"] for m in found["matches"]} == {"福岡県"}


def test_lab_keys_are_read_only(client: TestClient, world: World) -> None:
    lab = world.headers("lab")
    refused = client.post("/v1/needs", json={"organization": "ORG-A", "title": "t", "description": "d"}, headers=lab)
    assert refused.status_code == 403
    assert "lab key may not POST /v1/needs" in refused.json()["detail"]
    assert client.delete(f"/v1/keys/{world.key_ids['lab']}", headers=lab).status_code == 403


def test_cors_headers_only_for_the_labs_own_origins(client: TestClient, world: World) -> None:
    def allow_origin(role: str, origin: str) -> str | None:
        response = client.get("/v1/needs", headers=world.headers(role, Origin=origin))
        assert "Origin" in response.headers["vary"]
        return response.headers.get("access-control-allow-origin")

    assert allow_origin("lab", FUKUOKA_ORIGIN) == FUKUOKA_ORIGIN
    assert allow_origin("lab", SAGA_ORIGIN) is None  # registered, but for another lab
    assert allow_origin("other_lab", SAGA_ORIGIN) == SAGA_ORIGIN
    assert allow_origin("lab", "https://evil.example.com") is None
    assert allow_origin("member", FUKUOKA_ORIGIN) is None  # member keys are not for other sites' browsers
    # A lab site can read why it was refused.
    assert allow_origin("anonymous", FUKUOKA_ORIGIN) == FUKUOKA_ORIGIN
    exposed = client.get("/v1/needs", headers=world.headers("lab", Origin=FUKUOKA_ORIGIN))
    assert "X-Request-ID" in exposed.headers["access-control-expose-headers"]


def test_cors_preflight(client: TestClient) -> None:
    preflight = {"Access-Control-Request-Method": "GET", "Access-Control-Request-Headers": "Authorization"}
    allowed = client.options("/v1/needs", headers=preflight | {"Origin": FUKUOKA_ORIGIN})
    assert allowed.status_code == 204
    assert allowed.headers["access-control-allow-origin"] == FUKUOKA_ORIGIN
    assert "Authorization" in allowed.headers["access-control-allow-headers"]
    refused = client.options("/v1/needs", headers=preflight | {"Origin": "https://evil.example.com"})
    assert refused.status_code == 403
    assert "access-control-allow-origin" not in refused.headers


def test_secretariat_registers_a_labs_origins(client: TestClient, world: World) -> None:
    new_origin = "https://labo.saga-pref.example.jp:8443"
    changed = client.patch("/v1/labs/lab-saga-pref", json={"allowed_origins": [new_origin], "industries": ["G"]},
                           headers=world.headers("secretariat"))
    assert changed.status_code == 200
    assert changed.json()["allowed_origins"] == [new_origin]
    response = client.get("/v1/organizations", headers=world.headers("other_lab", Origin=new_origin))
    assert response.headers["access-control-allow-origin"] == new_origin
    assert [o["id"] for o in response.json()["items"]] == ["ORG-B"]  # the new focus industry applies at once
    old = client.get("/v1/needs", headers=world.headers("other_lab", Origin=SAGA_ORIGIN))
    assert "access-control-allow-origin" not in old.headers
    bad = client.patch("/v1/labs/lab-saga-pref", json={"allowed_origins": ["https://x.example.jp/path"]},
                       headers=world.headers("secretariat"))
    assert bad.status_code == 422
    assert bad.json()["field"] == "allowed_origins.0"


def test_secretariat_allows_a_labs_origin_from_the_command_line(cli_env: dict[str, str], client: TestClient,
                                                                 world: World) -> None:
    site = "https://www.saga-iot.example.jp"
    preflight = {"Origin": site, "Access-Control-Request-Method": "GET"}
    allowed = runner.invoke(cli, ["labs", "allow-origin", "lab-saga-pref", site + "/"])
    assert allowed.exit_code == 0, allowed.output
    assert f"lab-saga-pref: {site} allowed" in allowed.output
    assert client.options("/v1/needs", headers=preflight).status_code == 204
    shown = runner.invoke(cli, ["labs", "show", "lab-saga-pref"])
    assert f"origins: {SAGA_ORIGIN}, " in shown.output
    assert shown.output.splitlines()[2].endswith(f", {site}")
    listed = json.loads(runner.invoke(cli, ["labs", "show", "--json"]).output)
    assert [lab["id"] for lab in listed] == ["lab-fukuoka-pref", "lab-saga-pref"]
    assert runner.invoke(cli, ["labs", "allow-origin", "lab-saga-pref", site]).output.startswith(
        f"lab-saga-pref: {site} was already allowed; nothing changed")

    removed = runner.invoke(cli, ["labs", "remove-origin", "lab-saga-pref", site])
    assert removed.exit_code == 0, removed.output
    cast(FastAPI, client.app).state.allowed_origins.invalidate()  # what the next refresh of a running server does
    assert client.options("/v1/needs", headers=preflight).status_code == 403

    bad = runner.invoke(cli, ["labs", "allow-origin", "lab-saga-pref", "https://www.saga-iot.example.jp/embed"])
    assert bad.exit_code == 1
    assert "is not a web origin: give scheme://host[:port]" in bad.output
    unknown = runner.invoke(cli, ["labs", "show", "lab-nowhere"])
    assert unknown.exit_code == 1
    assert "no lab 'lab-nowhere'; `iotmatch labs show` lists them" in unknown.output
