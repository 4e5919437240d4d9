"""The secretariat's changes to a schedule by hand: lock a meeting, move it, remove it, add one.

Every change keeps the rules (availability, one meeting per participant and slot, one meeting per table,
maximum of meetings, do_not_meet) and is refused with what stands in the way. Meetings moved or added by hand
are locked, so the next scheduling run keeps them exactly; a removed pair is not scheduled again by the solver
until a meeting of the two is added by hand.
"""

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.errors import Conflict, InvalidInput
from app.events import planning
from app.events import service as event_service
from app.events.models import Event, EventCandidate, EventMeeting, EventRemovedPair
from app.messages import choices, error
from app.roster.models import Organization

REMOVED_BY_HAND = "its meetings were removed by hand: schedule again or add one"


def set_locked(*, db_session: Session, event: Event, meeting: EventMeeting, locked: bool) -> EventMeeting:
    """Lock the meeting where it is (scheduling runs keep it exactly), or unlock it."""
    _editable(db_session, event)
    meeting.locked = locked
    db_session.flush()
    return meeting


def move_meeting(*, db_session: Session, event: Event, meeting: EventMeeting, slot: str | None = None,
                 table: int | None = None) -> EventMeeting:
    """Move the meeting to another slot and/or table (the lowest free table when none is given) and lock it
    there. A published meeting that moves is unpublished until the next publish."""
    _editable(db_session, event)
    slot = slot or meeting.slot_code
    a, b = meeting.a_org.external_id, meeting.b_org.external_id
    others = [m for m in planning.meetings(db_session=db_session, event=event) if m.id != meeting.id]
    if table is None and slot == meeting.slot_code:
        raise error(InvalidInput, "invalid.event_move_nothing", field="slot")
    table = _check_place(db_session, event, others, a, b, slot, table)
    if (slot, table) != (meeting.slot_code, meeting.table_no):
        meeting.slot_code, meeting.table_no, meeting.published = slot, table, False
    meeting.locked = True
    db_session.flush()
    return meeting


def remove_meeting(*, db_session: Session, event: Event, meeting: EventMeeting) -> None:
    """Take the meeting out; scheduling runs will not pair the two again (add a meeting by hand to undo)."""
    _editable(db_session, event)
    a, b = sorted((meeting.a_org, meeting.b_org), key=lambda o: o.id)
    if _removed_row(db_session, event, a.id, b.id) is None:
        db_session.add(EventRemovedPair(event_id=event.id, a_org_id=a.id, b_org_id=b.id))
    db_session.delete(meeting)
    db_session.flush()
    _refresh_report(db_session, event, {a.external_id, b.external_id})


def add_meeting(*, db_session: Session, event: Event, a: str, b: str, slot: str,
                table: int | None = None) -> EventMeeting:
    """A meeting of participants a and b in the slot, at the table (the lowest free one when none is given),
    locked. It may pair members nobody recommended or who met before: the secretariat decides."""
    _editable(db_session, event)
    if a == b:
        raise error(InvalidInput, "invalid.event_meeting_self", field="b")
    pa = event_service.get_participant(event=event, organization=a)
    pb = event_service.get_participant(event=event, organization=b)
    rows = planning.meetings(db_session=db_session, event=event)
    same = [m for m in rows if {m.a_org.external_id, m.b_org.external_id} == {a, b}]
    if same:
        raise error(Conflict, "conflict.event_pair_scheduled", field="b", event=event.code, a=a, b=b,
                    meeting=same[0].id, slot=same[0].slot_code)
    table = _check_place(db_session, event, rows, a, b, slot, table)
    for participant, pid in ((pa, a), (pb, b)):
        count = sum(pid in (m.a_org.external_id, m.b_org.external_id) for m in rows)
        if count >= participant.max_meetings:
            raise error(Conflict, "conflict.event_meeting_max", field="a" if pid == a else "b", event=event.code,
                        org=pid, max=participant.max_meetings)
    first, second = sorted((pa.organization, pb.organization), key=lambda o: o.external_id)
    candidate = _candidate(db_session, event, first, second)
    meeting = EventMeeting(event_id=event.id, slot_code=slot, table_no=table, a_org=first, b_org=second,
                           value=candidate.value if candidate else 0.0,
                           detail=candidate.detail if candidate else None, locked=True)
    db_session.add(meeting)
    removed = _removed_row(db_session, event, *sorted((first.id, second.id)))
    if removed is not None:
        db_session.delete(removed)
    db_session.flush()
    _refresh_report(db_session, event, {a, b})
    return meeting


def _editable(db_session: Session, event: Event) -> None:
    if any(m.outcome is not None for m in planning.meetings(db_session=db_session, event=event)):
        raise error(Conflict, "conflict.event_meetings_held", event=event.code)


def _check_place(db_session: Session, event: Event, others: list[EventMeeting], a: str, b: str, slot: str,
                 table: int | None) -> int:
    """The table for a meeting of a and b in the slot, once every rule holds; refused with what stands in the
    way otherwise."""
    codes = event_service.meeting_slot_codes(event)
    if slot not in codes:
        raise error(InvalidInput, "invalid.event_unknown_slots", field="slot", unknown=choices([slot]),
                    slots=choices(codes))
    if table is not None and not 1 <= table <= event.tables:
        raise error(InvalidInput, "invalid.event_table", field="table", table=table, tables=event.tables)
    for pid in (a, b):
        participant = event_service.get_participant(event=event, organization=pid)
        if slot not in event_service.available_slots(event, participant):
            raise error(Conflict, "conflict.event_meeting_unavailable", field="slot", event=event.code, org=pid,
                        slot=slot)
    in_slot = [m for m in others if m.slot_code == slot]
    for m in in_slot:
        busy = {a, b} & {m.a_org.external_id, m.b_org.external_id}
        if busy:
            raise error(Conflict, "conflict.event_meeting_busy", field="slot", org=sorted(busy)[0], slot=slot,
                        meeting=m.id)
    for r in event_service.list_requests(db_session=db_session, event=event):
        if r.kind == "do_not_meet" and {r.requester.organization.external_id, r.target.organization.external_id} \
                == {a, b}:
            raise error(Conflict, "conflict.event_meeting_do_not_meet", field="b", event=event.code, a=a, b=b,
                        requester=r.requester.organization.external_id)
    taken = {m.table_no: m for m in in_slot}
    if table is None:
        table = next((t for t in range(1, event.tables + 1) if t not in taken), None)
        if table is None:
            raise error(Conflict, "conflict.event_slot_full", field="slot", slot=slot, tables=event.tables)
    elif table in taken:
        raise error(Conflict, "conflict.event_table_taken", field="table", table=table, slot=slot,
                    meeting=taken[table].id)
    return table


def _candidate(db_session: Session, event: Event, first: Organization, second: Organization) -> EventCandidate | None:
    for c in planning.candidates(db_session=db_session, event=event):
        if {c.a.organization_id, c.b.organization_id} == {first.id, second.id}:
            return c
    return None


def _removed_row(db_session: Session, event: Event, a_id: int, b_id: int) -> EventRemovedPair | None:
    return db_session.scalar(select(EventRemovedPair).where(
        EventRemovedPair.event_id == event.id, EventRemovedPair.a_org_id == a_id, EventRemovedPair.b_org_id == b_id))


def _refresh_report(db_session: Session, event: Event, changed: set[str]) -> None:
    """Keep the last run's report true for the two participants of a meeting added or removed by hand: whether
    they have no meeting (and why), and the number of meetings."""
    if event.schedule_report is None:
        return
    rows = planning.meetings(db_session=db_session, event=event)
    busy = {o for m in rows for o in (m.a_org.external_id, m.b_org.external_id)}
    report: dict[str, Any] = dict(event.schedule_report)
    unscheduled = {org: why for org, why in report.get("unscheduled", {}).items() if org not in busy}
    unscheduled |= {org: REMOVED_BY_HAND for org in sorted(changed - busy)}
    report["unscheduled"], report["meetings"] = unscheduled, len(rows)
    event.schedule_report = report  # a new dict: JSON columns only notice assignment
