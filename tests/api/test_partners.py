"""A member's best partners: filters apply before the limit, and a member without postings has none."""

from fastapi.testclient import TestClient

from tests.api.conftest import World


def _partners(client: TestClient, world: World, role: str, org_id: str, **params: str) -> list[str]:
    response = client.get(f"/v1/organizations/{org_id}/partners", params=params, headers=world.headers(role))
    assert response.status_code == 200, response.text
    return [p["organization"]["id"] for p in response.json()["partners"]]


def test_industry_filter_applies_before_the_limit(matching_client: TestClient, world: World) -> None:
    everyone = _partners(matching_client, world, "secretariat", "ORG-A")
    assert set(everyone) == {"ORG-B", "ORG-C", "ORG-D"}
    for industry, members in (("G", {"ORG-B", "ORG-D"}), ("A", {"ORG-C"})):
        top = _partners(matching_client, world, "secretariat", "ORG-A", industry=industry, limit="1")
        assert len(top) == 1
        assert top[0] in members
        assert top[0] == next(m for m in everyone if m in members)  # the best of that industry


def test_a_lab_keys_focus_industries_apply_before_the_limit(matching_client: TestClient, world: World) -> None:
    in_focus = _partners(matching_client, world, "lab", "ORG-B")
    everyone = _partners(matching_client, world, "lab", "ORG-B", industry="all")
    assert len(in_focus) >= 2
    assert set(in_focus) < set(everyone)  # the lab's fields leave some members out
    assert everyone[:2] != in_focus[:2]  # so the best two in focus are not the best two overall
    assert _partners(matching_client, world, "lab", "ORG-B", limit="2") == in_focus[:2]


def test_a_member_without_needs_or_seeds_has_no_partners_yet(matching_client: TestClient, world: World) -> None:
    created = matching_client.post("/v1/organizations", headers=world.headers("secretariat"), json={
        "id": "ORG-NEW", "name": "新規会員株式会社", "member_type": "corporate", "roles": ["user"],
        "prefecture": "熊本県", "industry": "E", "description": "入会したばかりの会員です。"})
    assert created.status_code == 201, created.text
    assert _partners(matching_client, world, "secretariat", "ORG-NEW") == []
    missing = matching_client.get("/v1/organizations/ORG-NONE/partners", headers=world.headers("secretariat"))
    assert missing.status_code == 404
