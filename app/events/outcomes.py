"""After the event: each meeting's outcome, the feedback it feeds, agendas and the event report."""

from collections import Counter
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db import utcnow
from app.errors import InvalidInput, NotFound
from app.events import planning
from app.events import service as event_service
from app.events.models import MET_OUTCOMES, OUTCOMES, Event, EventMeeting
from app.feedback import service as feedback_service
from app.messages import choices, error
from app.roster.models import Need, Seed
from app.schemas import DB_INT
from matching.scheduling import reason_ja

MAX_MEETING_ID = DB_INT  # meeting ids are INTEGER columns: the largest id every database can store
OUTCOMES_JA = {
    "did_not_take_place": "実施されず",
    "insufficient_interest": "関心が合わず",
    "informative_no_cooperation": "情報交換（協業なし）",
    "cooperation_possible": "協業の可能性あり",
}


def get_meeting(*, db_session: Session, event: Event, meeting_id: int) -> EventMeeting:
    """One meeting of the event, or NotFound."""
    # Ids beyond the database's integers cannot exist, and the driver would fail on them.
    meeting = db_session.get(EventMeeting, meeting_id) if 1 <= meeting_id <= MAX_MEETING_ID else None
    if meeting is None or meeting.event_id != event.id:
        raise error(NotFound, "not_found.event_meeting", event=event.code, meeting=meeting_id)
    return meeting


def record_outcome(*, db_session: Session, event: Event, meeting: EventMeeting, outcome: str,
                   note: str | None = None, api_key_id: int | None = None) -> EventMeeting:
    """Mark what came of the meeting. A meeting that took place is recorded as `met` feedback on the need–seed
    pairs behind it, so matching and later events know the two members have met."""
    if outcome not in OUTCOMES:
        raise error(InvalidInput, "invalid.event_outcome", field="outcome", allowed=choices(OUTCOMES))
    first_met = outcome in MET_OUTCOMES and meeting.outcome not in MET_OUTCOMES
    meeting.outcome, meeting.outcome_note, meeting.outcome_at = outcome, note, utcnow()
    if first_met:
        for pair in meeting.detail or []:
            need = db_session.scalar(select(Need).where(Need.external_id == pair["need"]))
            seed = db_session.scalar(select(Seed).where(Seed.external_id == pair["seed"]))
            if need is not None and seed is not None and need.organization_id != seed.organization_id:
                feedback_service.give_feedback(db_session=db_session, need=need, seed=seed, status="met",
                                               note=planning.outcome_feedback_note(event, outcome),
                                               organization=None, api_key_id=api_key_id)
    db_session.flush()
    return meeting


def event_report(*, db_session: Session, event: Event) -> dict[str, Any]:
    """Counts for the secretariat: meetings, outcomes, who got none and why."""
    rows = planning.meetings(db_session=db_session, event=event)
    outcomes = Counter(m.outcome or "pending" for m in rows)
    met = {o for m in rows for o in (m.a_org.external_id, m.b_org.external_id)}
    report = event.schedule_report or {}
    return {
        "event": event.code,
        "participants": len(event.participants),
        "meetings": len(rows),
        "published": sum(m.published for m in rows),
        "outcomes": {o: outcomes.get(o, 0) for o in (*OUTCOMES, "pending")},
        "took_place": sum(outcomes.get(o, 0) for o in MET_OUTCOMES),
        "participants_without_meeting": sorted(p.organization.external_id for p in event.participants
                                               if p.organization.external_id not in met),
        "unscheduled": report.get("unscheduled", {}),
        "infeasible_must_meet": report.get("infeasible_must_meet", []),
        "schedule": {k: report.get(k) for k in ("status", "objective", "upper_bound", "ratio", "bound_method")},
    }


# The reasons given here, in Japanese; the scheduler's own reasons are translated by reason_ja.
_REASONS_JA = {
    "not scheduled yet": "スケジュールはまだ作成されていません",
    "no published meeting yet": "スケジュールはまだ公開されていません",
    "no published meeting": "公開された商談はありません",
    "registered after the last scheduling run: schedule again":
        "最後のスケジュール作成の後に登録されました（スケジュールを作成し直してください）",
    "its meetings were removed by hand: schedule again or add one":
        "商談が事務局によって外されました（スケジュールを作成し直すか、商談を追加してください）",
}


def _in_japanese(reason: str | None) -> str | None:
    return None if reason is None else _REASONS_JA.get(reason) or reason_ja(reason)


def localized_reason(reason: str, lang: str) -> str:
    """Why a participant has no meeting, in the page's language (the scheduler words it in English)."""
    return (_in_japanese(reason) or reason) if lang == "ja" else reason


def _no_meeting_reason(event: Event, organization: str, published_only: bool) -> str:
    unscheduled = (event.schedule_report or {}).get("unscheduled", {})
    if organization in unscheduled:
        return str(unscheduled[organization])
    if event.scheduled_at is None:
        return "not scheduled yet"
    if published_only:
        return "no published meeting yet" if event.published_at is None else "no published meeting"
    return "registered after the last scheduling run: schedule again"


FREE_TIME = ("free time", "空き時間")
NOT_ATTENDING = ("not attending", "不参加")


def agenda(*, db_session: Session, event: Event, organization: str, published_only: bool) -> dict[str, Any]:
    """One participant's meetings in time order, with partners and why they were paired; or why there are none.
    `timetable` lists every slot of the event: a meeting, free time (空き時間), not attending, or a break."""
    participant = event_service.get_participant(event=event, organization=organization)
    slots = {s.code: s for s in event.slots}
    entries = []
    for m in planning.meetings(db_session=db_session, event=event):
        if published_only and not m.published:
            continue
        if organization not in (m.a_org.external_id, m.b_org.external_id):
            continue
        partner = m.b_org if m.a_org.external_id == organization else m.a_org
        slot = slots.get(m.slot_code)
        entries.append({
            "meeting": m.id, "slot": m.slot_code, "start": slot.starts_at.strftime("%H:%M") if slot else None,
            "minutes": slot.minutes if slot else None, "table": m.table_no,
            "partner": {"id": partner.external_id, "name": partner.name, "prefecture": partner.prefecture},
            "value": m.value, "pairs": m.detail or [], "topics": topics(m.detail), "outcome": m.outcome,
            "locked": m.locked,
        })
    entries.sort(key=lambda e: (e["start"] or "", e["slot"]))
    report = event.schedule_report or {}
    reason = None if entries else _no_meeting_reason(event, organization, published_only)
    available = event_service.available_slots(event, participant)
    return {
        "event": event.code, "organization": organization, "name": participant.organization.name,
        "max_meetings": participant.max_meetings,
        "available_slots": available,
        "meetings": entries, "timetable": _timetable(event, available, entries),
        "no_meeting_reason": reason, "no_meeting_reason_ja": _in_japanese(reason),
        "must_meet_not_placed": [x for x in report.get("infeasible_must_meet", [])
                                 if organization in (x["requester"], x["target"])],
        "requests_not_placed": [x for x in report.get("unplaced_requests", [])
                                if organization in (x["requester"], x["target"])],
    }


def topics(detail: list[dict[str, Any]] | None) -> list[str]:
    """What the two can talk about: each need ↔ seed behind the meeting, with the concepts they share."""
    out = []
    for pair in detail or []:
        text = f"{pair.get('need_title') or pair.get('need')} ↔ {pair.get('seed_title') or pair.get('seed')}"
        concepts = pair.get("concepts") or []
        out.append(text + (f"（{'・'.join(concepts)}）" if concepts else ""))
    return out


def _timetable(event: Event, available: list[str], entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    by_slot = {e["slot"]: e for e in entries}
    rows = []
    for s in sorted(event.slots, key=lambda s: s.starts_at):
        end = (datetime.combine(event.date, s.starts_at) + timedelta(minutes=s.minutes)).strftime("%H:%M")
        row: dict[str, Any] = {"slot": s.code, "start": s.starts_at.strftime("%H:%M"), "end": end,
                               "minutes": s.minutes}
        if s.kind == "break":
            row |= {"kind": "break", "label": "lunch" if s.label == event_service.LUNCH_LABEL else "break",
                    "label_ja": s.label or event_service.BREAK_LABEL}
        elif s.code in by_slot:
            meeting = by_slot[s.code]
            row |= {"kind": "meeting", "meeting": meeting["meeting"], "table": meeting["table"],
                    "partner": meeting["partner"], "topics": meeting["topics"]}
        elif s.code in available:
            row |= {"kind": "free", "label": FREE_TIME[0], "label_ja": FREE_TIME[1]}
        else:
            row |= {"kind": "unavailable", "label": NOT_ATTENDING[0], "label_ja": NOT_ATTENDING[1]}
        rows.append(row)
    return rows
