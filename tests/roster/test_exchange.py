"""Import and export of the exchange format through the service functions."""

import copy
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.roster.exchange import export_roster, import_roster
from app.roster.models import Need, Organization, Seed
from app.roster.spreadsheet import read_csv_folder, write_csv_folder
from app.roster.validation import RosterInvalid, validate_roster


def _minimal(org_id: str = "ORG-1") -> dict[str, Any]:
    return {
        "id": org_id, "name": "テスト精機", "member_type": "corporate", "roles": ["user"], "support_type": None,
        "prefecture": "福岡県", "industry": "E", "description": "プレス加工の会社です。",
        "needs": [{"id": f"N-{org_id}", "title": "故障を減らしたい", "description": "突発停止が多い。"}],
        "seeds": [],
    }


def test_dev_roster_round_trips_losslessly(session: Session, dev_roster: dict[str, Any]) -> None:
    import_roster(session, dev_roster)
    session.commit()
    assert export_roster(session) == dev_roster


def test_reimport_is_an_upsert_and_reports_missing_members(session: Session) -> None:
    roster = {"format": "kyushu-iot-community/v1", "organizations": [_minimal("ORG-1"), _minimal("ORG-2")]}
    import_roster(session, roster)
    changed: dict[str, Any] = copy.deepcopy(roster)
    changed["organizations"] = [changed["organizations"][0]]
    changed["organizations"][0]["name"] = "テスト精機 改"

    report = import_roster(session, changed)
    assert report.updated["organizations"] == 1
    assert report.missing["organizations"] == ["ORG-2"]
    assert session.scalar(select(func.count()).select_from(Organization)) == 2

    report = import_roster(session, changed, prune=True)
    assert report.removed["organizations"] == ["ORG-2"]
    assert session.scalar(select(func.count()).select_from(Organization)) == 1
    assert session.scalar(select(func.count()).select_from(Need)) == 1
    assert session.scalars(select(Organization.name)).one() == "テスト精機 改"


def test_optional_keys_and_explicit_nulls_survive(session: Session) -> None:
    org = _minimal()
    org["city"] = None
    org["contact"] = {"name": "山田", "email": "yamada@example.jp"}
    org["certifications"] = ["経営革新計画"]
    org["needs"][0]["budget_jpy"] = 5_000_000
    org["seeds"] = [{"id": "S-1", "title": "検査装置", "description": "画像で検査。", "industries_served": ["E"],
                     "x_custom": {"kept": True}}]
    roster = {"format": "kyushu-iot-community/v1", "organizations": [org]}
    import_roster(session, roster)
    assert export_roster(session) == roster


@pytest.mark.parametrize("prune", [False, True])
@pytest.mark.parametrize("new_owner_first", [False, True])
def test_seed_moves_to_its_new_owner(session: Session, prune: bool, new_owner_first: bool) -> None:
    a, b = _minimal("ORG-A"), _minimal("ORG-B")
    a["seeds"] = [{"id": "S-X", "title": "t", "description": "d"}]
    import_roster(session, {"format": "kyushu-iot-community/v1", "organizations": [a, b]})
    a["seeds"], b["seeds"] = [], [{"id": "S-X", "title": "t", "description": "d"}]
    orgs = [b, a] if new_owner_first else [a, b]

    report = import_roster(session, {"format": "kyushu-iot-community/v1", "organizations": orgs}, prune=prune)
    assert report.updated["seeds"] == 1
    assert report.missing["seeds"] == []
    assert report.created["seeds"] == 0
    seed = session.scalars(select(Seed)).one()
    assert seed.organization.external_id == "ORG-B"


def test_invalid_roster_lists_every_problem_and_changes_nothing(session: Session,
                                                               dev_roster: dict[str, Any]) -> None:
    import_roster(session, dev_roster)
    session.commit()
    bad = copy.deepcopy(dev_roster)
    orgs = bad["organizations"]
    orgs[0]["roles"] = [*orgs[0]["roles"], "robot_maker"]
    orgs[1]["prefecture"] = "九州県"
    with_seeds = [o for o in orgs if o["seeds"]]
    with_seeds[3]["seeds"][0]["id"] = with_seeds[1]["seeds"][0]["id"]
    orgs[2]["name"] = "changed but must not be saved"

    with pytest.raises(RosterInvalid) as caught:
        import_roster(session, bad)
    session.rollback()
    messages = [str(p) for p in caught.value.problems]
    assert len(messages) == 3, messages
    assert any("robot_maker" in m and orgs[0]["id"] in m for m in messages)
    assert any("九州県" in m and orgs[1]["id"] in m for m in messages)
    assert any("duplicate id" in m and with_seeds[3]["id"] in m for m in messages)
    assert export_roster(session) == dev_roster


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (lambda o: o.update(industry="Z"), "JSIC"),
        (lambda o: o.update(capital_jpy=-1), "non-negative"),
        (lambda o: o.update(contact={"email": "not-an-address"}), "e-mail"),
        (lambda o: o.update(roles=["support"]), "support_type"),
        (lambda o: o.update(member_type="company"), "member_type"),
        (lambda o: o["needs"][0].update(budget_jpy=0), "budget_jpy"),
        (lambda o: o.update(seeds=[{"id": "S-1", "title": "t", "description": "d", "industries_served": ["E", "9"]}]),
         "industries_served"),
        (lambda o: o.update(founded_year=87), "founded_year"),
        (lambda o: o.update(id="X" * 65), "longer than 64"),
        (lambda o: o.update(id="ＯＲＧ－１"), "full-width symbols"),
        (lambda o: o["needs"][0].update(id="N-1\n"), "may hold only letters"),
        (lambda o: o["needs"][0].update(id="N/1?"), "no spaces, '/', '?'"),
        (lambda o: o.update(seeds=[{"id": "-S1", "title": "t", "description": "d"}]), "starting with a letter"),
        (lambda o: o.update(contact={"name": "山" * 201}), "contact.name"),
        (lambda o: o.update(prefecture="Fukuoka"), "47 prefectures"),
        (lambda o: o.update(roles=["user", "robot_maker"]), "unknown role"),
    ],
)
def test_validation_names_the_field(mutate: Any, expected: str) -> None:
    org = _minimal()
    mutate(org)
    problems = validate_roster({"format": "kyushu-iot-community/v1", "organizations": [org]})
    assert problems, "expected a problem"
    assert any(expected in f"{p.field} {p.reason}" for p in problems), problems


def test_wrong_format_is_reported() -> None:
    problems = validate_roster({"format": "other/v9", "organizations": []})
    assert [p.field for p in problems] == ["format"]


def test_ids_in_any_script_import_and_export_unchanged(session: Session) -> None:
    roster = {"format": "kyushu-iot-community/v1", "organizations": [_minimal("Org.2"), _minimal("会員_01")]}
    import_roster(session, roster)
    assert export_roster(session) == roster


def test_service_area_round_trips_through_json_and_csv(session: Session, tmp_path: Path) -> None:
    org = _minimal()
    org["seeds"] = [{"id": "S-1", "title": "出張相談", "description": "専門家が伺います。",
                     "service_area": ["福岡県", "佐賀県"]},
                    {"id": "S-2", "title": "検査装置", "description": "画像で検査。"}]
    roster = {"format": "kyushu-iot-community/v1", "organizations": [org]}
    import_roster(session, roster)
    assert session.scalars(select(Seed.service_area).order_by(Seed.external_id)).all() == [["福岡県", "佐賀県"], None]
    assert export_roster(session) == roster  # absent stays absent: anywhere

    folder = tmp_path / "csv"
    write_csv_folder(roster, folder)
    assert "service_area" in (folder / "seeds.csv").read_text(encoding="utf-8").splitlines()[0]
    data, problems = read_csv_folder(folder)
    assert problems == []
    seeds = data["organizations"][0]["seeds"]
    assert [s.get("service_area") for s in seeds] == [["福岡県", "佐賀県"], None]


def test_a_service_area_names_prefectures() -> None:
    org = _minimal()
    org["seeds"] = [{"id": "S-1", "title": "t", "description": "d", "service_area": ["福岡県", "Kyushu"]}]
    problems = validate_roster({"format": "kyushu-iot-community/v1", "organizations": [org]})
    assert [(p.field, p.reason) for p in problems] == [
        ("service_area", "unknown prefecture 'Kyushu'; write one of the 47 prefectures in kanji, like 福岡県")]
