"""`iotmatch seed`: the shipped labs, demo members and programs, loaded once however often it runs."""

import json
from collections import Counter

from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from app.cli import cli
from app.labs.models import Lab
from app.programs.models import ProgramRecord
from app.roster.models import Need, Organization, Seed
from app.roster.validation import validate_roster
from app.roster.vocab import KYUSHU, ROLES
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

    again = runner.invoke(cli, ["seed"])
    assert again.exit_code == 0, again.output
    assert "organizations: 0 created, 0 updated" in again.output
    assert "support programs: 0 added" in again.output
    assert _counts(engine) == counts


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
