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
    assert run("export", event, "--format", "csv").startswith("\ufeffslot,start,minutes,table,a,b,value")
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


def test_slot_plan_options_and_minimum_value(cli_env: dict[str, str]) -> None:
    out = run("create", "--name", "商談会", "--date", "2026-12-10", "--venue", "福岡", "--tables", "4", "--start",
              "10:00", "--slots", "6", "--minutes", "20", "--changeover", "5", "--lunch", "3:60", "--break", "5:10",
              "--min-value", "3.5")
    assert "6 slots 10:00–13:25 (5 min changeover); 昼食 11:10–12:10, 休憩 12:55–13:05; min value 3.5" in out
    code = out.split()[1].rstrip(":")
    # One setting changes, the rest of the plan stays.
    out = run("edit", code, "--changeover", "0", "--lunch", "none", "--min-value", "5")
    assert "6 slots 10:00–12:10; 休憩 11:40–11:50; min value 5" in out
    assert "S02 10:20–10:40" in run("show", code)
    assert "follows one of the meeting slots 1 to 5, not 6" in run("edit", code, "--lunch", "6:60", code=1)


def test_requests_meetings_and_edits_by_hand(event: str) -> None:
    run("request", event, A, B, "would_like")
    run("request", event, B, A, "would_like")
    run("request", event, C, D, "do_not_meet")
    listed = run("requests", event)
    ids = {line.split()[0].lstrip("#"): line for line in listed.splitlines() if "→" in line}
    assert f"{A} → {B}: would_like" in listed
    assert "withdraw one with `iotmatch events requests" in listed
    out = run("schedule", event, "--no-rescore", "--time-limit", "2")
    assert "requested pairs placed: must_meet 0/0, mutual 1/1, one-way 0/0" in out

    (line,) = [x for x in run("meetings", event).splitlines() if A in x]
    meeting = line.split()[0].lstrip("#")
    slot = line.split()[1]
    other = "S02" if slot == "S01" else "S01"
    assert "locked" in run("lock", event, meeting)
    assert f"moved to {other} table 1, locked" in run("move", event, meeting, "--slot", other)
    assert "[locked]" in run("meetings", event)
    # The agenda: the meeting, free time and the break.
    agenda = run("agenda", event, A)
    assert "free time (空き時間)" in agenda
    assert "break (休憩)" in agenda
    assert "requested by a participant" in agenda  # no candidate value: the two asked for it
    # Errors name the command that fixes them.
    assert f"withdraw that request with `iotmatch events requests {event} --withdraw ID` first" in run(
        "add-meeting", event, C, D, "--slot", "S02", code=1)
    assert f"`iotmatch events edit-participant {event} {D} --slots …`" in run(
        "add-meeting", event, D, C, "--slot", "S01", code=1)
    assert f"`iotmatch events meetings {event}` lists them" in run("lock", event, "999", code=1)
    assert f"change it with `iotmatch events edit-participant {event} {A}`" in run("add-participant", event, A, code=1)
    assert "`iotmatch events list` lists them" in run("meetings", "EV-0404", code=1)
    in_japanese = runner.invoke(cli, ["events", "meetings", "EV-0404"], env={"LANG": "ja_JP.UTF-8"})
    assert in_japanese.exit_code == 1
    assert "イベント 'EV-0404' はありません。`iotmatch events list` で一覧できます。" in in_japanese.output

    assert "removed; the two will not be scheduled again" in run("remove-meeting", event, meeting)
    run("schedule", event, "--no-rescore", "--time-limit", "2")
    assert A not in run("meetings", event)
    assert "added" in run("add-meeting", event, B, A, "--slot", "S02")
    (withdrawn,) = [i for i, line in ids.items() if f"{C} → {D}" in line]
    assert f"withdrew request {withdrawn} ({C} → {D}: do_not_meet)" in run("requests", event, "--withdraw", withdrawn)
    assert f"{C} → {D}" not in run("requests", event)
    assert "has no request 999" in run("requests", event, "--withdraw", "999", code=1)

    assert "deleted EV-0001" in run("delete", event, "--yes")
    assert "No event" in run("show", event, code=1)
