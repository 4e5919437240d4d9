"""Feedback on suggested pairs: what a member set aside is not suggested to it again; the secretariat sees totals."""

from typing import Any

from fastapi.testclient import TestClient

from tests.api.conftest import World


def _seeds(client: TestClient, world: World, role: str, **params: Any) -> list[str]:
    response = client.get("/v1/needs/N-A1/matches", params=params, headers=world.headers(role))
    assert response.status_code == 200, response.text
    return [m["seed"] for m in response.json()["matches"]]


def _feedback(client: TestClient, world: World, role: str, need: str, seed: str, status: str) -> dict[str, Any]:
    response = client.post("/v1/feedback", json={"need": need, "seed": seed, "status": status},
                           headers=world.headers(role))
    assert response.status_code == 201, response.text
    return response.json()


def test_not_relevant_and_met_pairs_are_not_suggested_again_unless_asked(matching_client: TestClient,
                                                                         world: World) -> None:
    assert _seeds(matching_client, world, "member") == ["S-B1", "S-D1", "S-C1"]
    _feedback(matching_client, world, "member", "N-A1", "S-B1", "not_relevant")
    _feedback(matching_client, world, "member", "N-A1", "S-C1", "met")
    _feedback(matching_client, world, "member", "N-A1", "S-D1", "interested")

    assert _seeds(matching_client, world, "member") == ["S-D1"]
    assert _seeds(matching_client, world, "member", include_seen="true") == ["S-B1", "S-D1", "S-C1"]
    # Only the member that said so: others still get the pair.
    assert _seeds(matching_client, world, "other_member") == ["S-B1", "S-D1", "S-C1"]
    assert _seeds(matching_client, world, "secretariat") == ["S-B1", "S-D1", "S-C1"]

    # The latest word counts: a pair taken up again comes back.
    _feedback(matching_client, world, "member", "N-A1", "S-B1", "interested")
    assert _seeds(matching_client, world, "member") == ["S-B1", "S-D1"]


def test_a_meeting_the_secretariat_recorded_is_not_suggested_to_the_pairs_members(matching_client: TestClient,
                                                                                  world: World) -> None:
    _feedback(matching_client, world, "secretariat", "N-A1", "S-C1", "met")  # e.g. from an event's outcomes
    assert _seeds(matching_client, world, "member") == ["S-B1", "S-D1"]
    assert _seeds(matching_client, world, "member", include_seen="true") == ["S-B1", "S-D1", "S-C1"]
    assert _seeds(matching_client, world, "other_member") == ["S-B1", "S-D1", "S-C1"]  # not one of the pair
    # The member's own later word wins over the secretariat's.
    _feedback(matching_client, world, "member", "N-A1", "S-C1", "interested")
    assert _seeds(matching_client, world, "member") == ["S-B1", "S-D1", "S-C1"]


def test_the_seen_pair_is_hidden_from_the_seed_side_and_from_partners(matching_client: TestClient,
                                                                      world: World) -> None:
    _feedback(matching_client, world, "other_member", "N-A1", "S-B1", "not_relevant")
    needs = matching_client.get("/v1/seeds/S-B1/matches", headers=world.headers("other_member")).json()
    assert "N-A1" not in [m["need"] for m in needs["matches"]]

    _feedback(matching_client, world, "member", "N-A1", "S-B1", "met")
    partners = matching_client.get("/v1/organizations/ORG-A/partners", headers=world.headers("member")).json()
    pairs = [(p["need"], p["seed"]) for partner in partners["partners"] for p in partner["pairs"]]
    assert ("N-A1", "S-B1") not in pairs
    assert pairs
    everything = matching_client.get("/v1/organizations/ORG-A/partners", params={"include_seen": "true"},
                                     headers=world.headers("member")).json()
    assert ("N-A1", "S-B1") in [(p["need"], p["seed"]) for partner in everything["partners"] for p in partner["pairs"]]


def test_secretariat_sees_counts_per_seed_and_need(client: TestClient, world: World) -> None:
    _feedback(client, world, "member", "N-A1", "S-B1", "interested")
    _feedback(client, world, "member", "N-A1", "S-B1", "contacted")  # replaces the member's earlier word
    _feedback(client, world, "other_member", "N-A1", "S-B1", "met")
    _feedback(client, world, "member", "N-A1", "S-C1", "not_relevant")
    secretariat = _feedback(client, world, "secretariat", "N-C1", "S-B1", "deal")
    assert secretariat["organization"] is None

    summary = client.get("/v1/feedback/summary", headers=world.headers("secretariat")).json()
    seeds = {s["id"]: s for s in summary["seeds"]}
    needs = {n["id"]: n for n in summary["needs"]}
    assert seeds["S-B1"] == {"id": "S-B1", "counts": {"contacted": 1, "met": 1, "deal": 1}, "total": 3}
    assert seeds["S-C1"]["counts"] == {"not_relevant": 1}
    assert needs["N-A1"] == {"id": "N-A1", "counts": {"contacted": 1, "met": 1, "not_relevant": 1}, "total": 3}
    assert [s["id"] for s in summary["seeds"]] == ["S-B1", "S-C1"]
    assert client.get("/v1/feedback/summary", headers=world.headers("member")).status_code == 403


def test_feedback_is_refused_for_pairs_that_are_not_the_members(client: TestClient, world: World) -> None:
    foreign = client.post("/v1/feedback", json={"need": "N-C1", "seed": "S-D1", "status": "met"},
                          headers=world.headers("member"))
    assert foreign.status_code == 403
    same = client.post("/v1/feedback", json={"need": "N-A1", "seed": "S-A1", "status": "met"},
                       headers=world.headers("member"))
    assert same.status_code == 422
    assert same.json()["field"] == "seed"
    unknown = client.post("/v1/feedback", json={"need": "N-A1", "seed": "S-ZZ", "status": "met"},
                          headers=world.headers("member"))
    assert unknown.status_code == 404
    bad = client.post("/v1/feedback", json={"need": "N-A1", "seed": "S-B1", "status": "great"},
                      headers=world.headers("member"))
    assert bad.status_code == 422
    assert bad.json()["field"] == "status"


def test_members_read_back_their_own_feedback_only(client: TestClient, world: World) -> None:
    _feedback(client, world, "member", "N-A1", "S-B1", "interested")
    _feedback(client, world, "member", "N-A1", "S-B1", "contacted")
    _feedback(client, world, "other_member", "N-A1", "S-B1", "interested")  # ORG-B's own seed

    mine = client.get("/v1/feedback", headers=world.headers("member")).json()
    assert mine["total"] == 2
    assert [(f["status"], f["organization"]) for f in mine["items"]] == [("contacted", "ORG-A"),
                                                                         ("interested", "ORG-A")]
    theirs = client.get("/v1/feedback", headers=world.headers("other_member")).json()
    assert [f["organization"] for f in theirs["items"]] == ["ORG-B"]
    everything = client.get("/v1/feedback", params={"seed": "S-B1", "limit": 2}, headers=world.headers("secretariat"))
    assert everything.json()["total"] == 3
    assert len(everything.json()["items"]) == 2
    other_need = client.get("/v1/feedback", params={"need": "N-C1"}, headers=world.headers("secretariat"))
    assert other_need.json()["total"] == 0
    assert client.get("/v1/feedback", headers=world.headers("lab")).status_code == 403
