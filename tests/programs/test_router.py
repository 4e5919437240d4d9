"""The support-program endpoints over HTTP: the worked cases, catalog changes with history, errors."""

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import Depends, FastAPI, Request
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from app.config import Settings
from app.db import make_session_factory
from app.main import create_app
from app.programs.catalog import ApplicantType, load_catalog
from app.programs.router import admin_router, router
from app.roster.exchange import import_roster
from tests.programs.members import MAN, OKU, ROSTER, SME_REASON, SUMMER_2018, by_program, codes

SME_ONLY = {ApplicantType.SME, ApplicantType.SMALL_BUSINESS}


def _secretariat(request: Request) -> None:
    # Stands in for the lead's secretariat-key dependency, which names the key that made a change.
    request.state.actor = "secretariat-key"


@pytest.fixture
def client(session: Session, engine: Engine, database_url: str) -> Iterator[TestClient]:
    """The programs routers with the service's own error handlers, on the roster of the worked cases."""
    import_roster(session, ROSTER)
    session.commit()
    app = FastAPI()
    # The handlers create_app registers; building the app does not run its lifespan (no model is loaded).
    for error, handler in create_app(Settings(database_url=database_url)).exception_handlers.items():
        app.add_exception_handler(error, handler)
    app.state.session_factory = make_session_factory(engine)
    app.include_router(router)
    app.include_router(admin_router, dependencies=[Depends(_secretariat)])
    with TestClient(app) as test_client:
        yield test_client


def suggest(client: TestClient, **body: Any) -> dict[str, Any]:
    response = client.post("/v1/programs/suggestions", json={"as_of": SUMMER_2018} | body)
    assert response.status_code == 200, response.text
    return response.json()


# --- worked cases -----------------------------------------------------------------------------


def test_mid_sized_manufacturer_gets_half_of_its_planned_iot_equipment(client: TestClient) -> None:
    result = suggest(client, organization="ORG-MFG", need="N-MFG")

    assert result["investment_jpy"] == 800 * MAN
    assert result["investment_source"] == "need_budget"
    general = by_program(result)["monozukuri-general"]
    assert general["status"] == "eligible"
    assert general["status_ja"] == "対象になる見込み"
    assert general["rate"] == "1/2"
    assert general["cap_jpy"] == 1_000 * MAN
    assert general["estimated_support_jpy"] == 400 * MAN
    assert general["estimated_support_ja"] == "400万円"
    assert general["relevance"] > 0
    assert "中小企業に該当します" in general["met"][0]["reason_ja"]
    assert result["programs"][0]["status"] == "eligible"
    assert sum(result["counts"].values()) == len(result["programs"]) == 26


def test_large_manufacturer_is_refused_sme_only_programs_with_the_reason(client: TestClient) -> None:
    result = by_program(suggest(client, organization="ORG-BIG", investment_jpy=800 * MAN))
    sme_only = [p.id for p in load_catalog() if set(p.eligibility.applicant_types) <= SME_ONLY]
    assert len(sme_only) >= 8

    for program_id in sme_only:
        judged = result[program_id]
        assert judged["status"] == "ineligible", program_id
        assert judged["status_ja"] == "対象外"
        assert judged["estimated_support_jpy"] is None
        reason = next(c["reason_ja"] for c in judged["conflicting"] if c["code"] == "applicant_type")
        assert SME_REASON in reason or "従業員1,000人のため小規模事業者に該当しません" in reason, program_id
    assert SME_REASON in result["monozukuri-general"]["conflicting"][0]["reason_ja"]


def test_four_person_farm_is_a_small_business(client: TestClient) -> None:
    result = suggest(client, organization="ORG-FARM", need="N-FARM")

    kinds = {t["type"]: t for t in result["organization"]["applicant_types"]}
    assert kinds["small_business"]["value"] is True
    assert "従業員4人のため小規模事業者に該当します" in kinds["small_business"]["reason_ja"]
    assert (result["organization"]["size"], result["organization"]["size_ja"]) == ("small_business", "小規模事業者")
    assert "従業員4人のため小規模事業者に該当します" in result["organization"]["size_reason_ja"]
    small = by_program(result)["monozukuri-small"]
    assert small["status"] == "eligible"
    assert small["rate"] == "2/3"
    assert small["estimated_support_jpy"] == 200 * MAN  # 2/3 of the need's 300万円 budget


def test_three_smes_sharing_data_get_the_per_member_addition(client: TestClient) -> None:
    body = {"organization": "ORG-A", "need": "N-A", "partners": ["ORG-B", "ORG-C"]}
    linkage = by_program(suggest(client, **body, investment_jpy=3_000 * MAN))["monozukuri-data-linkage"]
    larger = by_program(suggest(client, **body, investment_jpy=6_000 * MAN))["monozukuri-data-linkage"]

    assert linkage["status"] == "eligible"
    assert linkage["rate"] == "2/3"
    assert linkage["cap_jpy"] == 3 * 1_000 * MAN + 3 * 200 * MAN  # 1,000万円/者 + 200万円×参加数
    assert linkage["cap_ja"] == "3,600万円"
    assert linkage["estimated_support_jpy"] == 2_000 * MAN
    assert {"consortium_size", "activity"} <= codes(linkage["met"])
    assert larger["estimated_support_jpy"] == 3_600 * MAN


def test_connected_industries_tax_minimum_investment_and_deadline(client: TestClient) -> None:
    too_small = by_program(suggest(client, organization="ORG-CI", need="N-CI", investment_jpy=3_000 * MAN))
    too_late = by_program(suggest(client, organization="ORG-CI", need="N-CI", investment_jpy=6_000 * MAN,
                                  as_of="2026-01-01"))
    in_time = by_program(suggest(client, organization="ORG-CI", need="N-CI", investment_jpy=6_000 * MAN))

    small = too_small["connected-industries-tax"]
    assert small["status"] == "ineligible"
    assert codes(small["conflicting"]) == {"min_investment"}
    assert "最低投資額5,000万円に届きません" in small["conflicting"][0]["reason_ja"]
    late = too_late["connected-industries-tax"]
    assert late["status"] == "ineligible"
    assert codes(late["conflicting"]) == {"window"}
    assert "期限（2021年3月31日）を過ぎています" in late["conflicting"][0]["reason_ja"]
    assert in_time["connected-industries-tax"]["status"] == "eligible"
    assert in_time["connected-industries-tax"]["estimated_support_jpy"] == 180 * MAN  # 税額控除3%


def test_joint_rd_with_a_public_research_institute_is_bridging_rd(client: TestClient) -> None:
    result = suggest(client, organization="ORG-RD", need="N-RD", partners=["ORG-LAB"], investment_jpy=3_000 * MAN)
    capped = by_program(suggest(client, organization="ORG-RD", partners=["ORG-LAB"], investment_jpy=3 * OKU))

    bridging = by_program(result)["bridging-rd"]
    assert bridging["status"] == "eligible"
    assert bridging["rate"] == "2/3"
    assert bridging["cap_jpy"] == 1 * OKU
    assert bridging["estimated_support_jpy"] == 2_000 * MAN
    assert "partner" in codes(bridging["met"])
    assert result["partners"][0]["applicant_types"][0]["type"] == "public_research"
    assert result["partners"][0]["size"] is None  # a 公設試 has no company size
    assert capped["bridging-rd"]["estimated_support_jpy"] == 1 * OKU


def test_request_may_use_the_cli_option_names(client: TestClient) -> None:
    result = suggest(client, org="ORG-MFG", investment=800 * MAN)

    assert result["organization"]["id"] == "ORG-MFG"
    assert by_program(result)["monozukuri-general"]["estimated_support_jpy"] == 400 * MAN
    unknown_key = client.post("/v1/programs/suggestions", json={"org": "ORG-MFG", "budget": 1})
    assert unknown_key.status_code == 422


# --- catalog changes and history --------------------------------------------------------------


def test_update_retire_and_history(client: TestClient) -> None:
    document = client.get("/v1/programs/monozukuri-general").json()["document"]
    changed = document | {"subsidy": document["subsidy"] | {"cap_jpy": 300 * MAN}}

    updated = client.put("/v1/programs/monozukuri-general", json=changed)
    assert updated.status_code == 200, updated.text
    assert updated.json()["revision"] == 2
    assert client.put("/v1/programs/monozukuri-general", json=changed).json()["revision"] == 2  # no change
    general = by_program(suggest(client, organization="ORG-MFG", need="N-MFG"))["monozukuri-general"]
    assert general["cap_jpy"] == 300 * MAN
    assert general["estimated_support_jpy"] == 300 * MAN

    retired = client.delete("/v1/programs/monozukuri-general")
    assert retired.status_code == 200
    assert retired.json()["retired_at"] is not None
    assert "monozukuri-general" not in by_program(suggest(client, organization="ORG-MFG", need="N-MFG"))
    listed = {p["id"] for p in client.get("/v1/programs").json()["programs"]}
    assert len(listed) == 25
    assert "monozukuri-general" not in listed
    everything = client.get("/v1/programs", params={"include_retired": True}).json()["programs"]
    assert len(everything) == 26
    assert client.get("/v1/programs/monozukuri-general").json()["retired_at"] is not None

    history = client.get("/v1/programs/monozukuri-general/history").json()
    assert [(r["revision"], r["action"], r["changed_by"]) for r in history["revisions"]] == [
        (1, "create", "seed"), (2, "update", "secretariat-key"), (3, "retire", "secretariat-key")]
    assert history["revisions"][0]["document"]["subsidy"]["cap_jpy"] == 1_000 * MAN
    assert history["revisions"][1]["document"]["subsidy"]["cap_jpy"] == 300 * MAN


def test_create_a_program_and_restore_a_retired_one(client: TestClient) -> None:
    new = {
        "id": "kyushu-demo-grant", "name": "九州IoT実証補助金", "name_en": "Kyushu IoT demonstration grant",
        "ministry": "九州経済産業局", "fiscal_year": "FY2018", "kind": "subsidy", "purposes": ["demonstration"],
        "keywords": ["実証", "センサー"], "eligibility": {"applicant_types": ["sme", "small_business"]},
        "subsidy": {"rates": [{"rate": "1/2", "label_ja": "補助率1/2"}], "cap_jpy": 500 * MAN},
        "source": {"file": "kyushu-2018.pdf", "section": "IoT実証"},
        "summary_ja": "中小企業のIoT実証を補助します。",
    }
    created = client.post("/v1/programs", json=new)
    assert created.status_code == 201, created.text
    assert created.json()["revision"] == 1
    assert client.post("/v1/programs", json=new).status_code == 409
    grant = by_program(suggest(client, organization="ORG-MFG", investment_jpy=800 * MAN))["kyushu-demo-grant"]
    assert grant["status"] == "eligible"
    assert grant["estimated_support_jpy"] == 400 * MAN

    client.delete("/v1/programs/kyushu-demo-grant")
    assert client.put("/v1/programs/kyushu-demo-grant", json=new).status_code == 409
    restored = client.post("/v1/programs", json=new)
    assert restored.status_code == 201
    assert restored.json()["retired_at"] is None
    actions = [r["action"] for r in client.get("/v1/programs/kyushu-demo-grant/history").json()["revisions"]]
    assert actions == ["create", "retire", "create"]


def test_invalid_program_is_refused_with_every_problem(client: TestClient) -> None:
    document = client.get("/v1/programs/bridging-rd").json()["document"]
    bad = document | {"kind": "grant", "subsidy": {"rates": [{"rate": "3/2", "label_ja": "x"}]}}
    del bad["summary_ja"]

    response = client.put("/v1/programs/bridging-rd", json=bad)
    assert response.status_code == 422
    problem = response.json()
    assert problem["title"] == "Invalid input"
    assert "3 problem(s)" in problem["detail"]
    for where in ("kind", "subsidy.rates.0.rate", "summary_ja"):
        assert where in problem["detail"]
    renamed = client.put("/v1/programs/bridging-rd", json=document | {"id": "bridging-rd-2"})
    assert renamed.status_code == 422
    assert "cannot be renamed" in renamed.json()["detail"]
    assert client.get("/v1/programs/bridging-rd/history").json()["revisions"][-1]["revision"] == 1


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("post", "/v1/programs/suggestions", {"organization": "ORG-NONE"}),
        ("post", "/v1/programs/suggestions", {"organization": "ORG-MFG", "need": "N-NONE"}),
        ("post", "/v1/programs/suggestions", {"organization": "ORG-MFG", "partners": ["ORG-NONE"]}),
        ("get", "/v1/programs/no-such-program", None),
        ("get", "/v1/programs/no-such-program/history", None),
        ("put", "/v1/programs/no-such-program", {"id": "no-such-program"}),
        ("delete", "/v1/programs/no-such-program", None),
    ],
)
def test_unknown_ids_are_not_found(client: TestClient, method: str, path: str, body: Any) -> None:
    response = client.request(method.upper(), path, json=body)
    assert response.status_code == 404, response.text
    assert response.json()["title"] == "Not found"
    if body and "partners" in body:  # the problem names the field that holds the unknown id
        assert response.json()["field"] == "partners"


def test_bad_suggestion_requests(client: TestClient) -> None:
    other_members_need = client.post("/v1/programs/suggestions", json={"organization": "ORG-BIG", "need": "N-MFG"})
    assert other_members_need.status_code == 422
    assert "belongs to another member" in other_members_need.json()["detail"]
    itself = client.post("/v1/programs/suggestions", json={"organization": "ORG-A", "partners": ["ORG-A"]})
    assert itself.status_code == 422
    negative = client.post("/v1/programs/suggestions", json={"organization": "ORG-A", "investment_jpy": -1})
    assert negative.status_code == 422
    assert negative.json()["field"] == "investment_jpy"


def test_openapi_describes_the_endpoints_in_japanese(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    post = spec["paths"]["/v1/programs/suggestions"]["post"]
    assert "支援施策" in post["description"]
    assert {"/v1/programs", "/v1/programs/{program_id}", "/v1/programs/{program_id}/history"} <= set(spec["paths"])
    assert set(spec["paths"]["/v1/programs/{program_id}"]) == {"get", "put", "delete"}
