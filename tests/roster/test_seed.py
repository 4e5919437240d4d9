"""`iotmatch seed`: the shipped labs, demo members and programs, loaded into a new database once, however often
it runs; what changed since is never undone."""

import json
from collections import Counter
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from app.auth import service as auth_service
from app.cli import cli
from app.config import Settings
from app.labs.models import Lab
from app.labs.schemas import LabRead
from app.main import create_app
from app.programs.models import ProgramRecord
from app.roster.exchange import export_roster
from app.roster.models import Need, Organization, Seed
from app.roster.validation import validate_roster
from app.roster.vocab import FORMAT, KYUSHU, ROLES
from seed import DEMO_ROSTER, LABS

runner = CliRunner()


def _counts(engine: Engine) -> dict[str, int]:
    with Session(engine) as session:
        return {model.__tablename__: session.scalar(select(func.count()).select_from(model)) or 0
                for model in (Lab, Organization, Need, Seed, ProgramRecord)}


def test_seed_loads_the_community_once(cli_env: dict[str, str], engine: Engine) -> None:
    first = runner.invoke(cli, ["seed"])
    assert first.exit_code == 0, first.output
    counts = _counts(engine)
    assert counts["labs"] == 12
    assert counts["organizations"] >= 60
    assert counts["needs"] >= 60
    assert counts["seeds"] >= 60
    assert counts["programs"] >= 15
    assert f"members: loaded {counts['organizations']} members" in first.output

    again = runner.invoke(cli, ["seed"])
    assert again.exit_code == 0, again.output
    assert again.output == "seed data already loaded; nothing changed\n"
    assert _counts(engine) == counts


def _snapshot(engine: Engine) -> dict[str, Any]:
    """Everything the seed could touch: the roster as exported, the labs, the programs."""
    with Session(engine) as session:
        return {"roster": export_roster(session),
                "labs": {lab.id: LabRead.model_validate(lab).model_dump() for lab in session.scalars(select(Lab))},
                "programs": sorted(session.scalars(select(ProgramRecord.id)))}


def test_restarting_keeps_what_the_secretariat_and_members_changed(cli_env: dict[str, str], engine: Engine,
                                                                    tmp_path: Path) -> None:
    """`make run` upgrades and seeds on every start: a restart must leave the API's edits alone and say nothing."""
    for command in (["db", "upgrade"], ["seed"]):
        assert (result := runner.invoke(cli, command)).exit_code == 0, result.output
    roster = json.loads(DEMO_ROSTER.read_text(encoding="utf-8"))["organizations"]
    member = next(o for o in roster if o.get("employees"))
    with Session(engine) as session:
        secretariat = auth_service.create_key(db_session=session, role="secretariat")[1]
        own = auth_service.create_key(db_session=session, role="member", organization=member["id"])[1]
        session.commit()
    settings = Settings(database_url=cli_env["IOTMATCH_DATABASE_URL"], data_dir=tmp_path / "var",
                        rate_limit_per_minute=0)
    with TestClient(create_app(settings, load_matching=False)) as client:
        as_secretariat = {"Authorization": f"Bearer {secretariat}"}
        as_member = {"Authorization": f"Bearer {own}"}
        origins = ["https://iot-lab.fukuoka-pref.example.jp", "https://www.fukuoka-iot.example.jp"]
        assert client.patch("/v1/labs/lab-fukuoka-pref", json={"allowed_origins": origins},
                            headers=as_secretariat).status_code == 200
        assert client.patch(f"/v1/organizations/{member['id']}", json={"employees": member["employees"] + 2},
                            headers=as_member).status_code == 200
        posted = client.post("/v1/needs", json={"title": "検査記録の電子化", "description": "紙の検査記録をなくしたい"},
                             headers=as_member)
        assert posted.status_code == 201
    edited = _snapshot(engine)

    for command in (["db", "upgrade"], ["seed"]):
        result = runner.invoke(cli, command)
        assert result.exit_code == 0, result.output
    assert result.output == "seed data already loaded; nothing changed\n"
    assert "prune" not in result.output
    assert _snapshot(engine) == edited
    assert edited["labs"]["lab-fukuoka-pref"]["allowed_origins"] == origins
    changed = next(o for o in edited["roster"]["organizations"] if o["id"] == member["id"])
    assert changed["employees"] == member["employees"] + 2
    assert posted.json()["id"] in {n["id"] for n in changed["needs"]}


def test_seed_leaves_a_roster_from_elsewhere_and_deleted_members_alone(cli_env: dict[str, str], engine: Engine,
                                                                       tmp_path: Path) -> None:
    own = {"format": FORMAT, "organizations": [{
        "id": "M-001", "name": "宮崎の会員", "member_type": "corporate", "roles": ["user"], "support_type": None,
        "prefecture": "宮崎県", "industry": "E", "description": "宮崎の会員です。", "needs": [], "seeds": []}]}
    path = tmp_path / "roster.json"
    path.write_text(json.dumps(own, ensure_ascii=False), encoding="utf-8")
    assert (imported := runner.invoke(cli, ["import", str(path)])).exit_code == 0, imported.output

    first = runner.invoke(cli, ["seed"])
    assert first.exit_code == 0, first.output
    assert "members: not loaded; the database has its own (1), which the seed never changes" in first.output
    assert _counts(engine)["organizations"] == 1
    assert _counts(engine)["labs"] == 12

    with Session(engine) as session:  # the secretariat removes its only member
        session.delete(session.scalars(select(Organization)).one())
        session.commit()
    again = runner.invoke(cli, ["seed"])
    assert again.output == "seed data already loaded; nothing changed\n"
    assert _counts(engine)["organizations"] == 0


def test_demo_roster_is_valid_and_varied() -> None:
    roster = json.loads(DEMO_ROSTER.read_text(encoding="utf-8"))
    assert validate_roster(roster) == []
    orgs = roster["organizations"]
    prefectures = Counter(o["prefecture"] for o in orgs)
    assert set(KYUSHU) <= set(prefectures)
    assert sum(prefectures[p] for p in KYUSHU) >= 60
    assert {r for o in orgs for r in o["roles"]} == set(ROLES)
    postings = [p for o in orgs for p in o["needs"] + o["seeds"]]
    english = [p for p in postings if p["description"].isascii()]
    assert 0 < len(english) < len(postings) / 4
    assert len({p["title"] for p in postings}) == len(postings), "every need and seed is written for itself"


def test_labs_cover_the_kyushu_prefectures() -> None:
    labs = json.loads(LABS.read_text(encoding="utf-8"))["labs"]
    assert len(labs) == len({lab["id"] for lab in labs}) == 12
    assert {lab["prefecture"] for lab in labs} <= set(KYUSHU)
    assert all(lab["member_bodies"] and lab["focus_fields"] for lab in labs)
