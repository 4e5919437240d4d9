"""Events, their slots, participants and requests: create, read, change. Services only flush."""

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from app.db import as_utc
from app.errors import Conflict, InvalidInput, NotFound
from app.events.models import (
    REQUEST_KINDS,
    SLOT_MINUTES,
    Event,
    EventMeeting,
    EventParticipant,
    EventRequest,
    EventSlot,
)
from app.messages import Phrase, choices, error, phrase
from app.roster.models import Organization

DEFAULT_MAX_MEETINGS = 6
# A recommended pair (nobody asked for it) needs this value to be scheduled. Pair values sum the best topical
# need–seed match of each side (app/events/scoring.py); on both labelled rosters a topic and 4.0 kept 94–95 % of
# the grade-2 (clearly relevant) matches and 16–18 % of those not judged relevant (`python -m bench.min_value`).
DEFAULT_MIN_VALUE = 4.0
LUNCH_LABEL = "昼食"
BREAK_LABEL = "休憩"


@dataclass(frozen=True)
class SlotSpec:
    """One slot as the secretariat gives it; `code` defaults to S01, S02, … (B1, B2, … for breaks)."""

    start: time
    minutes: int
    kind: str = "meeting"
    label: str | None = None
    code: str | None = None


@dataclass(frozen=True)
class SlotPlan:
    """Meeting slots computed from a start time: `count` meetings of `minutes`, `changeover` minutes between
    two meetings (to change tables), a lunch break and other breaks after given slots (1-based)."""

    start: time
    count: int
    minutes: int
    changeover: int = 0
    lunch: tuple[int, int] | None = None  # (after slot, minutes)
    breaks: tuple[tuple[int, int], ...] = ()  # (after slot, minutes)

    def to_json(self) -> dict[str, Any]:
        """As stored with the event."""
        return {"start": self.start.strftime("%H:%M"), "count": self.count, "minutes": self.minutes,
                "changeover_minutes": self.changeover,
                "lunch": None if self.lunch is None else {"after": self.lunch[0], "minutes": self.lunch[1]},
                "breaks": [{"after": a, "minutes": m} for a, m in self.breaks]}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "SlotPlan":
        """The plan stored with an event."""
        lunch = data.get("lunch")
        return cls(start=datetime.strptime(data["start"], "%H:%M").time(), count=int(data["count"]),
                   minutes=int(data["minutes"]), changeover=int(data.get("changeover_minutes", 0)),
                   lunch=None if not lunch else (int(lunch["after"]), int(lunch["minutes"])),
                   breaks=tuple((int(b["after"]), int(b["minutes"])) for b in data.get("breaks", [])))

    def specs(self) -> list[SlotSpec]:
        """The slots of the plan, in time order; a break after the last slot is refused."""
        return plan_slots(start=self.start, count=self.count, minutes=self.minutes, changeover=self.changeover,
                          lunch=self.lunch, breaks=dict(self.breaks))


def plan_slots(*, start: time, count: int, minutes: int, breaks: dict[int, int] | None = None, changeover: int = 0,
               lunch: tuple[int, int] | None = None) -> list[SlotSpec]:
    """`count` meeting slots from `start`, `changeover` minutes apart; breaks maps 'after slot n' to its length
    in minutes, and `lunch` is one more break (after slot, minutes) labelled 昼食. A break starts when the
    meeting before it ends; no changeover is added around it."""
    if count < 1:
        raise error(InvalidInput, "invalid.event_slot_count", field="count")
    if not 0 <= changeover <= MAX_CHANGEOVER:
        raise error(InvalidInput, "invalid.event_changeover", field="changeover_minutes", max=MAX_CHANGEOVER)
    pauses = {after: (length, BREAK_LABEL) for after, length in (breaks or {}).items()}
    if lunch is not None:
        if lunch[0] in pauses:
            raise error(InvalidInput, "invalid.event_lunch_and_break", field="lunch", after=lunch[0])
        pauses[lunch[0]] = (lunch[1], LUNCH_LABEL)
    for after, (length, label) in pauses.items():
        field = "lunch" if label == LUNCH_LABEL else "breaks"
        if not 1 <= after < count:
            raise error(InvalidInput, "invalid.event_break_after", field=field, after=after, last=count - 1)
        if not 1 <= length <= 24 * 60:
            raise error(InvalidInput, "invalid.event_break_minutes", field=field)
    at = datetime.combine(date(2000, 1, 1), start.replace(tzinfo=None))  # wall-clock times at the venue
    specs = []
    for n in range(1, count + 1):
        specs.append(SlotSpec(at.time(), minutes))
        at += timedelta(minutes=minutes)
        if n in pauses:
            length, label = pauses[n]
            specs.append(SlotSpec(at.time(), length, "break", label))
            at += timedelta(minutes=length)
        elif n < count:
            at += timedelta(minutes=changeover)
        if at > _MIDNIGHT:
            raise error(InvalidInput, "invalid.event_slots_past_midnight", field="count")
    return specs


MAX_CHANGEOVER = 60


# Slots live on the event's day (a time of day each): none may run into the next day.
_MIDNIGHT = datetime.combine(date(2000, 1, 2), time(0))


def _slot_rows(specs: list[SlotSpec]) -> list[EventSlot]:
    specs = sorted(specs, key=lambda s: s.start.replace(tzinfo=None))
    rows, meetings, breaks = [], 0, 0
    for spec in specs:
        if spec.kind not in ("meeting", "break"):
            raise error(InvalidInput, "invalid.event_slot_kind", field="slots")
        if spec.kind == "meeting" and spec.minutes not in SLOT_MINUTES:
            raise error(InvalidInput, "invalid.event_slot_minutes", field="slots", minutes=spec.minutes)
        if spec.kind == "break" and not 1 <= spec.minutes <= 24 * 60:
            raise error(InvalidInput, "invalid.event_break_minutes", field="slots")
        if spec.kind == "meeting":
            meetings += 1
            code = spec.code or f"S{meetings:02d}"
        else:
            breaks += 1
            code = spec.code or f"B{breaks}"
        # Slot times are wall-clock times at the venue: an offset sent with one is dropped.
        rows.append(EventSlot(code=code, starts_at=spec.start.replace(tzinfo=None), minutes=spec.minutes,
                              kind=spec.kind, label=spec.label))
    _check_slots(rows)
    return rows


def _check_slots(rows: list[EventSlot]) -> None:
    codes = [r.code for r in rows]
    if len(set(codes)) != len(codes):
        raise error(InvalidInput, "invalid.event_slot_codes", field="slots")
    for row in rows:
        if datetime.combine(date(2000, 1, 1), row.starts_at) + timedelta(minutes=row.minutes) > _MIDNIGHT:
            raise error(InvalidInput, "invalid.event_slot_past_midnight", field="slots", slot=row.code,
                        start=f"{row.starts_at:%H:%M}", minutes=row.minutes)
    for before, after in zip(rows, rows[1:], strict=False):
        end = datetime.combine(date(2000, 1, 1), before.starts_at) + timedelta(minutes=before.minutes)
        if end.time() > after.starts_at and end.date() == date(2000, 1, 1):
            raise error(InvalidInput, "invalid.event_slot_overlap", field="slots", slot=before.code,
                        end=f"{end:%H:%M}", next=after.code, next_start=f"{after.starts_at:%H:%M}")
    if not any(r.kind == "meeting" for r in rows):
        raise error(InvalidInput, "invalid.event_meeting_slots", field="slots")


def _next_code(db_session: Session) -> str:
    count = db_session.scalar(select(func.count(Event.id))) or 0
    code = f"EV-{count + 1:04d}"
    while db_session.scalar(select(Event.id).where(Event.code == code)) is not None:
        count += 1
        code = f"EV-{count + 1:04d}"
    return code


def create_event(*, db_session: Session, name: str, date: date, venue: str, tables: int,
                 slots: list[SlotSpec] | SlotPlan, default_max_meetings: int = DEFAULT_MAX_MEETINGS,
                 min_value: float = DEFAULT_MIN_VALUE, code: str | None = None,
                 registration_closes_at: datetime | None = None) -> Event:
    """A new event with its slots (one by one, or a plan that is kept to be edited later); the code defaults to
    the next EV-nnnn."""
    if tables < 1:
        raise error(InvalidInput, "invalid.event_tables", field="tables")
    _check_min_value(min_value)
    if code is not None and db_session.scalar(select(Event.id).where(Event.code == code)) is not None:
        raise error(Conflict, "conflict.event_exists", field="code", id=code)
    plan = slots.to_json() if isinstance(slots, SlotPlan) else None
    specs = slots.specs() if isinstance(slots, SlotPlan) else slots
    event = Event(code=code or _next_code(db_session), name=name, date=date, venue=venue, tables=tables,
                  default_max_meetings=default_max_meetings, min_value=min_value, slot_plan=plan,
                  registration_closes_at=_in_utc(registration_closes_at), slots=_slot_rows(specs))
    db_session.add(event)
    db_session.flush()
    return event


def _check_min_value(value: float | None) -> None:
    if value is None or not 0 <= value <= MAX_MIN_VALUE:
        raise error(InvalidInput, "invalid.event_min_value", field="min_value", max=MAX_MIN_VALUE)


MAX_MIN_VALUE = 1000.0


def event_plan(event: Event) -> SlotPlan | None:
    """The plan the event's slots were computed from, or None when they were given one by one."""
    return None if event.slot_plan is None else SlotPlan.from_json(event.slot_plan)


def replan(event: Event, **changes: Any) -> SlotPlan:
    """The event's slot plan with some of its fields changed (start, count, minutes, changeover, lunch, breaks);
    an event whose slots were given one by one has no plan to change: InvalidInput."""
    plan = event_plan(event)
    if plan is None:
        raise error(InvalidInput, "invalid.event_no_plan", field="plan", event=event.code)
    return replace(plan, **changes)


def _in_utc(value: datetime | None) -> datetime | None:
    """The time in UTC: SQLite keeps the wall-clock digits of a time and drops its offset."""
    return None if value is None else value.astimezone(UTC)


def registration_open(event: Event, now: datetime) -> bool:
    """Whether members may still register themselves and change their requests: a deadline is set, it has not
    passed, and no schedule is published yet."""
    closes = event.registration_closes_at
    if closes is None or event.published_at is not None:
        return False
    return now < as_utc(closes)


def check_registration(event: Event, now: datetime) -> None:
    """Conflict once the event's registration deadline has passed: members no longer change their registration
    or requests themselves (the secretariat still does). Events without a deadline never close."""
    closes = event.registration_closes_at
    if closes is None:
        return
    if now >= as_utc(closes):
        raise error(Conflict, "conflict.event_registration_closed", event=event.code,
                    closes=closes.strftime("%Y-%m-%d %H:%M UTC"))


def get_event(*, db_session: Session, code: str) -> Event:
    """The event with this code, or NotFound."""
    event = db_session.scalar(select(Event).where(Event.code == code).options(
        selectinload(Event.slots),
        selectinload(Event.participants).selectinload(EventParticipant.organization)))
    if event is None:
        raise error(NotFound, "not_found.event", id=code)
    return event


def list_events(*, db_session: Session) -> list[Event]:
    """Every event, latest date first."""
    return list(db_session.scalars(select(Event).options(selectinload(Event.slots))
                                   .order_by(Event.date.desc(), Event.id.desc())))


def update_event(*, db_session: Session, event: Event, changes: dict[str, Any],
                 slots: list[SlotSpec] | SlotPlan | None = None) -> Event:
    """Change the event's fields; new slots (a list or a plan) replace the old (meetings in removed slots move on
    the next run)."""
    if "tables" in changes and (changes["tables"] is None or changes["tables"] < 1):
        raise error(InvalidInput, "invalid.event_tables", field="tables")
    if "min_value" in changes:
        _check_min_value(changes["min_value"])
    for name, value in changes.items():
        if value is None and name in ("name", "date", "venue", "default_max_meetings"):
            raise error(InvalidInput, "invalid.event_empty", field=name)
    if changes.get("registration_closes_at") is not None:
        changes = {**changes, "registration_closes_at": _in_utc(changes["registration_closes_at"])}
    specs = slots.specs() if isinstance(slots, SlotPlan) else slots
    rows = None if specs is None else _slot_rows(specs)
    if _held_meetings(db_session, event):
        _keep_tables_and_slots(event, changes.get("tables", event.tables), rows)
    for name, value in changes.items():
        setattr(event, name, value)
    if rows is not None:
        event.slot_plan = slots.to_json() if isinstance(slots, SlotPlan) else None
        event.slots.clear()
        db_session.flush()  # the old codes must be gone before the new rows reuse them
        event.slots.extend(rows)
    db_session.flush()
    return event


def _held_meetings(db_session: Session, event: Event) -> list[EventMeeting]:
    """The event's meetings once any has an outcome (the event took place): changes must keep them valid.
    Before that, the next scheduling run adapts the meetings to any change."""
    rows = list(db_session.scalars(select(EventMeeting).where(EventMeeting.event_id == event.id).options(
        selectinload(EventMeeting.a_org), selectinload(EventMeeting.b_org))))
    return rows if any(m.outcome is not None for m in rows) else []


def _meeting_slot_times(rows: list[EventSlot]) -> list[tuple[str, time, int]]:
    return sorted((r.code, r.starts_at, r.minutes) for r in rows if r.kind == "meeting")


def _keep_tables_and_slots(event: Event, tables: int, rows: list[EventSlot] | None) -> None:
    if tables != event.tables:
        raise error(Conflict, "conflict.event_tables_held", field="tables", event=event.code, tables=event.tables)
    if rows is not None and _meeting_slot_times(rows) != _meeting_slot_times(event.slots):
        raise error(Conflict, "conflict.event_slots_held", field="slots", event=event.code)


def _meets(meeting: EventMeeting, *organizations: str) -> bool:
    return set(organizations) <= {meeting.a_org.external_id, meeting.b_org.external_id}


def delete_event(*, db_session: Session, event: Event) -> None:
    """Remove the event with everything in it."""
    db_session.delete(event)
    db_session.flush()


def meeting_slot_codes(event: Event) -> list[str]:
    """Codes of the meeting slots, in time order."""
    return [s.code for s in sorted(event.slots, key=lambda s: s.starts_at) if s.kind == "meeting"]


# --- participants ---------------------------------------------------------------------------------


def _organization(db_session: Session, external_id: str) -> Organization:
    org = db_session.scalar(select(Organization).where(Organization.external_id == external_id))
    if org is None:
        raise error(NotFound, "not_found.event_member", field="organization", id=external_id)
    return org


def _check_available(event: Event, available: list[str] | None) -> list[str] | None:
    if available is None:
        return None
    codes = meeting_slot_codes(event)
    unknown = [s for s in available if s not in codes]
    if unknown:
        raise error(InvalidInput, "invalid.event_unknown_slots", field="available_slots", unknown=choices(unknown),
                    slots=choices(codes))
    return sorted(set(available), key=codes.index)


def get_participant(*, event: Event, organization: str) -> EventParticipant:
    """The event's participant for this member id, or NotFound."""
    for p in event.participants:
        if p.organization.external_id == organization:
            return p
    raise error(NotFound, "not_found.event_participant", field="organization", org=organization, event=event.code)


def add_participant(*, db_session: Session, event: Event, organization: str, available_slots: list[str] | None = None,
                    max_meetings: int | None = None) -> EventParticipant:
    """Register a member for the event; registering again is a Conflict."""
    org = _organization(db_session, organization)
    if any(p.organization_id == org.id for p in event.participants):
        raise error(Conflict, "conflict.event_participant_exists", field="organization", org=organization,
                    event=event.code)
    if max_meetings is not None and max_meetings < 0:
        raise error(InvalidInput, "invalid.event_max_meetings_negative", field="max_meetings")
    participant = EventParticipant(organization=org, available_slots=_check_available(event, available_slots),
                                   max_meetings=event.default_max_meetings if max_meetings is None else max_meetings)
    event.participants.append(participant)
    db_session.flush()
    return participant


def update_participant(*, db_session: Session, event: Event, participant: EventParticipant,
                       changes: dict[str, Any]) -> EventParticipant:
    """Change availability (null = every slot) or the maximum number of meetings."""
    available = participant.available_slots
    if "available_slots" in changes:
        available = _check_available(event, changes["available_slots"])
    maximum = changes.get("max_meetings", participant.max_meetings)
    if maximum is None or maximum < 0:
        raise error(InvalidInput, "invalid.event_max_meetings", field="max_meetings")
    _keep_participant_meetings(db_session, event, participant, available, maximum)
    participant.available_slots, participant.max_meetings = available, maximum
    db_session.flush()
    return participant


def _keep_participant_meetings(db_session: Session, event: Event, participant: EventParticipant,
                               available: list[str] | None, maximum: int) -> None:
    org = participant.organization.external_id
    held = [m for m in _held_meetings(db_session, event) if _meets(m, org)]
    outside = sorted({m.slot_code for m in held if available is not None and m.slot_code not in available})
    if outside or len(held) > maximum:
        raise error(Conflict, "conflict.event_participant_meetings_held",
                    field="available_slots" if outside else "max_meetings", event=event.code, org=org,
                    count=len(held), slots=choices(sorted(m.slot_code for m in held)))


def remove_participant(*, db_session: Session, event: Event, participant: EventParticipant) -> None:
    """Withdraw a member; its requests go too, its meetings are dropped on the next run."""
    org = participant.organization.external_id
    if any(_meets(m, org) for m in _held_meetings(db_session, event)):
        raise error(Conflict, "conflict.event_participant_held", field="organization", event=event.code, org=org)
    event.participants.remove(participant)
    db_session.delete(participant)
    db_session.flush()


def available_slots(event: Event, participant: EventParticipant) -> list[str]:
    """The meeting slots the participant can attend (stored codes of removed slots are ignored)."""
    codes = meeting_slot_codes(event)
    if participant.available_slots is None:
        return codes
    return [c for c in codes if c in participant.available_slots]


# --- requests -------------------------------------------------------------------------------------

# What a meeting that took place refuses, worded for both languages of conflict.event_pair_held.
_NO_DO_NOT_MEET = phrase("conflict.event_pair_no_do_not_meet")
_NO_WITHDRAWAL = phrase("conflict.event_pair_no_withdrawal")



def list_requests(*, db_session: Session, event: Event, requester: str | None = None) -> list[EventRequest]:
    """The event's requests, optionally only one member's."""
    rows = db_session.scalars(select(EventRequest).where(EventRequest.event_id == event.id).options(
        selectinload(EventRequest.requester).selectinload(EventParticipant.organization),
        selectinload(EventRequest.target).selectinload(EventParticipant.organization)).order_by(EventRequest.id))
    return [r for r in rows if requester is None or r.requester.organization.external_id == requester]


def set_request(*, db_session: Session, event: Event, requester: str, target: str, kind: str) -> EventRequest:
    """Record what the requester wants about the target; a later request about the same target replaces it."""
    if kind not in REQUEST_KINDS:
        raise error(InvalidInput, "invalid.event_request_kind", field="kind", allowed=choices(REQUEST_KINDS))
    if requester == target:
        raise error(InvalidInput, "invalid.event_request_self", field="target")
    who = get_participant(event=event, organization=requester)
    try:
        whom = get_participant(event=event, organization=target)
    except NotFound as exc:
        raise error(NotFound, "not_found.event_request_target", field="target", target=target,
                    event=event.code) from exc
    if kind == "do_not_meet":
        _keep_pair_meeting(db_session, event, requester, target, _NO_DO_NOT_MEET)
    existing = db_session.scalar(select(EventRequest).where(
        EventRequest.event_id == event.id, EventRequest.requester_id == who.id, EventRequest.target_id == whom.id))
    if existing is not None:
        existing.kind = kind
        db_session.flush()
        return existing
    request = EventRequest(event_id=event.id, requester=who, target=whom, kind=kind)
    db_session.add(request)
    db_session.flush()
    return request


def delete_request(*, db_session: Session, event: Event, requester: str, target: str) -> None:
    """Withdraw the requester's request about the target."""
    for request in list_requests(db_session=db_session, event=event, requester=requester):
        if request.target.organization.external_id == target:
            withdraw_request(db_session=db_session, event=event, request=request)
            return
    raise error(NotFound, "not_found.event_request", field="target", requester=requester, target=target,
                event=event.code)


def get_request(*, db_session: Session, event: Event, request_id: int) -> EventRequest:
    """One request of the event by its id, or NotFound."""
    for request in list_requests(db_session=db_session, event=event):
        if request.id == request_id:
            return request
    raise error(NotFound, "not_found.event_request_id", field="id", event=event.code, id=request_id)


def withdraw_request(*, db_session: Session, event: Event, request: EventRequest) -> None:
    """Withdraw the request (refused when the two met at the event: it may be why they met)."""
    requester, target = request.requester.organization.external_id, request.target.organization.external_id
    _keep_pair_meeting(db_session, event, requester, target, _NO_WITHDRAWAL)
    db_session.delete(request)
    db_session.flush()


def _keep_pair_meeting(db_session: Session, event: Event, requester: str, target: str, refused: Phrase) -> None:
    """A request must not contradict a meeting of the two that took place (it may be why they met again)."""
    if any(_meets(m, requester, target) for m in _held_meetings(db_session, event)):
        raise error(Conflict, "conflict.event_pair_held", field="target", event=event.code, requester=requester,
                    target=target, refused=refused)
