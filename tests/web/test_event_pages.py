"""The event pages over HTTP on each backend: the secretariat's forms (event, participants, application sheet,
requests, schedule, outcomes, report) and the member's (register, requests, withdraw, agenda)."""

import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook

from app.db import make_engine, make_session_factory, session_scope, utcnow
from app.events import planning
from app.events import service as event_service
from tests.web.conftest import EVENT_MEMBERS, MEMBER, Community
from tests.web.test_pages import csrf_of, sign_in

EVENT_FORM = {"name": "鹿児島IoT商談会", "date": "2027-03-10", "venue": "鹿児島市", "tables": "3",
              "default_max_meetings": "4", "min_value": "0", "start": "13:00", "count": "4", "minutes": "20",
              "changeover": "5", "lunch_after": "", "lunch_minutes": "", "breaks": "2:10",
              "registration_closes_at": ""}


@pytest.fixture
def client(community: Community) -> Iterator[TestClient]:
    """A browser-like client with its own cookie jar."""
    with TestClient(community.app) as test_client:
        yield test_client


@dataclass
class Stored:
    """What the database holds of an event, read back after each form."""

    name: str
    tables: int
    closes: datetime | None
    slots: list[tuple[str, str, str]]
    participants: dict[str, tuple[list[str], int]]
    requests: dict[tuple[str, str], str]
    meetings: dict[int, tuple[str, int, bool, bool, str | None, str, str]]


def _event(community: Community, code: str) -> Stored:
    engine = make_engine(community.url)
    try:
        with session_scope(make_session_factory(engine)) as session:
            event = event_service.get_event(db_session=session, code=code)
            meetings = planning.meetings(db_session=session, event=event)
            return Stored(
                name=event.name, tables=event.tables, closes=event.registration_closes_at,
                slots=[(s.code, s.starts_at.strftime("%H:%M"), s.kind) for s in event.slots],
                participants={p.organization.external_id: (event_service.available_slots(event, p), p.max_meetings)
                              for p in event.participants},
                requests={(r.requester.organization.external_id, r.target.organization.external_id): r.kind
                          for r in event_service.list_requests(db_session=session, event=event)},
                meetings={m.id: (m.slot_code, m.table_no, m.locked, m.published, m.outcome, m.a_org.external_id,
                                 m.b_org.external_id) for m in meetings})
    finally:
        engine.dispose()


def _create(client: TestClient, **changes: str) -> str:
    token = csrf_of(client, "/dashboard/events/new")
    response = client.post("/dashboard/events/new", data={**EVENT_FORM, **changes, "csrf": token},
                           follow_redirects=False)
    assert response.status_code == 303, response.text
    found = re.match(r"/dashboard/events/([^?]+)\?saved=created", response.headers["location"])
    assert found
    return found.group(1)


def test_the_secretariat_creates_edits_and_deletes_an_event(community: Community, client: TestClient) -> None:
    sign_in(client, community.keys["secretariat"])
    dashboard = client.get("/dashboard").text
    # The heat map's scroll box is reached by keyboard and named apart from its section.
    assert '<div class="scroll" tabindex="0" role="region" aria-labelledby="unmet-h scroll-hint">' in dashboard
    assert 'href="/dashboard/events/new"' in dashboard
    code = _create(client)
    stored = _event(community, code)
    assert stored.slots == [("S01", "13:00", "meeting"), ("S02", "13:25", "meeting"), ("B1", "13:45", "break"),
                               ("S03", "13:55", "meeting"), ("S04", "14:20", "meeting")]
    page = client.get(f"/dashboard/events/{code}?saved=created")
    assert "イベントを作成しました。" in page.text
    assert "鹿児島IoT商談会" in page.text

    form = client.get(f"/dashboard/events/{code}/edit").text
    assert 'value="2:10"' in form
    assert 'value="鹿児島IoT商談会"' in form
    token = csrf_of(client, f"/dashboard/events/{code}/edit")
    response = client.post(f"/dashboard/events/{code}/edit", follow_redirects=False, data={
        **EVENT_FORM, "name": "鹿児島IoT商談会（春）", "tables": "5", "lunch_after": "3", "lunch_minutes": "60",
        "registration_closes_at": "2027-03-01T17:00", "csrf": token})
    assert response.status_code == 303, response.text
    stored = _event(community, code)
    assert stored.name == "鹿児島IoT商談会（春）"
    assert stored.tables == 5
    assert ("B2", "14:15", "break") in stored.slots  # lunch after the third slot
    closes = stored.closes
    assert closes is not None
    assert closes.strftime("%H:%M") == "08:00"

    # Deleting asks first; a wrong code keeps the event.
    assert "確認のため" in client.get(f"/dashboard/events/{code}/delete").text
    refused = client.post(f"/dashboard/events/{code}/delete", data={"confirm": "nope", "csrf": token})
    assert refused.status_code == 422
    assert 'aria-invalid="true"' in refused.text
    response = client.post(f"/dashboard/events/{code}/delete", data={"confirm": code, "csrf": token},
                           follow_redirects=False)
    assert response.status_code == 303
    assert client.get(f"/dashboard/events/{code}").status_code == 404


def test_the_event_form_shows_each_problem_at_its_field(community: Community, client: TestClient) -> None:
    sign_in(client, community.keys["secretariat"])
    token = csrf_of(client, "/dashboard/events/new")
    response = client.post("/dashboard/events/new", data={**EVENT_FORM, "name": "", "tables": "x",
                                                          "breaks": "after lunch", "csrf": token})
    assert response.status_code == 422
    for name in ("name", "tables", "breaks"):
        assert re.search(rf'id="f-{name}"[^>]*aria-describedby="[^"]*e-{name}"[^>]*aria-invalid="true"',
                         response.text), name
        assert f'id="e-{name}"' in response.text
    # The service's rule (a break after the last slot) comes back at its field too.
    response = client.post("/dashboard/events/new", data={**EVENT_FORM, "breaks": "4:10", "csrf": token})
    assert response.status_code == 422
    assert 'id="e-breaks"' in response.text


def test_event_forms_refuse_a_missing_token_and_members(community: Community, client: TestClient) -> None:
    sign_in(client, community.keys["secretariat"])
    code = _create(client)
    refused = client.post("/dashboard/events/new", data={**EVENT_FORM, "csrf": "forged"})
    assert refused.status_code == 403
    assert client.post(f"/dashboard/events/{code}/delete", data={"confirm": code}).status_code == 403
    assert client.post(f"/dashboard/events/{code}/schedule", data={"csrf": "forged"}).status_code == 403
    client.post("/signout", data={"csrf": csrf_of(client, "/dashboard")})
    sign_in(client, community.keys["member"])
    token = csrf_of(client, "/me")
    for path in ("/dashboard/events/new", f"/dashboard/events/{code}/edit", f"/dashboard/events/{code}/delete",
                 f"/dashboard/events/{code}/participants", f"/dashboard/events/{code}/outcomes",
                 f"/dashboard/events/{code}/report", f"/dashboard/events/{code}/application.xlsx"):
        assert client.get(path).status_code == 403, path
    for path in ("/dashboard/events/new", f"/dashboard/events/{code}/delete", f"/dashboard/events/{code}/schedule",
                 f"/dashboard/events/{code}/participants", f"/dashboard/events/{code}/publish"):
        assert client.post(path, data={**EVENT_FORM, "confirm": code, "csrf": token}).status_code == 403, path
    assert _event(community, code).name == EVENT_FORM["name"]


def _sheet(rows: list[list[object]]) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook()
    for row in rows:
        workbook.active.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def test_participants_from_the_list_and_the_application_sheet(community: Community, client: TestClient) -> None:
    sign_in(client, community.keys["secretariat"])
    code = _create(client)
    token = csrf_of(client, f"/dashboard/events/{code}/participants")
    page = f"/dashboard/events/{code}/participants"
    nothing = client.post(page, data={"csrf": token})
    assert nothing.status_code == 422
    assert 'id="e-members"' in nothing.text
    response = client.post(page, data={"members": EVENT_MEMBERS[:2], "max_meetings": "3", "csrf": token},
                           follow_redirects=False)
    assert response.status_code == 303
    assert _event(community, code).participants == {
        EVENT_MEMBERS[0]: (["S01", "S02", "S03", "S04"], 3), EVENT_MEMBERS[1]: (["S01", "S02", "S03", "S04"], 3)}

    # The template lists them; filled in and uploaded, it updates one and adds two.
    template = client.get(f"/dashboard/events/{code}/application.xlsx")
    assert template.status_code == 200
    rows = [list(r) for r in load_workbook(io.BytesIO(template.content)).active.iter_rows(values_only=True)]
    assert rows[0] == ["member_id", "available_slots", "max_meetings"]
    assert len(rows) == 3
    sheet = _sheet([["会員ID", "参加できる時間枠", "最大商談数"], [EVENT_MEMBERS[0], "S01;S02", 2],
                    [EVENT_MEMBERS[2], "", None], [EVENT_MEMBERS[3], "S03、S04", 4]])
    response = client.post(f"{page}/upload", data={"csrf": token}, follow_redirects=False,
                           files={"sheet": ("申込書.xlsx", sheet, "application/octet-stream")})
    assert response.status_code == 303, response.text
    participants = _event(community, code).participants
    assert participants[EVENT_MEMBERS[0]] == (["S01", "S02"], 2)
    assert participants[EVENT_MEMBERS[2]] == (["S01", "S02", "S03", "S04"], 4)
    assert participants[EVENT_MEMBERS[3]] == (["S03", "S04"], 4)

    # A CSV with an unknown member and slot registers nothing and names the rows.
    bad = b"member_id,available_slots,max_meetings\nORG-0002,,\nORG-9999,,\nORG-0003,S09,\n"
    response = client.post(f"{page}/upload", data={"csrf": token}, files={"sheet": ("a.csv", bad, "text/csv")})
    assert response.status_code == 422
    assert 'id="e-sheet"' in response.text
    assert "ORG-9999" in response.text
    assert "S09" in response.text
    assert "ORG-0002" not in _event(community, code).participants
    csv_template = client.get(f"/dashboard/events/{code}/application.csv").content.decode("utf-8-sig")
    assert csv_template.splitlines()[0] == "member_id,available_slots,max_meetings"

    # Requests: add, replace, withdraw; a request about oneself is shown at its field.
    response = client.post(f"/dashboard/events/{code}/requests", follow_redirects=False, data={
        "requester": EVENT_MEMBERS[0], "target": EVENT_MEMBERS[1], "kind": "must_meet", "csrf": token})
    assert response.status_code == 303
    own = client.post(f"/dashboard/events/{code}/requests", data={
        "requester": EVENT_MEMBERS[0], "target": EVENT_MEMBERS[0], "kind": "must_meet", "csrf": token})
    assert own.status_code == 422
    assert 'aria-invalid="true"' in own.text
    assert _event(community, code).requests == {(EVENT_MEMBERS[0], EVENT_MEMBERS[1]): "must_meet"}
    listing = client.get(page).text
    found = re.search(rf'/dashboard/events/{code}/requests/(\d+)/withdraw', listing)
    assert found is not None
    request_id = found.group(1)
    client.post(f"/dashboard/events/{code}/requests/{request_id}/withdraw", data={"csrf": token})
    assert _event(community, code).requests == {}
    client.post(f"{page}/{EVENT_MEMBERS[3]}/remove", data={"csrf": token})
    assert EVENT_MEMBERS[3] not in _event(community, code).participants


def test_schedule_lock_resolve_publish_and_outcomes(community: Community, client: TestClient) -> None:
    sign_in(client, community.keys["secretariat"])
    code = _create(client, count="3", breaks="")
    token = csrf_of(client, f"/dashboard/events/{code}/participants")
    client.post(f"/dashboard/events/{code}/participants", data={"members": EVENT_MEMBERS, "csrf": token})
    assert client.post(f"/dashboard/events/{code}/schedule", data={"csrf": token}).status_code == 200
    meetings = _event(community, code).meetings
    assert meetings, "the four members' needs and seeds make at least one meeting"
    grid = client.get(f"/dashboard/events/{code}").text
    assert grid.count('<td id="m') == len(meetings)
    assert "評価値" in grid
    assert "↔" in grid

    # Move one meeting to another slot: it is locked there and a new run keeps it.
    meeting_id, (slot, table, *_rest) = next(iter(meetings.items()))
    target = next(s for s in ("S01", "S02", "S03") if s != slot)
    moved = client.post(f"/dashboard/events/{code}/meetings/{meeting_id}", data={
        "action": "move", "slot": target, "table": "3", "csrf": token}, follow_redirects=False)
    if moved.status_code == 303:
        expected = (target, 3)
    else:  # one of the two already meets someone then: lock it where it is instead
        client.post(f"/dashboard/events/{code}/meetings/{meeting_id}", data={"action": "lock", "csrf": token})
        expected = (slot, table)
    assert _event(community, code).meetings[meeting_id][2] is True
    client.post(f"/dashboard/events/{code}/schedule", data={"csrf": token})
    after = _event(community, code).meetings
    assert after[meeting_id][:3] == (*expected, True)
    # A move the rules refuse is an error page that says why, not a server error.
    refused = client.post(f"/dashboard/events/{code}/meetings/{meeting_id}", data={
        "action": "move", "slot": "S99", "csrf": token})
    assert refused.status_code == 422
    assert "S99" in refused.text
    assert re.search(rf'id="slot-{meeting_id}"[^>]*aria-invalid="true" aria-describedby="e-move-{meeting_id}"',
                     refused.text)
    # Adding a meeting the rules refuse names the field: the same member twice, a pair already scheduled.
    a, b = after[meeting_id][5:]
    same = client.post(f"/dashboard/events/{code}/meetings", data={"a": a, "b": a, "slot": "S01", "csrf": token})
    assert same.status_code == 422
    assert re.search(r'id="f-b"[^>]*aria-invalid="true" aria-describedby="e-b"', same.text)
    again = client.post(f"/dashboard/events/{code}/meetings", data={"a": a, "b": b, "slot": "S01", "csrf": token})
    assert again.status_code == 409
    assert 'id="e-b"' in again.text
    assert _event(community, code).meetings == after

    client.post(f"/dashboard/events/{code}/publish", data={"csrf": token})
    assert all(m[3] for m in _event(community, code).meetings.values())

    outcomes_page = client.get(f"/dashboard/events/{code}/outcomes").text
    assert outcomes_page.count("<select id=\"f-outcome-") == len(after)
    form = {f"outcome-{m}": "cooperation_possible" for m in after}
    bad = client.post(f"/dashboard/events/{code}/outcomes", data={**form, f"outcome-{meeting_id}": "great",
                                                                  "csrf": token})
    assert bad.status_code == 422
    assert f'id="e-outcome-{meeting_id}"' in bad.text
    assert all(m[4] is None for m in _event(community, code).meetings.values())
    assert client.post(f"/dashboard/events/{code}/outcomes", data={**form, "csrf": "forged"}).status_code == 403
    saved = client.post(f"/dashboard/events/{code}/outcomes", data={**form, "csrf": token})
    assert saved.status_code == 200
    assert "結果を保存しました。" in saved.text
    assert {m[4] for m in _event(community, code).meetings.values()} == {"cooperation_possible"}
    report = client.get(f"/dashboard/events/{code}/report").text
    assert f'<strong id="r-took-place">{len(after)}</strong>' in report
    assert "<svg" in report
    assert "協業の可能性あり" in report


def test_a_member_registers_requests_withdraws_and_sees_the_agenda(community: Community,
                                                                     client: TestClient) -> None:
    sign_in(client, community.keys["secretariat"])
    deadline = (utcnow() + timedelta(days=7) + timedelta(hours=9)).strftime("%Y-%m-%dT%H:%M")
    code = _create(client, registration_closes_at=deadline, count="3", breaks="")
    closed = _create(client, registration_closes_at="2020-01-01T12:00")
    token = csrf_of(client, f"/dashboard/events/{code}/participants")
    others = [m for m in EVENT_MEMBERS if m != MEMBER]
    client.post(f"/dashboard/events/{code}/participants", data={"members": others, "csrf": token})
    client.post("/signout", data={"csrf": token})

    sign_in(client, community.keys["member"])
    listing = client.get("/me/events").text
    assert f"/me/events/{code}" in listing
    assert f"/me/events/{closed}" not in listing
    token = csrf_of(client, f"/me/events/{code}")
    empty = client.post(f"/me/events/{code}/register", data={"csrf": token})
    assert empty.status_code == 422
    assert 'id="e-slots"' in empty.text
    assert client.post(f"/me/events/{code}/register", data={"slots": ["S01"], "csrf": "forged"}).status_code == 403
    response = client.post(f"/me/events/{code}/register", data={"slots": ["S01", "S03"], "csrf": token},
                           follow_redirects=False)
    assert response.status_code == 303
    assert _event(community, code).participants[MEMBER] == (["S01", "S03"], 4)
    page = client.get(f"/me/events/{code}").text
    assert page.count('class="match partner"') == len(others)
    assert "↔" in page  # the topics the member could talk about with the best-suited partners
    client.post(f"/me/events/{code}/requests", data={f"req-{others[0]}": "must_meet",
                                                       f"req-{others[1]}": "do_not_meet", "csrf": token})
    assert _event(community, code).requests == {(MEMBER, others[0]): "must_meet",
                                                   (MEMBER, others[1]): "do_not_meet"}
    client.post(f"/me/events/{code}/requests", data={f"req-{others[1]}": "", "csrf": token})
    assert _event(community, code).requests == {(MEMBER, others[0]): "must_meet"}
    # Past the deadline nothing changes.
    late = client.post(f"/me/events/{closed}/register", data={"slots": ["S01"], "csrf": token})
    assert late.status_code == 409
    assert MEMBER not in _event(community, closed).participants
    # The member cannot reach the secretariat's pages of the event.
    assert client.get(f"/dashboard/events/{code}/participants").status_code == 403
    client.post(f"/me/events/{code}/withdraw", data={"csrf": token})
    assert MEMBER not in _event(community, code).participants
    client.post(f"/me/events/{code}/register", data={"slots": ["S01", "S02", "S03"], "csrf": token})
    client.post(f"/me/events/{code}/requests", data={f"req-{others[0]}": "must_meet", "csrf": token})
    client.post("/signout", data={"csrf": token})

    sign_in(client, community.keys["secretariat"])
    token = csrf_of(client, f"/dashboard/events/{code}")
    client.post(f"/dashboard/events/{code}/schedule", data={"csrf": token})
    client.post(f"/dashboard/events/{code}/publish", data={"csrf": token})
    met = {m[5:] for m in _event(community, code).meetings.values()}
    assert tuple(sorted((MEMBER, others[0]))) in met  # the must_meet request holds
    client.post("/signout", data={"csrf": token})

    sign_in(client, community.keys["member"])
    page = client.get(f"/me/events/{code}").text
    agenda = re.search(r'<table id="agenda">.*?</table>', page, re.S)
    assert agenda is not None
    assert f'href="/organizations/{others[0]}"' in agenda.group()


def test_the_event_pages_render_in_english(community: Community, client: TestClient) -> None:
    sign_in(client, community.keys["secretariat"])
    code = _create(client)
    token = csrf_of(client, f"/dashboard/events/{code}/participants")
    client.post(f"/dashboard/events/{code}/participants", data={"members": [MEMBER], "csrf": token})
    for path, heading in (("/dashboard/events/new", "Create a matching event"),
                          (f"/dashboard/events/{code}/edit", "Edit the event"),
                          (f"/dashboard/events/{code}/delete", "Delete the event"),
                          (f"/dashboard/events/{code}/participants", "Participants and requests"),
                          (f"/dashboard/events/{code}/outcomes", "Record outcomes"),
                          (f"/dashboard/events/{code}/report", "Event report"),
                          (f"/dashboard/events/{code}", "Schedule (time slot × table)")):
        response = client.get(path + "?lang=en")
        assert response.status_code == 200, path
        assert '<html lang="en">' in response.text, path
        assert heading in response.text, path
    client.post("/signout", data={"csrf": token})
    sign_in(client, community.keys["member"])
    for path, heading in (("/me/events", "Matching events"), (f"/me/events/{code}", "Suggested partners")):
        response = client.get(path + "?lang=en")
        assert response.status_code == 200, path
        assert heading in response.text, path
