"""The event's schedule: build the scheduling problem from the database, solve it, store and publish it."""

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session, selectinload

from app.db import utcnow
from app.errors import Conflict, InvalidInput
from app.events import service as event_service
from app.events.models import MET_OUTCOMES, Event, EventCandidate, EventMeeting
from app.events.scoring import PairScore
from app.feedback.models import Feedback
from app.messages import error
from app.roster.models import Need, Organization, Seed
from matching.scheduling import (
    CandidatePair,
    Meeting,
    Participant,
    Request,
    ScheduleResult,
    SchedulingProblem,
    Slot,
    schedule,
)

MET_FEEDBACK = ("met", "deal")
MAX_TIME_LIMIT_S = 60.0


def store_candidates(*, db_session: Session, event: Event, scores: Iterable[PairScore]) -> int:
    """Replace the event's candidate pairs with fresh scores; returns how many were stored."""
    by_org = {p.organization.external_id: p for p in event.participants}
    # A bulk delete: rows of withdrawn participants are already gone through the foreign key cascade.
    db_session.execute(delete(EventCandidate).where(EventCandidate.event_id == event.id))
    db_session.expire(event, ["candidates"])
    count = 0
    for score in scores:
        a, b = by_org.get(score.a), by_org.get(score.b)
        if a is None or b is None or score.value <= 0:
            continue
        db_session.add(EventCandidate(event_id=event.id, a=a, b=b, value=score.value, detail=list(score.pairs)))
        count += 1
    db_session.flush()
    return count


def outcome_feedback_note(event: Event, outcome: str) -> str:
    """The note of the `met` feedback a meeting of the event becomes; `already_met` recognises it by this."""
    return f"{event.code}: {outcome}"


def _from_own_outcome(event: Event, note: str | None, organization_id: int | None) -> bool:
    # The secretariat's feedback written by record_outcome for this very event.
    return organization_id is None and note is not None and note.startswith(outcome_feedback_note(event, ""))


def already_met(*, db_session: Session, event: Event) -> frozenset[frozenset[str]]:
    """Member pairs that met before: a `met`/`deal` feedback on one's need and the other's seed, or a meeting
    of an earlier event that took place. Feedback from this event's own outcomes does not count: those pairs
    met at this event, not before it."""
    need_org = select(Need.id, Organization.external_id).join(Organization).subquery()
    seed_org = select(Seed.id, Organization.external_id).join(Organization).subquery()
    rows = db_session.execute(
        select(need_org.c.external_id, seed_org.c.external_id, Feedback.note, Feedback.organization_id)
        .select_from(Feedback)
        .join(need_org, Feedback.need_id == need_org.c.id)
        .join(seed_org, Feedback.seed_id == seed_org.c.id)
        .where(Feedback.status.in_(MET_FEEDBACK)))
    pairs = {frozenset((need, seed)) for need, seed, note, giver in rows
             if not _from_own_outcome(event, note, giver)}
    earlier = db_session.scalars(
        select(EventMeeting).join(Event, EventMeeting.event_id == Event.id)
        .where(Event.id != event.id, Event.date <= event.date, EventMeeting.outcome.in_(MET_OUTCOMES))
        .options(selectinload(EventMeeting.a_org), selectinload(EventMeeting.b_org)))
    pairs |= {frozenset((m.a_org.external_id, m.b_org.external_id)) for m in earlier}
    return frozenset(p for p in pairs if len(p) == 2)


def build_problem(*, db_session: Session, event: Event, published_only: bool = True) -> SchedulingProblem:
    """The scheduling problem of the event as it stands, with its published meetings to keep."""
    slots = tuple(Slot(s.code, datetime.combine(event.date, s.starts_at), s.minutes)
                  for s in sorted(event.slots, key=lambda s: s.starts_at) if s.kind == "meeting")
    participants = tuple(
        Participant(p.organization.external_id, frozenset(event_service.available_slots(event, p)), p.max_meetings)
        for p in event.participants)
    candidates = tuple(CandidatePair(c.a.organization.external_id, c.b.organization.external_id, c.value)
                       for c in _candidates(db_session, event))
    requests = tuple(Request(r.requester.organization.external_id, r.target.organization.external_id, r.kind)  # type: ignore[arg-type]
                     for r in event_service.list_requests(db_session=db_session, event=event))
    kept = [m for m in _meetings(db_session, event) if m.published or not published_only]
    return SchedulingProblem(slots, event.tables, participants, candidates, requests,
                             already_met(db_session=db_session, event=event), tuple(_as_meeting(m) for m in kept))


def _candidates(db_session: Session, event: Event) -> list[EventCandidate]:
    return list(db_session.scalars(select(EventCandidate).where(EventCandidate.event_id == event.id).options(
        selectinload(EventCandidate.a), selectinload(EventCandidate.b)).order_by(EventCandidate.id)))


def _meetings(db_session: Session, event: Event) -> list[EventMeeting]:
    return list(db_session.scalars(select(EventMeeting).where(EventMeeting.event_id == event.id).options(
        selectinload(EventMeeting.a_org), selectinload(EventMeeting.b_org)).order_by(EventMeeting.id)))


def meetings(*, db_session: Session, event: Event) -> list[EventMeeting]:
    """The event's stored meetings."""
    return _meetings(db_session, event)


def _as_meeting(m: EventMeeting) -> Meeting:
    return Meeting(m.slot_code, m.table_no, m.a_org.external_id, m.b_org.external_id, m.value)


def run_schedule(*, db_session: Session, event: Event, time_limit_s: float = 8.0) -> ScheduleResult:
    """Schedule the event from its stored candidates and requests, keeping published meetings where it can.

    The draft replaces every unpublished meeting; a published meeting that stays at its slot and table stays
    published. Refused once outcomes are recorded: the event has taken place.
    """
    if not 0.5 <= time_limit_s <= MAX_TIME_LIMIT_S:
        raise error(InvalidInput, "invalid.event_time_limit", field="time_limit_s", limit=MAX_TIME_LIMIT_S)
    stored = _meetings(db_session, event)
    if any(m.outcome is not None for m in stored):
        raise error(Conflict, "conflict.event_schedule_held", event=event.code)
    problem = build_problem(db_session=db_session, event=event)
    result = schedule(problem, time_limit_s=time_limit_s)
    details = {frozenset((c.a.organization.external_id, c.b.organization.external_id)): c.detail
               for c in _candidates(db_session, event)}
    was_published = {(r.slot_code, r.table_no, frozenset((r.a_org_id, r.b_org_id))) for r in stored if r.published}
    for row in stored:
        db_session.delete(row)
    db_session.flush()
    orgs = {p.organization.external_id: p.organization for p in event.participants}
    for m in result.meetings:
        a, b = orgs[m.a], orgs[m.b]
        published = (m.slot, m.table, frozenset((a.id, b.id))) in was_published
        db_session.add(EventMeeting(event_id=event.id, slot_code=m.slot, table_no=m.table, a_org=a, b_org=b,
                                    value=m.value, detail=details.get(frozenset((m.a, m.b))), published=published))
    event.scheduled_at = utcnow()
    event.schedule_report = report_of(result)
    db_session.flush()
    return result


def report_of(result: ScheduleResult) -> dict[str, Any]:
    """What a run found, stored with the event so exports and agendas can explain it later."""
    bound = result.upper_bound
    return {
        "status": result.status,
        "objective": round(result.objective, 6),
        "upper_bound": None if bound is None else round(bound, 6),
        "bound_method": result.bound_method,
        "ratio": round(result.objective / bound, 6) if bound else None,
        "meetings": len(result.meetings),
        "infeasible_must_meet": [{"requester": a, "target": b, "reason": why}
                                 for a, b, why in result.infeasible_must_meet],
        "unscheduled": dict(result.unscheduled),
        "published_changes": [{"slot": m.slot, "table": m.table, "a": m.a, "b": m.b, "change": why}
                              for m, why in result.published_changes],
        "notes": list(result.notes),
        "solve_s": round(result.stats.get("solve_s", 0.0), 3),
    }


def publish(*, db_session: Session, event: Event) -> int:
    """Publish the current schedule: members see it, and later runs keep it where they can."""
    rows = _meetings(db_session, event)
    if not rows:
        raise error(Conflict, "conflict.event_not_scheduled", event=event.code)
    for m in rows:
        m.published = True
    event.published_at = utcnow()
    db_session.flush()
    return len(rows)


def stored_result(*, db_session: Session, event: Event) -> ScheduleResult:
    """The stored schedule as a ScheduleResult (for exports), with the last run's findings."""
    report = event.schedule_report or {}
    rows = tuple(_as_meeting(m) for m in _meetings(db_session, event))
    changes = [(Meeting(c["slot"], c["table"], c["a"], c["b"], 0.0), c["change"])
               for c in report.get("published_changes", [])]
    return ScheduleResult(
        meetings=rows,
        objective=float(report.get("objective", sum(m.value for m in rows))),
        upper_bound=report.get("upper_bound"),
        status=report.get("status", "greedy"),
        infeasible_must_meet=[(x["requester"], x["target"], x["reason"])
                              for x in report.get("infeasible_must_meet", [])],
        unscheduled=dict(report.get("unscheduled", {})),
        published_changes=changes,
        bound_method=report.get("bound_method", "lp"),
        notes=list(report.get("notes", [])),
    )
