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
from app.events import edits, exports, outcomes, planning
from app.events import service as event_service
from app.events.models import Event, EventMeeting
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


# --- slot plans, priorities, hand edits, stability ----------------------------------------------------------


def test_slot_plan_with_changeover_and_lunch(session: Session) -> None:
    plan = event_service.SlotPlan(start=time(10, 0), count=5, minutes=20, changeover=5, lunch=(2, 60),
                                  breaks=((4, 10),))
    event = event_service.create_event(db_session=session, name="発信会", date=EVENT_DAY, venue="佐賀", tables=4,
                                       slots=plan)
    assert [(s.code, f"{s.starts_at:%H:%M}", s.minutes, s.label) for s in event.slots] == [
        ("S01", "10:00", 20, None), ("S02", "10:25", 20, None), ("B1", "10:45", 60, "昼食"),
        ("S03", "11:45", 20, None), ("S04", "12:10", 20, None), ("B2", "12:30", 10, "休憩"), ("S05", "12:40", 20, None)]
    assert event.min_value == event_service.DEFAULT_MIN_VALUE
    assert event_service.event_plan(event) == plan  # kept with the event

    # Changing one setting recomputes the times from the kept plan.
    event_service.update_event(db_session=session, event=event, changes={},
                               slots=event_service.replan(event, changeover=0, lunch=(3, 45)))
    assert [f"{s.starts_at:%H:%M}" for s in event.slots if s.kind == "meeting"] == [
        "10:00", "10:20", "10:40", "11:45", "12:15"]
    assert [s.label for s in event.slots if s.kind == "break"] == ["昼食", "休憩"]

    for wrong, field in ((dict(lunch=(5, 60)), "lunch"), (dict(lunch=(4, 60)), "lunch"),
                         (dict(changeover=90), "changeover_minutes"), (dict(breaks=((0, 10),)), "breaks")):
        with pytest.raises(InvalidInput) as caught:
            event_service.replan(event, **wrong).specs()
        assert caught.value.field == field
    listed = event_service.create_event(db_session=session, name="x", date=EVENT_DAY, venue="v", tables=1,
                                        slots=[event_service.SlotSpec(time(13, 0), 30)])
    with pytest.raises(InvalidInput, match="no plan to change"):
        event_service.replan(listed, changeover=5)


def test_requests_come_first_and_recommended_pairs_need_the_minimum(session: Session, members: list[str]) -> None:
    event = make_event(session, slots=2, tables=2, max_meetings=1, min_value=4.0)
    add(session, event, A, B, C, D, E, G)
    with_candidates(session, event, {(A, B): 9.0, (B, D): 3.5, (E, G): 4.5})
    event_service.set_request(db_session=session, event=event, requester=C, target=A, kind="would_like")
    report = run(session, event)
    # C's wish (no value at all) beats A–B worth 9; B–D is below the minimum: its tables stay free.
    assert pairs_met(session, event) == {frozenset((A, C)), frozenset((E, G))}
    assert report["counts"]["one_way_placed"] == 1
    assert report["counts"]["free_table_slots"] == 2
    assert report["unscheduled"][D] == f"all 1 candidate(s) excluded: {B} (value 3.50 below the minimum 4)"
    agenda = outcomes.agenda(db_session=session, event=event, organization=D, published_only=False)
    assert agenda["no_meeting_reason_ja"] == f"候補 1 件はすべて対象外です（{B}: 評価 3.50 が最低値 4 に届きません）"
    # A lower minimum lets B–D in; none can be lower than 0.
    event_service.update_event(db_session=session, event=event, changes={"min_value": 3.0})
    run(session, event)
    assert frozenset((B, D)) in pairs_met(session, event)
    with pytest.raises(InvalidInput, match="min_value"):
        event_service.update_event(db_session=session, event=event, changes={"min_value": -1.0})


def _by_pair(session: Session, event: Event) -> dict[frozenset[str], EventMeeting]:
    return {frozenset((m.a_org.external_id, m.b_org.external_id)): m
            for m in planning.meetings(db_session=session, event=event)}


def test_hand_edits_hold_when_scheduling_again(session: Session, members: list[str]) -> None:
    event = make_event(session, slots=3, tables=2, max_meetings=2)
    add(session, event, A, B, C, D, E)
    with_candidates(session, event, {(A, B): 5.0, (C, D): 4.0, (A, C): 3.0, (B, D): 2.0, (B, E): 1.0})
    run(session, event)
    planning.publish(db_session=session, event=event)
    meetings = _by_pair(session, event)
    ab, cd = meetings[frozenset((A, B))], meetings[frozenset((C, D))]

    edits.set_locked(db_session=session, event=event, meeting=ab, locked=True)
    free = next(s for s in ("S01", "S02", "S03") if s != cd.slot_code and not any(
        m.slot_code == s and {C, D} & {m.a_org.external_id, m.b_org.external_id} for m in meetings.values()))
    edits.move_meeting(db_session=session, event=event, meeting=cd, slot=free, table=2)
    assert (cd.slot_code, cd.table_no, cd.locked, cd.published) == (free, 2, True, False)  # unpublished until published
    edits.remove_meeting(db_session=session, event=event, meeting=meetings[frozenset((A, C))])
    added = edits.add_meeting(db_session=session, event=event, a=E, b=C,
                              slot=next(s for s in ("S01", "S02", "S03") if s != free))
    assert added.locked
    assert added.value == 0.0  # not a candidate: the secretariat decides
    held = {(m.slot_code, m.table_no, m.a_org.external_id, m.b_org.external_id)
            for m in (ab, cd, added)}

    for _ in range(2):
        report = run(session, event)
        after = _by_pair(session, event)
        assert held <= {(m.slot_code, m.table_no, m.a_org.external_id, m.b_org.external_id) for m in after.values()}
        assert frozenset((A, C)) not in after  # removed by hand: not scheduled again
        assert report["counts"]["locked"] == 3
    assert planning.removed_pairs(db_session=session, event=event) == {frozenset((A, C))}



def test_a_removed_pair_comes_back_only_by_hand(session: Session, members: list[str]) -> None:
    event = make_event(session, slots=2, tables=2)
    add(session, event, A, C)
    with_candidates(session, event, {(A, C): 5.0})
    event_service.set_request(db_session=session, event=event, requester=A, target=C, kind="must_meet")
    run(session, event)
    (meeting,) = planning.meetings(db_session=session, event=event)
    edits.remove_meeting(db_session=session, event=event, meeting=meeting)
    assert (event.schedule_report or {})["unscheduled"][A] == edits.REMOVED_BY_HAND
    report = run(session, event)  # not even a must_meet brings it back
    assert pairs_met(session, event) == set()
    assert report["infeasible_must_meet"] == [{"requester": A, "target": C, "reason": "removed by hand"}]
    edits.add_meeting(db_session=session, event=event, a=C, b=A, slot="S02", table=2)
    assert planning.removed_pairs(db_session=session, event=event) == frozenset()
    assert A not in (event.schedule_report or {})["unscheduled"]
    run(session, event)
    (back,) = planning.meetings(db_session=session, event=event)
    assert (back.slot_code, back.table_no, back.locked, back.value) == ("S02", 2, True, 5.0)


def test_hand_edits_keep_the_rules(session: Session, members: list[str]) -> None:
    event = make_event(session, slots=2, tables=1, max_meetings=1)
    add(session, event, A, B, C)
    add(session, event, D, slots=["S01"])
    with_candidates(session, event, {(A, B): 5.0})
    event_service.set_request(db_session=session, event=event, requester=C, target=D, kind="do_not_meet")
    run(session, event)
    (ab,) = planning.meetings(db_session=session, event=event)
    other = "S02" if ab.slot_code == "S01" else "S01"
    refusals = [
        (lambda: edits.add_meeting(db_session=session, event=event, a=C, b=D, slot="S01"), Conflict, "not to meet"),
        (lambda: edits.add_meeting(db_session=session, event=event, a=A, b=C, slot=other), Conflict, "maximum"),
        (lambda: edits.add_meeting(db_session=session, event=event, a=C, b=A, slot=ab.slot_code), Conflict,
         f"{A} already has meeting {ab.id}"),
        (lambda: edits.add_meeting(db_session=session, event=event, a=A, b=B, slot=other), Conflict, "already meet"),
        (lambda: edits.add_meeting(db_session=session, event=event, a=C, b=C, slot="S01"), InvalidInput, "two"),
        (lambda: edits.add_meeting(db_session=session, event=event, a=C, b=D, slot="S09"), InvalidInput, "S09"),
        (lambda: edits.move_meeting(db_session=session, event=event, meeting=ab, table=2), InvalidInput, "table 2"),
        (lambda: edits.move_meeting(db_session=session, event=event, meeting=ab), InvalidInput, "slot or the table"),
    ]
    for change, kind, words in refusals:
        with pytest.raises(kind, match=words):
            change()
    event_service.update_participant(db_session=session, event=event,
                                     participant=event_service.get_participant(event=event, organization=C),
                                     changes={"max_meetings": 2})
    add(session, event, E, slots=[other])
    edits.add_meeting(db_session=session, event=event, a=C, b=E, slot=other)
    with pytest.raises(Conflict, match="table 1 in .* is taken"):
        edits.move_meeting(db_session=session, event=event, meeting=ab, slot=other, table=1)
    with pytest.raises(Conflict, match=f"{E} is not available in {ab.slot_code}"):
        edits.add_meeting(db_session=session, event=event, a=E, b=D, slot=ab.slot_code)


def test_scheduling_again_changes_nothing_that_needs_no_change(session: Session, members: list[str]) -> None:
    event = make_event(session, slots=3, tables=2, max_meetings=2)
    add(session, event, A, B, C, D, E)
    values = {(A, B): 3.0, (C, D): 3.0, (A, C): 2.0, (B, D): 2.0, (A, D): 1.5, (B, C): 1.5, (C, E): 1.0}
    with_candidates(session, event, values)
    run(session, event)
    first = {(m.id, m.slot_code, m.table_no) for m in planning.meetings(db_session=session, event=event)}
    report = run(session, event)
    assert {(m.id, m.slot_code, m.table_no) for m in planning.meetings(db_session=session, event=event)} == first
    assert report["counts"]["previous_kept"] == len(first)

    # The same inputs in another event give the same schedule.
    twin = make_event(session, slots=3, tables=2, max_meetings=2, code="EV-TWIN")
    add(session, twin, E, D, C, B, A)  # registered in another order
    with_candidates(session, twin, values)
    run(session, twin)
    assert {(m.slot_code, m.table_no, m.a_org.external_id, m.b_org.external_id)
            for m in planning.meetings(db_session=session, event=twin)} == {
        (m.slot_code, m.table_no, m.a_org.external_id, m.b_org.external_id)
        for m in planning.meetings(db_session=session, event=event)}


def test_agendas_show_free_time(session: Session, members: list[str]) -> None:
    plan = event_service.SlotPlan(start=time(10, 0), count=3, minutes=20, changeover=5, lunch=(1, 60))
    event = event_service.create_event(db_session=session, name="商談会", date=EVENT_DAY, venue="福岡", tables=2,
                                       slots=plan, min_value=0.0)
    add(session, event, A, B)
    add(session, event, C, slots=["S01", "S02"])
    with_candidates(session, event, {(A, B): 2.0, (A, C): 1.0})
    run(session, event)
    agenda = outcomes.agenda(db_session=session, event=event, organization=C, published_only=False)
    kinds = [(t["slot"], t["kind"]) for t in agenda["timetable"]]
    met_slot = agenda["meetings"][0]["slot"]
    assert kinds == [(s, "meeting" if s == met_slot else "break" if s == "B1" else "unavailable" if s == "S03"
                      else "free") for s in ("S01", "B1", "S02", "S03")]
    free = next(t for t in agenda["timetable"] if t["kind"] == "free")
    assert (free["label"], free["label_ja"]) == ("free time", "空き時間")
    assert next(t for t in agenda["timetable"] if t["kind"] == "break")["label_ja"] == "昼食"
    html = exports.export_html(db_session=session, event=event)
    for words in ("空き時間", "昼食", "不参加"):
        assert words in html
