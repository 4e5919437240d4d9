"""`iotmatch events …` as the secretariat uses it, against the test database (requests only: no model load)."""

import json
from pathlib import Path

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from app.cli import cli
from matching.scheduling import schedule_from_json, validate_schedule
from tests.events.conftest import demo_roster, org

runner = CliRunner()
A, B, C, D = (org(n) for n in (1, 2, 3, 4))


def run(*args: str, code: int = 0) -> str:
    result = runner.invoke(cli, ["events", *args])
    assert result.exit_code == code, result.output
    return result.output


@pytest.fixture
def event(cli_env: dict[str, str], tmp_path: Path) -> str:
    source = tmp_path / "roster.json"
    source.write_text(json.dumps(demo_roster([A, B, C, D]), ensure_ascii=False), encoding="utf-8")
    assert runner.invoke(cli, ["import", str(source)]).exit_code == 0
    out = run("create", "--name", "発信会", "--date", "2026-12-10", "--venue", "熊本", "--tables", "1",
              "--start", "10:00", "--slots", "2", "--minutes", "30", "--break", "1:15")
    assert "created EV-0001" in out
    assert "2 slots 10:00–11:15" in out
    for member in (A, B, C):
        run("add-participant", "EV-0001", member)
    run("add-participant", "EV-0001", D, "--slots", "S02", "--max-meetings", "1")
    return "EV-0001"


def test_create_request_schedule_export_outcome(event: str, tmp_path: Path) -> None:
    run("request", event, A, B, "must_meet")
    run("request", event, C, D, "would_like")
    run("request", event, A, C, "must_meet")
    run("request", event, B, D, "do_not_meet")
    out = run("schedule", event, "--no-rescore", "--time-limit", "2")
    # One table: the two must_meet pairs take both slots, so D (only in S02) gets no meeting, and we say why.
    assert "schedule: 2 meetings" in out
    assert f"no meeting for {D}: no meeting fits with any of 1 candidate(s): 1 only in slots whose tables are full" \
        in out

    run("publish", event)
    agenda = json.loads(run("agenda", event, A, "--json"))
    assert sorted(m["partner"]["id"] for m in agenda["meetings"]) == [B, C]

    target = tmp_path / "schedule.json"
    run("export", event, "--format", "json", "--output", str(target))
    problem, meetings = schedule_from_json(json.loads(target.read_text(encoding="utf-8")))
    assert validate_schedule(problem, meetings) == []
    assert len(meetings) == 2
    workbook = tmp_path / "schedule.xlsx"
    run("export", event, "--format", "xlsx", "-o", str(workbook))
    assert load_workbook(workbook)["By participant"].max_row == 5
    assert run("export", event, "--format", "csv").startswith("slot,start,minutes,table,a,b,value")
    assert "<!DOCTYPE html>" in run("export", event, "--format", "html")
    run("export", event, "--format", "xlsx", code=2)

    meeting = agenda["meetings"][0]["meeting"]
    run("outcome", event, str(meeting), "informative_no_cooperation")
    report = json.loads(run("report", event))
    assert report["outcomes"]["informative_no_cooperation"] == 1
    assert report["meetings"] == 2
    assert "outcomes" in run("schedule", event, "--no-rescore", code=1)


def test_errors_say_what_to_fix(event: str) -> None:
    assert "No member 'ORG-0005'" in run("add-participant", event, org(5), code=1)
    assert "slots S01,S02" in run("edit-participant", event, D, "--slots", "all", "--max-meetings", "2")
    run("remove-participant", event, D)
    assert "this event's are S01, S02" in run("add-participant", event, D, "--slots", "S07", code=1)
    assert "No event" in run("show", "EV-0404", code=1)
    assert "has no meeting 99999999999999999999" in run("outcome", event, "99999999999999999999",
                                                        "insufficient_interest", code=1)
    assert "does not take part" in run("request", event, A, org(9), "would_like", code=1)
    run("request", event, A, B, "maybe", code=2)
    out = run("show", event)
    assert "B1 10:30–10:45 (break: 休憩)" in out
    assert f"{C} " in out
    assert f"{D} " not in out
