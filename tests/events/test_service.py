"""Events through the services on SQLite and PostgreSQL: slots, participants, requests, every scheduling rule
(checked by the independent validator), re-runs that keep published meetings, outcomes and exports."""

import csv
import io
import json
import re
from datetime import time, timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.errors import Conflict, InvalidInput, NotFound
from app.events import exports, outcomes, planning
from app.events import service as event_service
from app.events.models import Event
from app.events.scoring import PairScore
from app.feedback.models import Feedback
from app.feedback.service import give_feedback
from app.roster.models import Need, Organization, Seed
from matching.scheduling import schedule_from_json, validate_schedule
from tests.events.conftest import EVENT_DAY, make_event, org, with_candidates

A, B, C, D, E = (org(n) for n in range(1, 6))
G = org(7)  # the only one of the first members with a need


def add(session: Session, event, *ids: str, slots: list[str] | None = None, max_meetings: int | None = None) -> None:
    for pid in ids:
        event_service.add_participant(db_session=session, event=event, organization=pid, available_slots=slots,
                                      max_meetings=max_meetings)


def run(session: Session, event) -> dict:
    planning.run_schedule(db_session=session, event=event, time_limit_s=2)
    problem = planning.build_problem(db_session=session, event=event, published_only=False)
    meetings = planning.stored_result(db_session=session, event=event).meetings
    assert validate_schedule(problem, meetings) == []
    return event.schedule_report


def pairs_met(session: Session, event) -> set[frozenset[str]]:
    return {frozenset((m.a_org.external_id, m.b_org.external_id))
            for m in planning.meetings(db_session=session, event=event)}


# --- events, slots, participants, requests ----------------------------------------------------------


def test_slots_from_a_plan_with_a_break(session: Session) -> None:
    specs = event_service.plan_slots(start=time(13, 0), count=4, minutes=15, breaks={2: 60})
    assert [(s.start.strftime("%H:%M"), s.minutes, s.kind) for s in specs] == [
        ("13:00", 15, "meeting"), ("13:15", 15, "meeting"), ("13:30", 60, "break"),
        ("14:30", 15, "meeting"), ("14:45", 15, "meeting")]
    event = event_service.create_event(db_session=session, name="発信会", date=EVENT_DAY, venue="佐賀", tables=5,
                                       slots=specs)
    assert [s.code for s in event.slots] == ["S01", "S02", "B1", "S03", "S04"]
    assert event.code == "EV-0001"
    assert event_service.meeting_slot_codes(event) == ["S01", "S02", "S03", "S04"]


def test_slot_rules(session: Session) -> None:
    with pytest.raises(InvalidInput, match="15, 20 or 30"):
        event_service.create_event(db_session=session, name="x", date=EVENT_DAY, venue="v", tables=1,
                                   slots=event_service.plan_slots(start=time(13, 0), count=2, minutes=25))
    bad = [event_service.SlotSpec(time(13, 0), 30), event_service.SlotSpec(time(13, 20), 20)]
    with pytest.raises(InvalidInput, match="ends at 13:30"):
        event_service.create_event(db_session=session, name="x", date=EVENT_DAY,
                                   venue="v", tables=1, slots=bad)
    event = make_event(session, code="EV-X")
    with pytest.raises(Conflict):
        make_event(session, code="EV-X")
    with pytest.raises(InvalidInput, match="at least one table"):
        event_service.update_event(db_session=session, event=event, changes={"tables": 0})
    late = [event_service.SlotSpec(time(23, 0), 30), event_service.SlotSpec(time(23, 50), 30)]
    with pytest.raises(InvalidInput, match="S02 ends after midnight"):
        event_service.create_event(db_session=session, name="x", date=EVENT_DAY, venue="v", tables=1, slots=late)
    with pytest.raises(InvalidInput, match="midnight"):
        event_service.update_event(db_session=session, event=event, changes={}, slots=late)
    last = event_service.create_event(db_session=session, name="x", date=EVENT_DAY, venue="v", tables=1,
                                      slots=[event_service.SlotSpec(time(23, 30), 30)])
    assert [s.code for s in last.slots] == ["S01"]  # ending at midnight is still the same day


def test_participants_and_requests(session: Session, members: list[str]) -> None:
    event = make_event(session, slots=3, max_meetings=4)
    add(session, event, A, B)
    with pytest.raises(Conflict):
        add(session, event, A)
    with pytest.raises(InvalidInput, match="unknown meeting slot"):
        add(session, event, C, slots=["S09"])
    with pytest.raises(NotFound):
        add(session, event, "ORG-9999")
    add(session, event, C, slots=["S03", "S01"], max_meetings=1)
    participant = event_service.get_participant(event=event, organization=C)
    assert event_service.available_slots(event, participant) == ["S01", "S03"]
    assert participant.max_meetings == 1
    assert event_service.get_participant(event=event, organization=A).max_meetings == 4

    event_service.set_request(db_session=session, event=event, requester=A, target=B, kind="would_like")
    event_service.set_request(db_session=session, event=event, requester=A, target=B, kind="must_meet")
    requests = event_service.list_requests(db_session=session, event=event)
    assert [(r.requester.organization.external_id, r.target.organization.external_id, r.kind)
            for r in requests] == [(A, B, "must_meet")]
    with pytest.raises(InvalidInput):
        event_service.set_request(db_session=session, event=event, requester=A, target=A, kind="must_meet")
    with pytest.raises(NotFound, match="requests name other participants"):
        event_service.set_request(db_session=session, event=event, requester=A, target=D, kind="would_like")
    event_service.delete_request(db_session=session, event=event, requester=A, target=B)
    assert event_service.list_requests(db_session=session, event=event) == []


# --- scheduling rules -------------------------------------------------------------------------------


def test_every_rule_holds_and_best_pairs_win(session: Session, members: list[str]) -> None:
    event = make_event(session, slots=3, tables=2, max_meetings=2)
    add(session, event, A, B, C, D)
    add(session, event, E, slots=["S02"], max_meetings=1)
    with_candidates(session, event, {(A, B): 3.0, (A, C): 2.5, (B, C): 2.0, (C, D): 1.0, (D, E): 4.0,
                                     (A, E): 5.0, (B, D): 0.5})
    event_service.set_request(db_session=session, event=event, requester=A, target=E, kind="do_not_meet")
    report = run(session, event)

    met = pairs_met(session, event)
    assert frozenset((A, E)) not in met  # do_not_meet beats the best value
    assert frozenset((D, E)) in met
    rows = planning.meetings(db_session=session, event=event)
    assert all(m.slot_code == "S02" for m in rows if E in (m.a_org.external_id, m.b_org.external_id))
    per_slot = {s: sum(m.slot_code == s for m in rows) for s in ("S01", "S02", "S03")}
    assert max(per_slot.values()) <= 2
    assert report["status"] == "optimal"
    assert report["ratio"] == pytest.approx(1.0)


def test_must_meet_wins_and_infeasible_must_meet_is_reported(session: Session, members: list[str]) -> None:
    event = make_event(session, slots=2, tables=5, max_meetings=1)
    add(session, event, A, B, C)
    add(session, event, D, slots=["S01"])
    add(session, event, E, slots=["S02"])
    with_candidates(session, event, {(A, B): 5.0, (A, C): 0.1})
    event_service.set_request(db_session=session, event=event, requester=C, target=A, kind="must_meet")
    event_service.set_request(db_session=session, event=event, requester=D, target=E, kind="must_meet")
    report = run(session, event)

    assert pairs_met(session, event) == {frozenset((A, C))}
    assert report["infeasible_must_meet"] == [{"requester": D, "target": E, "reason": "no common available slot"}]
    agenda = outcomes.agenda(db_session=session, event=event, organization=B, published_only=False)
    assert agenda["meetings"] == []
    assert "max_meetings" in agenda["no_meeting_reason"]
    assert outcomes.agenda(db_session=session, event=event, organization=D,
                           published_only=False)["must_meet_not_placed"][0]["target"] == E


def test_pairs_that_met_before_are_not_proposed_unless_requested(session: Session, members: list[str]) -> None:
    earlier = make_event(session, code="EV-EARLY", day=EVENT_DAY - timedelta(days=90))
    add(session, earlier, A, B)
    with_candidates(session, earlier, {(A, B): 1.0})
    run(session, earlier)
    (meeting,) = planning.meetings(db_session=session, event=earlier)
    outcomes.record_outcome(db_session=session, event=earlier, meeting=meeting, outcome="insufficient_interest")

    need = session.scalars(select(Need).join(Organization).where(Organization.external_id == G)).one()
    seed = session.scalars(select(Seed).join(Organization).where(Organization.external_id == D)).one()
    give_feedback(db_session=session, need=need, seed=seed, status="met", note=None, organization=None,
                  api_key_id=None)

    event = make_event(session, code="EV-LATER")
    add(session, event, A, B, G, D)
    with_candidates(session, event, {(A, B): 3.0, (G, D): 3.0, (A, G): 1.0})
    run(session, event)
    assert pairs_met(session, event) == {frozenset((A, G))}
    assert planning.already_met(db_session=session, event=event) == {frozenset((A, B)), frozenset((G, D))}

    event_service.set_request(db_session=session, event=event, requester=B, target=A, kind="would_like")
    run(session, event)
    assert frozenset((A, B)) in pairs_met(session, event)


def test_rerun_keeps_published_meetings_after_late_changes(session: Session, members: list[str]) -> None:
    event = make_event(session, slots=3, tables=3, max_meetings=3)
    add(session, event, A, B, C, D)
    with_candidates(session, event, {(A, B): 2.0, (C, D): 2.0, (A, C): 1.5, (B, D): 1.5, (A, D): 1.0})
    run(session, event)
    assert planning.publish(db_session=session, event=event) == 5
    before = {(m.slot_code, m.table_no, m.a_org.external_id, m.b_org.external_id)
              for m in planning.meetings(db_session=session, event=event)}

    # Late changes: a newcomer who is very attractive to A, and C leaves.
    add(session, event, E)
    participant = event_service.get_participant(event=event, organization=C)
    event_service.remove_participant(db_session=session, event=event, participant=participant)
    with_candidates(session, event, {(A, B): 2.0, (B, D): 1.5, (A, D): 1.0, (A, E): 9.0, (D, E): 9.0})
    report = run(session, event)

    after = {(m.slot_code, m.table_no, m.a_org.external_id, m.b_org.external_id): m
             for m in planning.meetings(db_session=session, event=event)}
    still_valid = {k for k in before if C not in k}
    assert still_valid <= set(after)
    assert all(after[k].published for k in still_valid)
    newcomer = [k for k, m in after.items() if E in k]
    assert newcomer
    assert not any(after[k].published for k in newcomer)
    dropped = [c for c in report["published_changes"] if C in (c["a"], c["b"])]
    assert dropped
    assert all(c["change"].startswith("dropped") and "removed" in c["change"] for c in dropped)


# --- outcomes and report ----------------------------------------------------------------------------


def test_outcomes_feed_feedback_and_the_report(session: Session, members: list[str]) -> None:
    event, need, seed = _scheduled(session)
    rows = {frozenset((m.a_org.external_id, m.b_org.external_id)): m
            for m in planning.meetings(db_session=session, event=event)}
    outcomes.record_outcome(db_session=session, event=event, meeting=rows[frozenset((G, B))],
                            outcome="cooperation_possible", note="PoC を検討")
    outcomes.record_outcome(db_session=session, event=event, meeting=rows[frozenset((C, D))],
                            outcome="did_not_take_place")
    with pytest.raises(InvalidInput):
        outcomes.record_outcome(db_session=session, event=event, meeting=rows[frozenset((C, D))], outcome="great")

    feedback = session.scalars(select(Feedback)).all()
    assert [(f.need_id, f.seed_id, f.status) for f in feedback] == [(need.id, seed.id, "met")]
    report = outcomes.event_report(db_session=session, event=event)
    assert report["outcomes"]["cooperation_possible"] == 1
    assert report["outcomes"]["did_not_take_place"] == 1
    assert report["took_place"] == 1
    assert report["meetings"] == 2
    with pytest.raises(Conflict, match="outcomes"):
        planning.run_schedule(db_session=session, event=event)


def _scheduled(session: Session, *ids: str) -> tuple[Event, Need, Seed]:
    """An event of G, B, C, D (and `ids`) with its meetings scheduled; G–B rests on G's need and B's seed, so
    its outcome becomes `met` feedback on that pair (returned with the event)."""
    event = make_event(session)
    add(session, event, G, B, C, D, *ids)
    need = session.scalars(select(Need).join(Organization).where(Organization.external_id == G)).one()
    seed = session.scalars(select(Seed).join(Organization).where(Organization.external_id == B)).one()
    planning.store_candidates(db_session=session, event=event, scores=[
        PairScore(G, B, 2.0, [{"need": need.external_id, "seed": seed.external_id, "score": 2.0}]),
        PairScore(C, D, 1.0)])
    run(session, event)
    return event, need, seed


def _held(session: Session, *ids: str) -> Event:
    """The scheduled event of `_scheduled`, published, with every meeting taken place."""
    event, _, _ = _scheduled(session, *ids)
    planning.publish(db_session=session, event=event)
    for meeting in planning.meetings(db_session=session, event=event):
        outcomes.record_outcome(db_session=session, event=event, meeting=meeting, outcome="cooperation_possible")
    return event


def _validates(session: Session, event: Event) -> dict:
    doc = json.loads(json.dumps(exports.export_document(db_session=session, event=event)))
    problem, meetings = schedule_from_json(doc)
    assert validate_schedule(problem, meetings) == []
    return doc


def test_own_outcomes_are_not_met_before_for_the_same_event(session: Session, members: list[str]) -> None:
    event = _held(session)
    assert session.scalars(select(Feedback.status)).all() == ["met"]
    doc = _validates(session, event)
    assert doc["already_met"] == []
    assert len(doc["meetings"]) == 2

    later = make_event(session, code="EV-NEXT", day=EVENT_DAY + timedelta(days=30))
    add(session, later, G, B)
    assert planning.already_met(db_session=session, event=later) == {frozenset((G, B)), frozenset((C, D))}


def test_outcomes_freeze_what_the_meetings_rest_on(session: Session, members: list[str]) -> None:
    event = _held(session, E)
    (g_slot,) = {m.slot_code for m in planning.meetings(db_session=session, event=event)
                 if G in (m.a_org.external_id, m.b_org.external_id)}
    participant = event_service.get_participant(event=event, organization=G)
    other_slots = [c for c in ("S01", "S02", "S03") if c != g_slot]
    early = event_service.plan_slots(start=time(9, 0), count=3, minutes=20)
    refused = [
        lambda: event_service.update_event(db_session=session, event=event, changes={"tables": 3}),
        lambda: event_service.update_event(db_session=session, event=event, changes={}, slots=early),
        lambda: event_service.remove_participant(db_session=session, event=event, participant=participant),
        lambda: event_service.update_participant(db_session=session, event=event, participant=participant,
                                                 changes={"max_meetings": 0}),
        lambda: event_service.update_participant(db_session=session, event=event, participant=participant,
                                                 changes={"available_slots": other_slots}),
        lambda: event_service.set_request(db_session=session, event=event, requester=B, target=G, kind="do_not_meet"),
    ]
    for change in refused:
        with pytest.raises(Conflict, match="outcomes"):
            change()
    # What the meetings do not rest on may still change.
    event_service.update_event(db_session=session, event=event,
                               changes={"name": "商談会（実施済み）", "venue": "北九州", "tables": event.tables})
    relabelled = [event_service.SlotSpec(s.starts_at, s.minutes, s.kind, "昼食" if s.kind == "break" else s.label,
                                         s.code) for s in event.slots]
    event_service.update_event(db_session=session, event=event, changes={}, slots=relabelled)
    event_service.remove_participant(db_session=session, event=event,
                                     participant=event_service.get_participant(event=event, organization=E))
    event_service.set_request(db_session=session, event=event, requester=B, target=G, kind="would_like")
    with pytest.raises(Conflict, match="can no longer be withdrawn"):
        event_service.delete_request(db_session=session, event=event, requester=B, target=G)
    assert event.name == "商談会（実施済み）"
    assert len(_validates(session, event)["meetings"]) == 2


def test_printable_page_gives_reasons_in_japanese(session: Session, members: list[str]) -> None:
    event = make_event(session, slots=1, tables=1)
    add(session, event, A, B, C)
    add(session, event, D, max_meetings=0)
    with_candidates(session, event, {(A, B): 2.0, (A, C): 1.0})
    run(session, event)
    add(session, event, E)  # after the run

    agenda = outcomes.agenda(db_session=session, event=event, organization=C, published_only=False)
    assert agenda["no_meeting_reason"].startswith("no meeting fits")  # the API keeps the English reason
    html = exports.export_html(db_session=session, event=event)
    reasons = re.findall(r'<p class="none">(.*?)</p>', html)
    assert len(reasons) == 3
    assert all(r.startswith("商談の予定はありません") and not re.search("[a-z]{2,}", r) for r in reasons)
    assert agenda["no_meeting_reason_ja"] in html


# --- exports ----------------------------------------------------------------------------------------


def test_exports_open_and_the_json_validates_on_its_own(session: Session, members: list[str]) -> None:
    event = make_event(session, slots=3, tables=2, max_meetings=2)
    add(session, event, A, B, C, D)
    add(session, event, E, slots=["S01"])
    with_candidates(session, event, {(A, B): 2.0, (C, D): 2.0, (A, C): 1.5, (B, E): 1.0})
    event_service.set_request(db_session=session, event=event, requester=D, target=E, kind="do_not_meet")
    run(session, event)
    stored = planning.meetings(db_session=session, event=event)

    doc = json.loads(json.dumps(exports.export_document(db_session=session, event=event)))
    problem, meetings = schedule_from_json(doc)
    assert validate_schedule(problem, meetings) == []
    assert len(meetings) == len(stored) == len(doc["meeting_details"])
    assert {c["value"] for c in doc["candidates"]} == {2.0, 1.5, 1.0}
    assert doc["requests"] == [{"requester": D, "target": E, "kind": "do_not_meet"}]
    assert {p["id"]: p["available_slots"] for p in doc["participants"]}[E] == ["S01"]
    assert doc["event"]["breaks"][0]["id"] == "B1"

    text = exports.export_csv(db_session=session, event=event)
    assert text.startswith("\ufeff")  # UTF-8 with a BOM, for Japanese Excel
    rows = list(csv.reader(io.StringIO(text[1:])))
    assert rows[0] == ["slot", "start", "minutes", "table", "a", "b", "value", "a_id", "b_id"]
    assert len(rows) == len(stored) + 1
    assert {(r[7], r[8]) for r in rows[1:]} == {(m.a_org.external_id, m.b_org.external_id) for m in stored}
    grid = list(csv.reader(io.StringIO(exports.export_csv(db_session=session, event=event, view="participant")[1:])))
    assert len(grid) == 6
    assert grid[0][1:] == ["13:00", "13:50", "14:10"]

    book = load_workbook(io.BytesIO(exports.export_xlsx(db_session=session, event=event)))
    assert book.sheetnames == ["Meetings", "By participant", "By table", "Agendas"]
    assert book["Meetings"].max_row == len(stored) + 1
    assert book["By table"]["A3"].value == "2"
    agenda_rows = list(book["Agendas"].iter_rows(min_row=2, values_only=True))
    assert sum(1 for r in agenda_rows if r[5]) == 2 * len(stored)

    html = exports.export_html(db_session=session, event=event)
    assert "size: A4" in html
    assert "page-break-before" in html
    assert html.count('<section class="agenda">') == 5
