"""The catalog in the database (seeding, revisions, retiring, YAML round trip) and programs for matched pairs."""

import copy
import time
from datetime import date, timedelta
from typing import Any

import pytest
import yaml
from sqlalchemy import select, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from app.db import make_session_factory, session_scope, utcnow
from app.errors import Conflict, InvalidInput, NotFound
from app.programs import service
from app.programs.catalog import Program, load_catalog
from app.roster.exchange import import_roster
from app.roster.models import Need
from tests.programs.members import MAN, OKU, ROSTER, by_program

SUMMER_2018 = date(2018, 7, 1)


@pytest.fixture
def db_session(session: Session) -> Session:
    """A session on the roster of the worked cases."""
    import_roster(session, ROSTER)
    session.flush()
    return session


def document(db_session: Session, program_id: str) -> dict[str, Any]:
    return dict(service.get_program(db_session=db_session, program_id=program_id).document)


def test_empty_catalog_is_seeded_once_from_the_shipped_yaml(db_session: Session) -> None:
    assert service.ensure_catalog(db_session=db_session) == 26
    assert service.ensure_catalog(db_session=db_session) == 0

    shipped = load_catalog()
    assert [p.id for p in service.current_catalog(db_session=db_session)] == sorted(p.id for p in shipped)
    history = service.program_history(db_session=db_session, program_id="bridging-rd")
    assert [(r.revision, r.action, r.changed_by) for r in history] == [(1, "create", "seed")]
    assert service.latest_revisions(db_session=db_session) == {p.id: 1 for p in shipped}


def test_catalog_is_cached_until_it_changes(db_session: Session) -> None:
    first = service.current_catalog(db_session=db_session)
    assert service.current_catalog(db_session=db_session) is first

    changed = document(db_session, "it-introduction") | {"summary_ja": "ITツールの導入費用の半分を補助します。"}
    service.update_program(db_session=db_session, program_id="it-introduction", program_in=changed, changed_by="t")
    second = service.current_catalog(db_session=db_session)
    assert second is not first
    assert next(p for p in second if p.id == "it-introduction").summary_ja == changed["summary_ja"]


def test_a_committed_catalog_change_is_seen_at_once_and_one_made_elsewhere_soon(
        engine: Engine, session: Session) -> None:
    factory = make_session_factory(engine)

    def summary(program_id: str) -> str | None:
        with session_scope(factory) as reader:
            return next(p for p in service.current_catalog(db_session=reader) if p.id == program_id).summary_ja

    shipped = summary("it-introduction")
    with session_scope(factory) as writer:
        changed = document(writer, "it-introduction") | {"summary_ja": "ITツールの導入費用を補助します。"}
        service.update_program(db_session=writer, program_id="it-introduction", program_in=changed, changed_by="t")
        # The writer sees its change before it commits; nobody else does.
        own = service.current_catalog(db_session=writer)
        assert next(p for p in own if p.id == "it-introduction").summary_ja == changed["summary_ja"]
        assert summary("it-introduction") == shipped
    assert summary("it-introduction") == "ITツールの導入費用を補助します。"

    # Another process retires a program (here: SQL text, which this process does not watch).
    with engine.begin() as conn:
        conn.execute(text("UPDATE programs SET retired_at = :now, updated_at = :now WHERE id = 'it-introduction'"),
                     {"now": utcnow() + timedelta(seconds=1)})
    deadline = time.monotonic() + 5
    while any(p.id == "it-introduction" for p in current(factory)):
        assert time.monotonic() < deadline, "a retirement made by another process was never seen"
        time.sleep(0.05)


def current(factory: sessionmaker[Session]) -> tuple[Program, ...]:
    with session_scope(factory) as reader:
        return service.current_catalog(db_session=reader)


def test_update_keeps_a_revision_and_retire_hides_the_program(db_session: Session) -> None:
    original = document(db_session, "monozukuri-small")
    changed = original | {"subsidy": original["subsidy"] | {"cap_jpy": 100 * MAN}}

    service.update_program(db_session=db_session, program_id="monozukuri-small", program_in=changed,
                           changed_by="secretariat")
    service.update_program(db_session=db_session, program_id="monozukuri-small", program_in=changed,
                           changed_by="secretariat")  # the same document again: no revision
    farm = by_program(service.suggest(db_session=db_session, org_id="ORG-FARM", need_id="N-FARM", as_of=SUMMER_2018))
    assert farm["monozukuri-small"]["estimated_support_jpy"] == 100 * MAN

    service.retire_program(db_session=db_session, program_id="monozukuri-small", changed_by="secretariat")
    service.retire_program(db_session=db_session, program_id="monozukuri-small", changed_by="secretariat")
    farm = by_program(service.suggest(db_session=db_session, org_id="ORG-FARM", need_id="N-FARM", as_of=SUMMER_2018))
    assert "monozukuri-small" not in farm
    assert "monozukuri-small" not in [r.id for r in service.list_programs(db_session=db_session)]
    assert "monozukuri-small" in [r.id for r in service.list_programs(db_session=db_session, include_retired=True)]

    history = service.program_history(db_session=db_session, program_id="monozukuri-small")
    assert [(r.revision, r.action) for r in history] == [(1, "create"), (2, "update"), (3, "retire")]
    assert history[0].document == original
    assert history[1].document["subsidy"]["cap_jpy"] == 100 * MAN
    with pytest.raises(Conflict, match="retired"):
        service.update_program(db_session=db_session, program_id="monozukuri-small", program_in=original,
                               changed_by="secretariat")


def test_invalid_documents_raise_invalid_input_listing_every_problem(db_session: Session) -> None:
    bad = document(db_session, "bridging-rd") | {"purposes": [], "window": {"start": "2019-01-01", "end": "2018-01-01"}}

    with pytest.raises(InvalidInput) as caught:
        service.update_program(db_session=db_session, program_id="bridging-rd", program_in=bad, changed_by="t")
    assert "program 'bridging-rd' has 2 problem(s)" in caught.value.message
    assert "purposes: List should have at least 1 item" in caught.value.message
    assert "start 2019-01-01 is after end 2018-01-01" in caught.value.message
    with pytest.raises(InvalidInput, match="must be an object"):
        service.create_program(db_session=db_session, program_in=["not", "a", "program"], changed_by="t")
    with pytest.raises(NotFound):
        service.retire_program(db_session=db_session, program_id="no-such-program", changed_by="t")
    assert service.latest_revision(db_session=db_session, program_id="bridging-rd") == 1


def test_yaml_export_imports_back_unchanged_and_changes_become_revisions(db_session: Session) -> None:
    exported = service.export_catalog_yaml(db_session=db_session)
    report = service.import_catalog_yaml(db_session=db_session, yaml_text=exported, changed_by="cli")
    assert len(report["unchanged"]) == 26
    assert not report["created"]
    assert not report["updated"]

    data = yaml.safe_load(exported)
    data["programs"] = [p for p in data["programs"] if p["id"] != "security-camp"]
    next(p for p in data["programs"] if p["id"] == "bridging-rd")["subsidy"]["cap_jpy"] = 5_000 * MAN
    report = service.import_catalog(db_session=db_session, catalog_in=data, changed_by="cli", retire_missing=True)
    assert report["updated"] == ["bridging-rd"]
    assert report["retired"] == ["security-camp"]
    assert len(report["unchanged"]) == 24
    assert yaml.safe_load(service.export_catalog_yaml(db_session=db_session)) == data

    history = service.program_history(db_session=db_session, program_id="bridging-rd")
    assert [(r.action, r.changed_by) for r in history] == [("create", "seed"), ("update", "cli")]


def test_an_invalid_import_changes_nothing(db_session: Session) -> None:
    data = service.export_catalog(db_session=db_session)
    next(p for p in data["programs"] if p["id"] == "bridging-rd")["subsidy"]["cap_jpy"] = -1
    data["programs"].append(copy.deepcopy(data["programs"][0]))

    with pytest.raises(InvalidInput) as caught:
        service.import_catalog(db_session=db_session, catalog_in=data, changed_by="cli", origin="bad.yaml")
    assert "bad.yaml: 2 problem(s)" in caught.value.message
    assert "duplicate program id" in caught.value.message
    with pytest.raises(InvalidInput, match="invalid YAML"):
        service.import_catalog_yaml(db_session=db_session, yaml_text="programs: [", changed_by="cli")
    assert set(service.latest_revisions(db_session=db_session).values()) == {1}


def test_top_programs_for_a_matched_pair(db_session: Session) -> None:
    top = service.top_for_pair(db_session=db_session, need_org="ORG-RD", seed_org="ORG-LAB",
                               need_text="公設試と共同研究して検査装置を実用化したい", investment_jpy=3_000 * MAN,
                               as_of=SUMMER_2018)

    assert len(top) == 3
    assert top[0]["program_id"] == "bridging-rd"
    assert top[0]["uses_partner"] is True
    assert top[0]["estimated_support_jpy"] == 2_000 * MAN
    assert all(p["status"] != "ineligible" and p["relevance"] > 0 for p in top)
    ranks = [{"eligible": 0, "needs_confirmation": 1}[p["status"]] for p in top]
    assert ranks == sorted(ranks)


def test_top_programs_for_a_pair_skip_what_the_need_member_cannot_use(db_session: Session) -> None:
    catalog = service.current_catalog(db_session=db_session)
    big = service.get_organization(db_session=db_session, org_id="ORG-BIG")
    lab = service.get_organization(db_session=db_session, org_id="ORG-LAB")

    top = service.top_for_pair(db_session=db_session, need_org=big, seed_org=lab, catalog=catalog, limit=10,
                               need_text="公設試と共同研究して検査装置を実用化したい", as_of=SUMMER_2018)
    ids = {p["program_id"] for p in top}
    sme_only = {p.id for p in catalog if {t.value for t in p.eligibility.applicant_types} <= {"sme", "small_business"}}
    assert ids
    assert not ids & sme_only
    assert "bridging-rd" in ids  # 資本金10億円は中堅企業（1～10億円）として対象
    assert service.top_for_pair(db_session=db_session, need_org=big, seed_org=lab, need_text="xyzzy",
                                catalog=catalog, as_of=SUMMER_2018) == []
    with pytest.raises(NotFound):
        service.top_for_pair(db_session=db_session, need_org="ORG-NONE", seed_org=lab, need_text=None)


def test_three_smes_as_a_pair_and_a_third(db_session: Session) -> None:
    top = service.top_for_pair(db_session=db_session, need_org="ORG-A", seed_org="ORG-B", limit=5,
                               need_text="3社で生産データを共有し、受発注と生産管理を一体で行いたい",
                               investment_jpy=3_000 * MAN, as_of=SUMMER_2018)
    linkage = next(p for p in top if p["program_id"] == "monozukuri-data-linkage")
    assert linkage["uses_partner"] is True
    assert linkage["cap_jpy"] == 2 * 1_000 * MAN + 2 * 200 * MAN  # two members in the pair
    assert top[0] == linkage


def test_suggest_takes_flags_and_refuses_unknown_ones(db_session: Session) -> None:
    result = service.suggest(db_session=db_session, org_id="ORG-CI", investment_jpy=1 * OKU, as_of=SUMMER_2018,
                             flags=["wage_increase"])
    assert by_program(result)["connected-industries-tax"]["estimated_support_jpy"] == 500 * MAN
    assert result["flags"] == ["wage_increase"]
    with pytest.raises(InvalidInput, match="flags are uses_expert"):
        service.suggest(db_session=db_session, org_id="ORG-CI", flags=["bribe"])


def test_pairs_get_the_suggestions_of_suggest_with_that_partner_in_the_same_order(db_session: Session) -> None:
    need = db_session.scalar(select(Need).where(Need.external_id == "N-A"))
    assert need is not None
    partners = ["ORG-B", "ORG-LAB", "ORG-BIG", "ORG-A"]  # the last is the need's own member: no partner

    tops = service.top_for_pairs(db_session=db_session, need_org="ORG-A", seed_orgs=partners, limit=26,
                                 need_text=service.need_text(need), as_of=SUMMER_2018)

    for partner, top in zip(partners, tops, strict=True):
        with_partner = [] if partner == "ORG-A" else [partner]
        result = service.suggest(db_session=db_session, org_id="ORG-A", need_id="N-A", partner_ids=with_partner,
                                 as_of=SUMMER_2018)
        assert [p["program_id"] for p in top] == [p["program_id"] for p in service.suggested_programs(result)]
        assert [p["status"] for p in top] == [p["status"] for p in service.suggested_programs(result)]
    by_partner = {partner: {p["program_id"]: p for p in top} for partner, top in zip(partners, tops, strict=True)}
    assert by_partner["ORG-B"]["monozukuri-data-linkage"]["uses_partner"] is True  # two SMEs: a consortium
    assert by_partner["ORG-A"]["monozukuri-data-linkage"]["uses_partner"] is False  # alone: partners still open
    assert "monozukuri-data-linkage" not in by_partner["ORG-LAB"]  # a 公設試 is no consortium member
