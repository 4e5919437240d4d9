"""The event endpoints over HTTP with the real matching engine: roles, scheduling from match scores, publishing,
agendas, exports, outcomes and themes."""

import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy.orm import Session

from app.auth import service as auth_service
from app.config import Settings
from app.events import outcomes, planning
from app.events import service as event_service
from app.main import create_app
from app.matches.engine import MatchingEngine
from app.roster.exchange import import_roster
from embeddings.encoder import SentenceTransformerEncoder
from matching.scheduling import schedule_from_json, validate_schedule
from matching.vocabulary import load_vocabulary
from seed import VOCABULARY
from tests.events.conftest import demo_roster, make_event, org, with_candidates

# Support bodies, vendors and users from the demo roster: needs on one side, seeds on the other.
MEMBERS = [org(n) for n in (7, 13, 17, 18, 20, 21, 26, 27, 28, 33, 35, 36, 37, 50, 52, 55, 57, 60, 63, 66)]
PLAN = {"start": "13:00", "count": 6, "minutes": 20, "breaks": [{"after": 3, "minutes": 30}]}



@pytest.fixture
def keys(session: Session) -> dict[str, str]:
    """The roster subset and a key for the secretariat and for two members."""
    import_roster(session, demo_roster(MEMBERS))
    tokens = {"secretariat": auth_service.create_key(db_session=session, role="secretariat")[1]}
    for member in MEMBERS[:2]:
        tokens[member] = auth_service.create_key(db_session=session, role="member", organization=member)[1]
    session.commit()
    return tokens


@pytest.fixture
def client(keys: dict[str, str], database_url: str, tmp_path: Path,
           encoder: SentenceTransformerEncoder) -> Iterator[TestClient]:
    settings = Settings(database_url=database_url, data_dir=tmp_path / "var")
    engine = MatchingEngine(settings, encoder, load_vocabulary(VOCABULARY))
    with TestClient(create_app(settings, matching=engine)) as test_client:
        yield test_client


def call(client: TestClient, keys: dict[str, str], who: str, method: str, path: str, status: int = 200,
         **kwargs: Any) -> Any:
    headers = {"X-API-Key": keys[who], **kwargs.pop("headers", {})}
    response = client.request(method, path, headers=headers, **kwargs)
    assert response.status_code == status, response.text
    return response


def test_secretariat_runs_an_event_and_members_take_part(client: TestClient, keys: dict[str, str]) -> None:
    s = "secretariat"
    me, other = MEMBERS[0], MEMBERS[1]
    event = call(client, keys, s, "POST", "/v1/events", 201, json={
        "name": "ニーズ・シーズ発信会", "date": "2026-12-10", "venue": "福岡", "tables": 6, "plan": PLAN,
        "default_max_meetings": 3}).json()
    code = event["code"]
    assert [x["code"] for x in event["slots"]] == ["S01", "S02", "S03", "B1", "S04", "S05", "S06"]
    call(client, keys, me, "POST", "/v1/events", 403, json={"name": "x", "date": "2026-12-10", "venue": "v",
                                                            "tables": 1, "plan": PLAN})
    call(client, keys, s, "POST", "/v1/events", 422, json={"name": "x", "date": "2026-12-10", "venue": "v",
                                                           "tables": 1})
    call(client, keys, s, "POST", "/v1/events", 422, json={"name": "x", "date": "2026-12-10", "venue": "v",
                                                           "tables": 1, "slots": [{"start": "23:50", "minutes": 30}]})

    # Members register themselves (not others); the secretariat registers the rest.
    call(client, keys, me, "POST", f"/v1/events/{code}/participants", 201, json={"max_meetings": 2})
    call(client, keys, me, "POST", f"/v1/events/{code}/participants", 403, json={"organization": other})
    for member in MEMBERS[1:]:
        call(client, keys, s, "POST", f"/v1/events/{code}/participants", 201, json={"organization": member})
    call(client, keys, s, "PATCH", f"/v1/events/{code}/participants/{MEMBERS[5]}", 200,
         json={"available_slots": ["S01", "S02"]})
    call(client, keys, s, "PATCH", f"/v1/events/{code}/participants/{MEMBERS[5]}", 422,
         json={"available_slots": ["S99"]})

    call(client, keys, me, "PUT", f"/v1/events/{code}/requests", 200,
         json={"target": MEMBERS[-1], "kind": "must_meet"})
    call(client, keys, me, "PUT", f"/v1/events/{code}/requests", 200, json={"target": other, "kind": "do_not_meet"})
    call(client, keys, me, "PUT", f"/v1/events/{code}/requests", 403,
         json={"requester": other, "target": me, "kind": "would_like"})
    assert len(call(client, keys, other, "GET", f"/v1/events/{code}/requests").json()) == 0

    report = call(client, keys, s, "POST", f"/v1/events/{code}/schedule", json={"time_limit_s": 3}).json()
    assert report["meetings"] > 10
    assert report["infeasible_must_meet"] == []
    assert report["ratio"] >= 0.98
    schedule = call(client, keys, s, "GET", f"/v1/events/{code}/schedule").json()
    pairs = {frozenset((m["a"], m["b"])) for m in schedule["meetings"]}
    assert frozenset((me, MEMBERS[-1])) in pairs
    assert frozenset((me, other)) not in pairs
    explained = [p for m in schedule["meetings"] for p in m["pairs"]]  # the need–seed pairs behind the values
    assert explained
    assert all(p["need_title"] and p["seed_title"] for p in explained)

    # Members only see published meetings, and only their own agenda.
    assert call(client, keys, me, "GET", f"/v1/events/{code}/agendas/{me}").json()["meetings"] == []
    call(client, keys, me, "GET", f"/v1/events/{code}/agendas/{other}", 403)
    call(client, keys, s, "POST", f"/v1/events/{code}/publish")
    agenda = call(client, keys, me, "GET", f"/v1/events/{code}/agendas/{me}").json()
    assert 1 <= len(agenda["meetings"]) <= 2

    doc = call(client, keys, s, "GET", f"/v1/events/{code}/export?format=json").json()
    problem, meetings = schedule_from_json(doc)
    assert validate_schedule(problem, meetings) == []
    assert len(doc["candidates"]) > len(meetings)
    xlsx = call(client, keys, s, "GET", f"/v1/events/{code}/export?format=xlsx")
    assert load_workbook(io.BytesIO(xlsx.content))["Meetings"].max_row == len(meetings) + 1
    assert "size: A4" in call(client, keys, s, "GET", f"/v1/events/{code}/export?format=html").text
    assert call(client, keys, s, "GET", f"/v1/events/{code}/export?format=csv&view=table").content.startswith(
        "\ufefftable,".encode())
    call(client, keys, s, "GET", f"/v1/events/{code}/export?format=pdf", 422)
    call(client, keys, me, "GET", f"/v1/events/{code}/export?format=json", 403)

    meeting = schedule["meetings"][0]
    call(client, keys, s, "PUT", f"/v1/events/{code}/meetings/{meeting['id']}/outcome",
         json={"outcome": "cooperation_possible"})
    call(client, keys, s, "PUT", f"/v1/events/{code}/meetings/999999/outcome", 404,
         json={"outcome": "insufficient_interest"})
    for too_big in ("99999999999999999999", str(2**31), "0", "-1"):  # beyond the database's integers: not a 500
        call(client, keys, s, "PUT", f"/v1/events/{code}/meetings/{too_big}/outcome", 422,
             json={"outcome": "insufficient_interest"})
    call(client, keys, s, "PUT", f"/v1/events/{code}/meetings/{2**31 - 1}/outcome", 404,
         json={"outcome": "insufficient_interest"})

    # The event took place: its own meetings are not "met before", and what they rest on can no longer change.
    problem, meetings = schedule_from_json(call(client, keys, s, "GET", f"/v1/events/{code}/export").json())
    assert validate_schedule(problem, meetings) == []
    assert "outcomes" in call(client, keys, s, "PATCH", f"/v1/events/{code}", 409, json={"tables": 2}).text
    call(client, keys, s, "PATCH", f"/v1/events/{code}", 409, json={"plan": {**PLAN, "start": "09:00"}})
    call(client, keys, s, "PATCH", f"/v1/events/{code}", json={"name": "発信会（実施済み）", "venue": "北九州"})
    call(client, keys, s, "DELETE", f"/v1/events/{code}/participants/{meeting['a']}", 409)
    counts = call(client, keys, s, "GET", f"/v1/events/{code}/report").json()
    assert counts["outcomes"]["cooperation_possible"] == 1
    assert counts["outcomes"]["pending"] == len(meetings) - 1
    call(client, keys, s, "POST", f"/v1/events/{code}/schedule", 409)
    call(client, keys, s, "GET", "/v1/events/EV-NOPE", 404)


def test_themes_for_the_secretariat(client: TestClient, keys: dict[str, str]) -> None:
    call(client, keys, MEMBERS[0], "GET", "/v1/themes", 403)
    data = call(client, keys, "secretariat", "GET", "/v1/themes?themes=4").json()
    assert 1 <= len(data["themes"]) <= 4
    assert all(t["name"] and t["terms"] for t in data["themes"])
    listed = {x["id"] for t in data["themes"] for key in ("needs", "seeds") for x in t[key]}
    roster = demo_roster(MEMBERS)["organizations"]
    assert listed == {x["id"] for o in roster for key in ("needs", "seeds") for x in o.get(key, [])}
    weak = [n for g in data["unmet_needs"] for n in g["needs"]]
    assert data["weak_below"] > 0  # 0.6 × the median best score
    assert all(n["best_score"] is None or n["best_score"] < data["weak_below"] for n in weak)
    strict = call(client, keys, "secretariat", "GET", "/v1/themes?themes=4&weak_below=100").json()
    unmet = [n for g in strict["unmet_needs"] for n in g["needs"]]
    assert len(unmet) == sum(len(o.get("needs", [])) for o in roster)  # every need is weak below 100
    assert all(g["prefecture"] and g["field"] for g in strict["unmet_needs"])


def test_slot_times_with_an_offset_are_venue_times(client: TestClient, keys: dict[str, str]) -> None:
    planned = call(client, keys, "secretariat", "POST", "/v1/events", 201, json={
        "name": "商談会", "date": "2026-12-10", "venue": "熊本", "tables": 2,
        "plan": {"start": "13:00:00+09:00", "count": 2, "minutes": 20}}).json()
    assert [s["start"][:5] for s in planned["slots"]] == ["13:00", "13:20"]
    late = call(client, keys, "secretariat", "POST", "/v1/events", 422, json={
        "name": "夜の商談会", "date": "2026-12-10", "venue": "熊本", "tables": 2,
        "plan": {"start": "23:40:00Z", "count": 2, "minutes": 20}}).json()
    assert late["field"] == "count"


JA = {"Accept-Language": "ja"}


def held_event(session: Session, a: str, b: str) -> tuple[str, int]:
    """An event where a and b met and the meeting's outcome is recorded: its code and the meeting id."""
    event = make_event(session, tables=2)
    for member in (a, b):
        event_service.add_participant(db_session=session, event=event, organization=member)
    with_candidates(session, event, {(a, b): 1.0})
    planning.run_schedule(db_session=session, event=event, time_limit_s=2)
    meeting = planning.meetings(db_session=session, event=event)[0]
    outcomes.record_outcome(db_session=session, event=event, meeting=meeting, outcome="cooperation_possible")
    session.commit()
    return event.code, meeting.id


def test_event_errors_follow_the_language(client: TestClient, keys: dict[str, str], session: Session) -> None:
    s, me, other = "secretariat", MEMBERS[0], MEMBERS[1]
    code, _ = held_event(session, me, other)

    def detail(method: str, path: str, status: int, headers: dict[str, str] = JA, **kwargs: Any) -> dict[str, Any]:
        response = call(client, keys, s, method, path, status, headers=headers, **kwargs)
        assert response.headers["Content-Language"] == headers.get("Accept-Language", "en")
        return dict(response.json())

    unknown = detail("GET", "/v1/events/EV-NOPE", 404)
    assert (unknown["title"], unknown["detail"]) == ("見つかりません",
                                                     "イベント 'EV-NOPE' はありません。GET /v1/events で一覧できます。")
    itself = detail("PUT", f"/v1/events/{code}/requests", 422, json={"requester": me, "target": me,
                                                                      "kind": "must_meet"})
    assert itself["field"] == "target"
    assert itself["detail"] == "自分自身への希望は出せません。希望の相手には他の参加者を指定してください。"
    refused = detail("PUT", f"/v1/events/{code}/requests", 409, json={"requester": me, "target": other,
                                                                       "kind": "do_not_meet"})
    assert refused["detail"] == (f"{code} には商談の成果が記録されており、{me} と {other} はそこで商談をしました。"
                                 "do_not_meet（会わない）の希望はもう出せません。")
    tables = detail("PATCH", f"/v1/events/{code}", 409, json={"tables": 5})
    assert (tables["title"], tables["field"]) == ("競合しています", "tables")
    assert tables["detail"] == (f"{code} には商談の成果が記録されているため、テーブル数（2）はもう変更できません。"
                                "名称・日付・会場は変更できます。")
    again = detail("POST", f"/v1/events/{code}/schedule", 409, json={"rescore": False})
    assert again["detail"] == f"{code} には商談の成果が記録されているため、スケジュールはもう作り直せません。"
    outcome = {"outcome": "insufficient_interest"}
    meeting = detail("PUT", f"/v1/events/{code}/meetings/999999/outcome", 404, json=outcome)
    assert meeting["detail"] == f"{code} に商談 999999 はありません。商談のIDはスケジュールに載っています。"
    slot = {"name": "商談会", "date": "2026-12-10", "venue": "福岡", "tables": 2,
            "slots": [{"start": "13:00", "minutes": 25}]}
    length = detail("POST", "/v1/events", 422, json=slot)
    assert length["field"] == "slots"
    assert length["detail"] == "商談の時間枠の長さは15分・20分・30分のいずれかにしてください（25 分は使えません）。"
    both = detail("POST", "/v1/events", 422, json={**slot, "plan": PLAN})
    assert both["detail"] == "入力が正しくありません（body）: slots と plan はどちらか一方だけを指定してください"

    # Without Japanese in Accept-Language the same errors keep their English wording.
    english = {"Accept-Language": "en"}
    assert detail("GET", "/v1/events/EV-NOPE", 404, english)["detail"] == (
        "No event 'EV-NOPE'; `GET /v1/events` lists them.")
    assert detail("POST", "/v1/events", 422, {}, json=slot)["detail"] == (
        "a meeting slot lasts 15, 20 or 30 minutes, not 25")
    assert detail("PUT", f"/v1/events/{code}/requests", 409, english, json={
        "requester": me, "target": other, "kind": "do_not_meet"})["detail"] == (
        f"{code} already has meeting outcomes, and {me} and {other} had a meeting there: "
        "a do_not_meet request can no longer be made.")
    assert detail("PUT", f"/v1/events/{code}/meetings/999999/outcome", 404, english, json=outcome)["detail"] == (
        f"{code} has no meeting 999999; the schedule lists the meeting ids.")


def test_plans_minimum_value_and_meetings_edited_by_hand(client: TestClient, keys: dict[str, str],
                                                          session: Session) -> None:
    s, me, other, third = "secretariat", MEMBERS[0], MEMBERS[1], MEMBERS[2]
    plan = {"start": "10:00", "count": 3, "minutes": 20, "changeover_minutes": 10,
            "lunch": {"after": 2, "minutes": 60}}
    event = call(client, keys, s, "POST", "/v1/events", 201, json={
        "name": "商談会", "date": "2026-12-10", "venue": "熊本", "tables": 2, "plan": plan, "min_value": 0}).json()
    code = event["code"]
    assert [(x["code"], x["start"], x["end"]) for x in event["slots"]] == [
        ("S01", "10:00", "10:20"), ("S02", "10:30", "10:50"), ("B1", "10:50", "11:50"), ("S03", "11:50", "12:10")]
    assert (event["min_value"], event["plan"]["changeover_minutes"], event["plan"]["lunch"]) == (
        0, 10, {"after": 2, "minutes": 60})
    changed = call(client, keys, s, "PATCH", f"/v1/events/{code}", json={"min_value": 4.5, "plan": {
        **plan, "changeover_minutes": 0, "lunch": None}}).json()
    assert (changed["min_value"], [x["start"] for x in changed["slots"]]) == (4.5, ["10:00", "10:20", "10:40"])
    assert call(client, keys, s, "PATCH", f"/v1/events/{code}", 422, json={"plan": {
        **plan, "lunch": {"after": 3, "minutes": 60}}}).json()["field"] == "lunch"

    for member in (me, other, third):
        call(client, keys, s, "POST", f"/v1/events/{code}/participants", 201, json={"organization": member})
    db_event = event_service.get_event(db_session=session, code=code)
    with_candidates(session, db_event, {(me, other): 6.0, (me, third): 5.0, (other, third): 4.0})
    session.commit()
    report = call(client, keys, s, "POST", f"/v1/events/{code}/schedule", json={"rescore": False}).json()
    assert report["counts"]["recommended"] == 2  # 4.0 is below the minimum of 4.5
    assert report["timing"]["total_s"] <= 8.0
    meetings = call(client, keys, s, "GET", f"/v1/events/{code}/schedule").json()["meetings"]
    first = next(m for m in meetings if {m["a"], m["b"]} == {me, other})

    # Move (then locked there), lock, remove, add; members may not.
    call(client, keys, me, "PATCH", f"/v1/events/{code}/meetings/{first['id']}", 403, json={"locked": True})
    call(client, keys, s, "PATCH", f"/v1/events/{code}/meetings/{first['id']}", 422, json={})
    moved = call(client, keys, s, "PATCH", f"/v1/events/{code}/meetings/{first['id']}",
                 json={"table": 2 if first["table"] == 1 else 1}).json()
    assert (moved["slot"], moved["locked"]) == (first["slot"], True)
    (second,) = [m for m in meetings if m["id"] != first["id"]]  # the other meeting of `me`, in another slot
    refused = call(client, keys, s, "PATCH", f"/v1/events/{code}/meetings/{first['id']}", 409, headers=JA,
                   json={"slot": second["slot"]}).json()
    assert refused["detail"].startswith(f"{me} は時間枠 {second['slot']} にすでに商談 {second['id']} があります")
    unlocked = call(client, keys, s, "PATCH", f"/v1/events/{code}/meetings/{first['id']}", json={"locked": False})
    assert unlocked.json()["locked"] is False
    call(client, keys, s, "DELETE", f"/v1/events/{code}/meetings/{first['id']}", 204)
    again = call(client, keys, s, "POST", f"/v1/events/{code}/schedule", json={"rescore": False}).json()
    pairs = {frozenset((m["a"], m["b"])) for m in call(client, keys, s, "GET", f"/v1/events/{code}/schedule").json()[
        "meetings"]}
    assert frozenset((me, other)) not in pairs  # removed by hand
    assert again["counts"]["recommended"] == 1
    (busy,) = [m["slot"] for m in call(client, keys, s, "GET", f"/v1/events/{code}/schedule").json()["meetings"]]
    free = next(x for x in ("S01", "S02", "S03") if x != busy)
    added = call(client, keys, s, "POST", f"/v1/events/{code}/meetings", 201,
                 json={"a": other, "b": me, "slot": free}).json()
    assert (added["slot"], added["locked"], added["value"]) == (free, True, 6.0)
    conflict = call(client, keys, s, "POST", f"/v1/events/{code}/meetings", 409,
                    json={"a": other, "b": me, "slot": busy}).json()
    assert conflict["detail"].startswith(f"{other} and {me} already meet in {free} (meeting {added['id']})")
    call(client, keys, s, "POST", f"/v1/events/{code}/meetings", 422, json={"a": me, "b": me, "slot": "S01"})

    timetable = call(client, keys, s, "GET", f"/v1/events/{code}/agendas/{me}").json()["timetable"]
    assert [t["kind"] for t in timetable].count("meeting") == 2
    assert [(t["label"], t["label_ja"]) for t in timetable if t["kind"] == "free"] == [("free time", "空き時間")]


def test_members_change_nothing_once_registration_closes(client: TestClient, keys: dict[str, str]) -> None:
    s, me, other = "secretariat", MEMBERS[0], MEMBERS[1]
    code = call(client, keys, s, "POST", "/v1/events", 201, json={
        "name": "締切のある商談会", "date": "2026-12-10", "venue": "福岡", "tables": 2, "plan": PLAN,
        "registration_closes_at": "2099-01-01T09:00:00+09:00"}).json()["code"]
    assert call(client, keys, s, "GET", f"/v1/events/{code}").json()["registration_closes_at"].startswith(
        "2099-01-01T00:00:00")  # stored and shown in UTC
    call(client, keys, me, "POST", f"/v1/events/{code}/participants", 201, json={})
    call(client, keys, s, "POST", f"/v1/events/{code}/participants", 201, json={"organization": other})
    call(client, keys, me, "PUT", f"/v1/events/{code}/requests", 200, json={"target": other, "kind": "would_like"})

    call(client, keys, s, "PATCH", f"/v1/events/{code}", 200, json={"registration_closes_at": "2020-01-01T00:00:00Z"})
    closed = call(client, keys, me, "PUT", f"/v1/events/{code}/requests", 409,
                  json={"target": other, "kind": "must_meet"}).json()
    assert "2020-01-01 00:00 UTC" in closed["detail"]
    call(client, keys, me, "DELETE", f"/v1/events/{code}/requests/{me}/{other}", 409)
    call(client, keys, me, "PATCH", f"/v1/events/{code}/participants/{me}", 409, json={"max_meetings": 1})
    call(client, keys, me, "DELETE", f"/v1/events/{code}/participants/{me}", 409)
    # The secretariat still changes what it needs to.
    call(client, keys, s, "PATCH", f"/v1/events/{code}/participants/{me}", 200, json={"max_meetings": 1})
    call(client, keys, s, "DELETE", f"/v1/events/{code}/requests/{me}/{other}", 204)
