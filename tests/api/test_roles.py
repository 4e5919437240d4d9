"""Who may do what: every endpoint against every role (the member key is ORG-A's, the other member's ORG-B's)."""

from dataclasses import dataclass, field
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.programs.schemas import EXAMPLE_PROGRAM
from tests.api.conftest import ROLES, World, rebuild_world

EVERYONE = {"secretariat": 200, "member": 200, "other_member": 200, "lab": 200}
NEED = {"title": "検査工程の自動化", "description": "目視検査を画像認識で自動化したい"}
SEED = {"title": "画像検査システム", "description": "カメラとAIで外観検査を自動化します"}
ORG = {"name": "新規会員株式会社", "member_type": "corporate", "roles": ["user"], "prefecture": "熊本県",
       "industry": "E", "description": "熊本の製造業です。"}


def only(**allowed: int) -> dict[str, int]:
    """The roles allowed with their status; every other key gets 403."""
    return {role: allowed.get(role, 403) for role in ("secretariat", "member", "other_member", "lab")}


@dataclass(frozen=True)
class Case:
    method: str
    path: str
    expected: dict[str, int]
    body: dict[str, Any] | None = None
    params: dict[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        return f"{self.method} {self.path}"


MATRIX_PREFIXES = tuple(f"/v1/{r}" for r in ("organizations", "needs", "seeds", "labs", "keys", "feedback",
                                              "programs", "search"))
OWNER_WRITE = only(secretariat=200, member=200)
CASES = [
    Case("GET", "/v1/organizations", EVERYONE),
    Case("GET", "/v1/organizations/ORG-A", EVERYONE),
    Case("POST", "/v1/organizations", only(secretariat=201), ORG),
    Case("PATCH", "/v1/organizations/ORG-A", OWNER_WRITE, {"city": "福岡市"}),
    Case("DELETE", "/v1/organizations/ORG-A", only(secretariat=204)),
    Case("GET", "/v1/needs", EVERYONE),
    Case("GET", "/v1/needs/N-A1", EVERYONE),
    Case("POST", "/v1/needs", only(secretariat=201, member=201), NEED | {"organization": "ORG-A"}),
    Case("PATCH", "/v1/needs/N-A1", OWNER_WRITE, {"budget_jpy": 3_000_000}),
    Case("DELETE", "/v1/needs/N-A1", only(secretariat=204, member=204)),
    Case("GET", "/v1/seeds", EVERYONE),
    Case("GET", "/v1/seeds/S-A1", EVERYONE),
    Case("POST", "/v1/seeds", only(secretariat=201, member=201), SEED | {"organization": "ORG-A"}),
    Case("PATCH", "/v1/seeds/S-A1", OWNER_WRITE, {"tags": ["精密加工"]}),
    Case("DELETE", "/v1/seeds/S-A1", only(secretariat=204, member=204)),
    Case("GET", "/v1/labs", EVERYONE),
    Case("GET", "/v1/labs/lab-fukuoka-pref", EVERYONE),
    Case("PATCH", "/v1/labs/lab-fukuoka-pref", only(secretariat=200), {"industries": ["E"]}),
    Case("GET", "/v1/keys", EVERYONE),
    Case("POST", "/v1/keys", only(secretariat=201), {"role": "member", "organization": "ORG-A"}),
    Case("DELETE", "/v1/keys/{member_key}", only(secretariat=204, member=204)),
    Case("POST", "/v1/feedback", only(secretariat=201, member=201), {"need": "N-A1", "seed": "S-C1",
                                                                     "status": "interested"}),
    Case("GET", "/v1/feedback", only(secretariat=200, member=200, other_member=200)),
    Case("GET", "/v1/feedback/summary", only(secretariat=200)),
    Case("GET", "/v1/programs", EVERYONE),
    Case("GET", "/v1/programs/monozukuri-general", EVERYONE),
    Case("GET", "/v1/programs/monozukuri-general/history", EVERYONE),
    Case("POST", "/v1/programs/suggestions", EVERYONE, {"organization": "ORG-A", "need": "N-A1"}),
    Case("POST", "/v1/programs", only(secretariat=201), EXAMPLE_PROGRAM),
    Case("PUT", "/v1/programs/monozukuri-general", only(secretariat=200),
         EXAMPLE_PROGRAM | {"id": "monozukuri-general"}),
    Case("DELETE", "/v1/programs/monozukuri-general", only(secretariat=200)),
]
MATCH_CASES = [
    Case("GET", "/v1/needs/N-A1/matches", EVERYONE),
    Case("GET", "/v1/seeds/S-B1/matches", EVERYONE),
    Case("GET", "/v1/organizations/ORG-A/partners", EVERYONE),
    Case("GET", "/v1/search", EVERYONE, params={"q": "稼働監視"}),
]


def call(client: TestClient, world: World, case: Case, role: str) -> Any:
    path = case.path.format(member_key=world.key_ids["member"])
    return client.request(case.method, path, json=case.body, params=case.params, headers=world.headers(role))


def check(client: TestClient, world: World, case: Case, role: str) -> None:
    response = call(client, world, case, role)
    expected = 401 if role == "anonymous" else case.expected[role]
    assert response.status_code == expected, response.text
    if expected >= 400:
        problem = response.json()
        assert response.headers["content-type"] == "application/problem+json"
        assert problem["status"] == expected
        # The message says what the key is and what it may do, not just "no".
        own = {"member": "ORG-A", "other_member": "ORG-B"}.get(role, role)
        detail = problem["detail"]
        assert "key" in detail if expected == 401 else (role.removeprefix("other_") in detail or own in detail)


@pytest.mark.parametrize("case", CASES, ids=str)
def test_role_matrix(client: TestClient, world: World, session: Session, case: Case) -> None:
    """Refused roles first (they change nothing); after each allowed write the community is built anew."""
    for role in sorted(ROLES, key=lambda r: r != "anonymous" and case.expected[r] < 400):
        check(client, world, case, role)
        if case.method != "GET" and role != "anonymous" and case.expected[role] < 400:
            world = rebuild_world(session)


@pytest.mark.parametrize("case", MATCH_CASES, ids=str)
def test_match_endpoints_are_open_to_every_key_and_closed_without_one(matching_client: TestClient, world: World,
                                                                       case: Case) -> None:
    for role in ROLES:
        check(matching_client, world, case, role)


def test_every_route_is_in_the_matrix(client: TestClient) -> None:
    """A new endpoint of these resources fails this test until its role expectations are written down above."""
    covered = {(c.method, c.path.replace("{member_key}", "{key_id}")) for c in CASES + MATCH_CASES}
    templates = {"/v1/organizations/ORG-A": "/v1/organizations/{org_id}", "/v1/needs/N-A1": "/v1/needs/{need_id}",
                 "/v1/seeds/S-A1": "/v1/seeds/{seed_id}", "/v1/labs/lab-fukuoka-pref": "/v1/labs/{lab_id}",
                 "/v1/programs/monozukuri-general": "/v1/programs/{program_id}",
                 "/v1/programs/monozukuri-general/history": "/v1/programs/{program_id}/history",
                 "/v1/needs/N-A1/matches": "/v1/needs/{need_id}/matches",
                 "/v1/seeds/S-B1/matches": "/v1/seeds/{seed_id}/matches",
                 "/v1/organizations/ORG-A/partners": "/v1/organizations/{org_id}/partners"}
    covered = {(method, templates.get(path, path)) for method, path in covered}
    paths = client.get("/openapi.json").json()["paths"]
    routes = {(method.upper(), path) for path, operations in paths.items() if path.startswith(MATRIX_PREFIXES)
              for method in operations}
    assert routes - covered == set()


def test_revoked_key_is_refused_with_a_clear_message(client: TestClient, world: World) -> None:
    revoked = client.delete(f"/v1/keys/{world.key_ids['lab']}", headers=world.headers("secretariat"))
    assert revoked.status_code == 204
    response = client.get("/v1/needs", headers=world.headers("lab"))
    assert response.status_code == 401
    assert "revoked" in response.json()["detail"]
    assert response.headers["WWW-Authenticate"] == "Bearer"


def test_a_member_changes_only_its_own_organization(client: TestClient, world: World) -> None:
    foreign = client.patch("/v1/needs/N-B1", json={"budget_jpy": 1}, headers=world.headers("member"))
    assert foreign.status_code == 403
    assert "ORG-A" in foreign.json()["detail"]
    assert "N-B1" in foreign.json()["detail"]
    created = client.post("/v1/needs", json=NEED, headers=world.headers("member"))
    assert created.status_code == 201
    assert created.json()["organization"]["id"] == "ORG-A"
    assert client.post("/v1/needs", json=NEED | {"organization": "ORG-B"},
                       headers=world.headers("member")).status_code == 403


def test_keys_are_shown_once_and_listed_by_owner(client: TestClient, world: World) -> None:
    created = client.post("/v1/keys", json={"role": "lab", "lab": "lab-saga-pref", "name": "佐賀のサイト"},
                          headers=world.headers("secretariat"))
    assert created.status_code == 201
    token = created.json()["key"]
    assert token.startswith("iotm_")
    assert client.get("/v1/labs", headers={"X-API-Key": token}).status_code == 200
    listed = client.get("/v1/keys", headers=world.headers("member")).json()["items"]
    assert [k["organization"] for k in listed] == ["ORG-A"]
    assert all("key" not in k and "secret" not in str(k) for k in listed)
    mine = client.get("/v1/keys", headers={"X-API-Key": token}).json()["items"]
    assert {k["lab"] for k in mine} == {"lab-saga-pref"}
    assert mine[-1]["last_used_at"] is not None
    everyone = client.get("/v1/keys", headers=world.headers("secretariat")).json()["items"]
    assert len(everyone) == len(world.tokens) + 1


def test_key_scope_rules(client: TestClient, world: World) -> None:
    sec = world.headers("secretariat")
    assert client.post("/v1/keys", json={"role": "member"}, headers=sec).status_code == 422
    unknown = client.post("/v1/keys", json={"role": "member", "organization": "ORG-X"}, headers=sec)
    assert unknown.status_code == 404
    assert unknown.json()["field"] == "organization"
    assert client.post("/v1/keys", json={"role": "lab", "lab": "lab-nowhere"}, headers=sec).status_code == 404


def test_program_changes_are_recorded_with_the_secretariat_key(client: TestClient, world: World) -> None:
    retired = client.delete("/v1/programs/monozukuri-general", headers=world.headers("secretariat"))
    assert retired.status_code == 200
    history = client.get("/v1/programs/monozukuri-general/history", headers=world.headers("lab")).json()
    assert history["revisions"][-1]["changed_by"] == f"secretariat-key-{world.key_ids['secretariat']}"
