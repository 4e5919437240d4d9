"""Contact data (the contact person's name, e-mail, phone) reaches only the secretariat and the member itself.

The walk takes every GET operation from the OpenAPI document, so an endpoint added later is checked too.
"""

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import CONTACT_A, CONTACT_B, World

PATH_VALUES = {"org_id": "ORG-A", "need_id": "N-A1", "seed_id": "S-A1", "lab_id": "lab-fukuoka-pref",
               "program_id": "monozukuri-general", "event_code": "PRIVACY-1"}
EVENT = {"code": "PRIVACY-1", "name": "商談会", "date": "2026-12-10", "venue": "福岡", "tables": 2,
         "plan": {"start": "13:00", "count": 3}}
QUERIES: dict[str, dict[str, str]] = {"/v1/search": {"q": "稼働監視 センサー"}}
# Lists are asked for everything, so a lab key's default region does not hide ORG-A from the check.
EVERYTHING = {"prefecture": "all", "industry": "all", "limit": "100", "include_seen": "true"}


def _contact_keys(value: Any) -> list[Any]:
    """Every non-empty value under a 'contact' key, anywhere in the JSON."""
    found = []
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "contact" and item:
                found.append(item)
            found += _contact_keys(item)
    elif isinstance(value, list):
        for item in value:
            found += _contact_keys(item)
    return found


def _hold_event(client: TestClient, world: World) -> None:
    """An event with ORG-A and ORG-B scheduled, so the event pages have people on them."""
    secretariat = world.headers("secretariat")
    assert client.post("/v1/events", json=EVENT, headers=secretariat).status_code == 201
    for org in ("ORG-A", "ORG-B", "ORG-C"):
        added = client.post("/v1/events/PRIVACY-1/participants", json={"organization": org}, headers=secretariat)
        assert added.status_code == 201, added.text
    scheduled = client.post("/v1/events/PRIVACY-1/schedule", json={"rescore": True}, headers=secretariat)
    assert scheduled.status_code == 200, scheduled.text


def _get_paths(client: TestClient, world: World) -> list[tuple[str, dict[str, str]]]:
    values = PATH_VALUES | {"key_id": str(world.key_ids["member"])}
    paths = client.get("/openapi.json").json()["paths"]
    walked = []
    for path, operations in paths.items():
        if "get" not in operations:
            continue
        params = {p["name"] for p in operations["get"].get("parameters", []) if p["in"] == "query"}
        query = {k: v for k, v in EVERYTHING.items() if k in params} | QUERIES.get(path, {})
        walked.append((re.sub(r"\{(\w+)\}", lambda m: values.get(m.group(1), "1"), path), query))
    return walked


def _leaks(response_text: str, contacts: list[dict[str, str]]) -> list[str]:
    return [value for contact in contacts for value in contact.values() if value in response_text]


@pytest.mark.parametrize(("role", "hidden"), [("lab", [CONTACT_A, CONTACT_B]), ("other_lab", [CONTACT_A, CONTACT_B]),
                                              ("other_member", [CONTACT_A])])
def test_no_get_endpoint_shows_contact_data_to_labs_or_other_members(matching_client: TestClient, world: World,
                                                                     role: str, hidden: list[dict[str, str]]) -> None:
    _hold_event(matching_client, world)
    # An introduction ORG-A asked of ORG-B and ORG-B has not answered: ORG-B sees it, without ORG-A's contact.
    asked = matching_client.post("/v1/introductions", json={"need": "N-A1", "seed": "S-B1", "message": "ご相談です"},
                                 headers=world.headers("member"))
    assert asked.status_code == 201, asked.text
    walked = _get_paths(matching_client, world)
    assert len(walked) >= 15
    answered = 0
    for path, query in walked:
        response = matching_client.get(path, params=query, headers=world.headers(role))
        assert response.status_code < 500, (path, response.text)
        answered += response.status_code == 200
        assert _leaks(response.text, hidden) == [], path
        if path != "/openapi.json" and response.headers["content-type"].startswith("application/"):
            own = {CONTACT_B["email"]} if role == "other_member" else set()
            assert [c for c in _contact_keys(response.json()) if c.get("email") not in own] == [], path
    assert answered >= 18  # the walk saw real data, not only refusals


def test_writes_and_their_errors_show_no_contact_data_to_other_members(client: TestClient, world: World) -> None:
    foreign = world.headers("other_member")
    responses = [
        client.patch("/v1/organizations/ORG-A", json={"city": "x"}, headers=foreign),
        client.patch("/v1/organizations/ORG-A", json={"contact": {"email": "not-an-email"}}, headers=foreign),
        client.post("/v1/feedback", json={"need": "N-A1", "seed": "S-B1", "status": "interested"}, headers=foreign),
        client.post("/v1/programs/suggestions", json={"organization": "ORG-A", "partners": ["ORG-B"]},
                    headers=foreign),
        client.post("/v1/programs/suggestions", json={"organization": "ORG-A"}, headers=world.headers("lab")),
    ]
    assert [r.status_code for r in responses] == [403, 403, 201, 200, 200]
    for response in responses:
        assert _leaks(response.text, [CONTACT_A]) == []


def test_the_member_itself_and_the_secretariat_see_the_contact(client: TestClient, world: World) -> None:
    for role in ("member", "secretariat"):
        org = client.get("/v1/organizations/ORG-A", headers=world.headers(role)).json()
        assert org["contact"] == CONTACT_A
    listed = client.get("/v1/organizations", headers=world.headers("member")).json()["items"]
    assert {o["id"]: "contact" in o for o in listed} == {"ORG-A": True, "ORG-B": False, "ORG-C": False,
                                                         "ORG-D": False}
    changed = client.patch("/v1/organizations/ORG-A", json={"contact": {"phone": "092-999-0000"}},
                           headers=world.headers("member"))
    assert changed.json()["contact"]["phone"] == "092-999-0000"
    seen_by_lab = client.get("/v1/organizations/ORG-A", headers=world.headers("lab")).json()
    assert "contact" not in seen_by_lab
    assert "092-999-0000" not in str(seen_by_lab)
