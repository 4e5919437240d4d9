"""The event's schedule: build the scheduling problem from the database, solve it, store and publish it."""

import time
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session, selectinload

from app.db import utcnow
from app.errors import Conflict, InvalidInput
from app.events import service as event_service
from app.events.models import MET_OUTCOMES, Event, EventCandidate, EventMeeting, EventRemovedPair
from app.events.scoring import PairScore, pair_scores
from app.feedback.models import Feedback
from app.matches.engine import MatchingEngine
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
    UnplacedRequest,
    load_solvers,
    schedule,
)

MET_FEEDBACK = ("met", "deal")
DEFAULT_TIME_LIMIT_S = 8.0
MIN_TIME_LIMIT_S = 0.5
MAX_TIME_LIMIT_S = 60.0
MIN_SOLVER_S = 0.3  # the solver's least, even when scoring used up the time limit
# Kept back from the solver for storing the schedule: a fixed part plus a part per table-slot.
SAVE_RESERVE_S = 0.3
SAVE_PER_SLOT_TABLE_S = 0.002


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
    """The scheduling problem of the event as it stands: its published meetings to keep, locked meetings, the
    stored schedule to change as little as possible, the pairs removed by hand and the minimum value.
    published_only=False treats every stored meeting as published (to validate the stored schedule)."""
    slots = tuple(Slot(s.code, datetime.combine(event.date, s.starts_at), s.minutes)
                  for s in sorted(event.slots, key=lambda s: s.starts_at) if s.kind == "meeting")
    participants = tuple(
        Participant(p.organization.external_id, frozenset(event_service.available_slots(event, p)), p.max_meetings)
        for p in event.participants)
    candidates = tuple(CandidatePair(c.a.organization.external_id, c.b.organization.external_id, c.value)
                       for c in _candidates(db_session, event))
    requests = tuple(Request(r.requester.organization.external_id, r.target.organization.external_id, r.kind)  # type: ignore[arg-type]
                     for r in event_service.list_requests(db_session=db_session, event=event))
    stored = _meetings(db_session, event)
    kept = [m for m in stored if m.published or not published_only]
    return SchedulingProblem(slots, event.tables, participants, candidates, requests,
                             already_met(db_session=db_session, event=event), tuple(_as_meeting(m) for m in kept),
                             locked=tuple(_as_meeting(m) for m in stored if m.locked),
                             previous=tuple(_as_meeting(m) for m in stored),
                             removed=removed_pairs(db_session=db_session, event=event),
                             min_value=event.min_value)


def removed_pairs(*, db_session: Session, event: Event) -> frozenset[frozenset[str]]:
    """Member pairs whose meeting the secretariat removed by hand."""
    rows = db_session.scalars(select(EventRemovedPair).where(EventRemovedPair.event_id == event.id).options(
        selectinload(EventRemovedPair.a_org), selectinload(EventRemovedPair.b_org)))
    return frozenset(frozenset((r.a_org.external_id, r.b_org.external_id)) for r in rows)


def _candidates(db_session: Session, event: Event) -> list[EventCandidate]:
    return list(db_session.scalars(select(EventCandidate).where(EventCandidate.event_id == event.id).options(
        selectinload(EventCandidate.a), selectinload(EventCandidate.b)).order_by(EventCandidate.id)))


def candidates(*, db_session: Session, event: Event) -> list[EventCandidate]:
    """The event's candidate pairs with their values."""
    return _candidates(db_session, event)


def _meetings(db_session: Session, event: Event) -> list[EventMeeting]:
    return list(db_session.scalars(select(EventMeeting).where(EventMeeting.event_id == event.id).options(
        selectinload(EventMeeting.a_org), selectinload(EventMeeting.b_org)).order_by(EventMeeting.id)))


def meetings(*, db_session: Session, event: Event) -> list[EventMeeting]:
    """The event's stored meetings."""
    return _meetings(db_session, event)


def _as_meeting(m: EventMeeting) -> Meeting:
    return Meeting(m.slot_code, m.table_no, m.a_org.external_id, m.b_org.external_id, m.value)


def run_schedule(*, db_session: Session, event: Event, time_limit_s: float = DEFAULT_TIME_LIMIT_S,
                 engine: MatchingEngine | None = None) -> ScheduleResult:
    """Score the pairs with the matching engine (when one is given), schedule the event from its candidates and
    requests, and store the schedule; `time_limit_s` covers all of it, the solver gets what scoring left.

    Meetings that keep their pair keep their id; a published meeting that stays at its slot and table stays
    published, and a locked one stays locked. Refused once outcomes are recorded: the event has taken place.
    """
    started = time.monotonic()
    if not MIN_TIME_LIMIT_S <= time_limit_s <= MAX_TIME_LIMIT_S:
        raise error(InvalidInput, "invalid.event_time_limit", field="time_limit_s", limit=MAX_TIME_LIMIT_S)
    if any(m.outcome is not None for m in _meetings(db_session, event)):
        raise error(Conflict, "conflict.event_schedule_held", event=event.code)
    load_solvers()  # inside the clock: a fresh process pays a second or two for it
    timing: dict[str, float] = {}
    if engine is not None:
        orgs = [p.organization.external_id for p in event.participants]
        store_candidates(db_session=db_session, event=event, scores=pair_scores(engine, orgs))
        timing["score_s"] = time.monotonic() - started
    problem = build_problem(db_session=db_session, event=event)
    left = time_limit_s - (time.monotonic() - started) - _save_reserve(problem)
    result = schedule(problem, time_limit_s=max(MIN_SOLVER_S, left))
    timing["solve_s"] = result.stats.get("solve_s", 0.0)
    _store(db_session, event, result)
    event.scheduled_at = utcnow()
    timing["total_s"] = time.monotonic() - started
    event.schedule_report = report_of(result, min_value=event.min_value, timing=timing)
    db_session.flush()
    return result


def _save_reserve(problem: SchedulingProblem) -> float:
    """Time kept back for turning the result into rows and storing them (measured on SQLite, with room)."""
    return SAVE_RESERVE_S + SAVE_PER_SLOT_TABLE_S * problem.tables * len(problem.slots)


def _store(db_session: Session, event: Event, result: ScheduleResult) -> None:
    """Bring the stored meetings in line with the result, changing only rows that changed."""
    details = {frozenset((c.a.organization.external_id, c.b.organization.external_id)): c.detail
               for c in _candidates(db_session, event)}
    orgs = {p.organization.external_id: p.organization for p in event.participants}
    rows = {frozenset((m.a_org.external_id, m.b_org.external_id)): m for m in _meetings(db_session, event)}
    new = {frozenset((m.a, m.b)): m for m in result.meetings}
    for pair, gone in rows.items():
        if pair not in new:
            db_session.delete(gone)
    db_session.flush()  # a freed table may be taken by another pair below
    for pair, m in new.items():
        row = rows.get(pair)
        if row is None:
            db_session.add(EventMeeting(event_id=event.id, slot_code=m.slot, table_no=m.table, a_org=orgs[m.a],
                                        b_org=orgs[m.b], value=m.value, detail=details.get(pair)))
            continue
        if (row.slot_code, row.table_no) != (m.slot, m.table):
            row.slot_code, row.table_no, row.published, row.locked = m.slot, m.table, False, False
        row.value, row.detail = m.value, details.get(pair)


def report_of(result: ScheduleResult, *, min_value: float = 0.0,
              timing: dict[str, float] | None = None) -> dict[str, Any]:
    """What a run found, stored with the event so exports and agendas can explain it later."""
    bound = result.upper_bound
    return {
        "status": result.status,
        "objective": round(result.objective, 6),
        "upper_bound": None if bound is None else round(bound, 6),
        "bound_method": result.bound_method,
        "ratio": round(result.objective / bound, 6) if bound else None,
        "meetings": len(result.meetings),
        "min_value": min_value,
        "counts": dict(result.counts),
        "infeasible_must_meet": [{"requester": a, "target": b, "reason": why}
                                 for a, b, why in result.infeasible_must_meet],
        "unplaced_requests": [{"requester": u.requester, "target": u.target, "kind": u.kind, "reason": u.reason}
                              for u in result.unplaced_requests],
        "unscheduled": dict(result.unscheduled),
        "published_changes": [{"slot": m.slot, "table": m.table, "a": m.a, "b": m.b, "change": why}
                              for m, why in result.published_changes],
        "lock_changes": [{"slot": m.slot, "table": m.table, "a": m.a, "b": m.b, "change": why}
                         for m, why in result.lock_changes],
        "notes": list(result.notes),
        "solve_s": round(result.stats.get("solve_s", 0.0), 3),
        "timing": {k: round(v, 3) for k, v in (timing or {}).items()},
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
    def changes(key: str) -> list[tuple[Meeting, str]]:
        return [(Meeting(c["slot"], c["table"], c["a"], c["b"], 0.0), c["change"]) for c in report.get(key, [])]

    return ScheduleResult(
        meetings=rows,
        objective=float(report.get("objective", sum(m.value for m in rows))),
        upper_bound=report.get("upper_bound"),
        status=report.get("status", "greedy"),
        infeasible_must_meet=[(x["requester"], x["target"], x["reason"])
                              for x in report.get("infeasible_must_meet", [])],
        unscheduled=dict(report.get("unscheduled", {})),
        published_changes=changes("published_changes"),
        bound_method=report.get("bound_method", "lp"),
        notes=list(report.get("notes", [])),
        lock_changes=changes("lock_changes"),
        unplaced_requests=[UnplacedRequest(x["requester"], x["target"], x["kind"], x["reason"])
                           for x in report.get("unplaced_requests", [])],
        counts=dict(report.get("counts", {})),
    )
