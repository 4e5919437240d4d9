"""Event requests and responses."""

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, StringConstraints, model_validator

from app.events import service
from app.events.models import Event, EventParticipant, EventRequest
from app.events.service import SlotSpec, available_slots
from app.schemas import ExternalId, RequestModel, Required, Text, UtcDateTime

Name = Annotated[Required, StringConstraints(max_length=200)]
SlotCode = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_\-]{1,16}$")]
RequestKind = Literal["must_meet", "would_like", "do_not_meet"]
MinValue = Annotated[float, Field(ge=0, le=service.MAX_MIN_VALUE, description=(
    "recommended pairs (nobody asked for them) below this value are not scheduled"))]
Outcome = Literal["did_not_take_place", "insufficient_interest", "informative_no_cooperation", "cooperation_possible"]


class SlotIn(RequestModel):
    """One slot: meetings last 15, 20 or 30 minutes; a break any length."""

    start: dt.time
    minutes: Annotated[int, Field(ge=1, le=1440)]
    kind: Literal["meeting", "break"] = "meeting"
    label: Annotated[Text, StringConstraints(max_length=100)] | None = None
    code: SlotCode | None = None


class BreakIn(RequestModel):
    after: Annotated[int, Field(ge=1, description="the break follows this meeting slot (1-based)")]
    minutes: Annotated[int, Field(ge=1, le=1440)]


class SlotPlan(RequestModel):
    """Meeting slots from a start time: `changeover_minutes` between two meetings (to change tables), a lunch
    break and other breaks after given slots. The event keeps the plan, so it can be changed later."""

    start: dt.time
    count: Annotated[int, Field(ge=1, le=100)]
    minutes: Literal[15, 20, 30] = 20
    changeover_minutes: Annotated[int, Field(ge=0, le=60)] = 0
    lunch: BreakIn | None = Field(None, description="lunch break (昼食) after a slot")
    breaks: list[BreakIn] = []

    def plan(self) -> service.SlotPlan:
        """The plan as the service takes it."""
        return service.SlotPlan(start=self.start.replace(tzinfo=None), count=self.count, minutes=self.minutes,
                                changeover=self.changeover_minutes,
                                lunch=None if self.lunch is None else (self.lunch.after, self.lunch.minutes),
                                breaks=tuple((b.after, b.minutes) for b in self.breaks))


class _SlotsMixin(RequestModel):
    slots: Annotated[list[SlotIn] | None, Field(max_length=200)] = None
    plan: SlotPlan | None = None

    @model_validator(mode="after")
    def _one_way(self) -> "_SlotsMixin":
        if self.slots is not None and self.plan is not None:
            raise ValueError("give either slots or plan, not both")
        return self

    def slot_specs(self) -> list[SlotSpec] | service.SlotPlan | None:
        """The slots asked for, if any: a list, or a plan."""
        if self.plan is not None:
            return self.plan.plan()
        if self.slots is not None:
            return [SlotSpec(s.start, s.minutes, s.kind, s.label, s.code) for s in self.slots]
        return None


class EventCreate(_SlotsMixin):
    code: ExternalId | None = None
    name: Name
    date: dt.date
    venue: Name
    tables: Annotated[int, Field(ge=1, le=1000)]
    default_max_meetings: Annotated[int, Field(ge=0, le=100)] = 6
    min_value: MinValue = service.DEFAULT_MIN_VALUE
    registration_closes_at: UtcDateTime | None = Field(None, description=(
        "members register themselves on the web pages until then; null: not open to members"))

    @model_validator(mode="after")
    def _has_slots(self) -> "EventCreate":
        if self.slots is None and self.plan is None:
            raise ValueError("give the time slots: slots (a list) or plan (start, count, minutes, breaks)")
        return self


class EventUpdate(_SlotsMixin):
    name: Name | None = None
    date: dt.date | None = None
    venue: Name | None = None
    tables: Annotated[int, Field(ge=1, le=1000)] | None = None
    default_max_meetings: Annotated[int, Field(ge=0, le=100)] | None = None
    min_value: MinValue | None = None
    registration_closes_at: UtcDateTime | None = None

    def changes(self) -> dict[str, Any]:
        """Only the fields the caller sent."""
        return self.model_dump(exclude_unset=True, exclude={"slots", "plan"})


class SlotRead(BaseModel):
    code: str
    start: str
    end: str
    minutes: int
    kind: str
    label: str | None


class EventRead(BaseModel):
    code: str
    name: str
    date: dt.date
    venue: str
    tables: int
    default_max_meetings: int
    min_value: float
    registration_closes_at: UtcDateTime | None
    plan: dict[str, Any] | None = Field(description="the plan the slots were computed from; null when they were "
                                                    "given one by one")
    slots: list[SlotRead]
    participants: int
    scheduled_at: UtcDateTime | None
    published_at: UtcDateTime | None

    @classmethod
    def of(cls, event: Event) -> "EventRead":
        """The event with its slots."""
        slots = []
        for s in sorted(event.slots, key=lambda s: s.starts_at):
            end = dt.datetime.combine(event.date, s.starts_at) + dt.timedelta(minutes=s.minutes)
            slots.append(SlotRead(code=s.code, start=s.starts_at.strftime("%H:%M"), end=end.strftime("%H:%M"),
                                  minutes=s.minutes, kind=s.kind, label=s.label))
        return cls(code=event.code, name=event.name, date=event.date, venue=event.venue, tables=event.tables,
                   default_max_meetings=event.default_max_meetings, min_value=event.min_value,
                   registration_closes_at=event.registration_closes_at, plan=event.slot_plan, slots=slots,
                   participants=len(event.participants), scheduled_at=event.scheduled_at,
                   published_at=event.published_at)


class ParticipantCreate(RequestModel):
    organization: ExternalId | None = Field(None, description="the member; a member key may leave it out")
    available_slots: list[SlotCode] | None = Field(None, description="slot codes; null means every meeting slot")
    max_meetings: Annotated[int, Field(ge=0, le=100)] | None = None


class ParticipantUpdate(RequestModel):
    available_slots: list[SlotCode] | None = None
    max_meetings: Annotated[int, Field(ge=0, le=100)] | None = None


class ParticipantRead(BaseModel):
    organization: str
    name: str
    prefecture: str
    available_slots: list[str]
    max_meetings: int

    @classmethod
    def of(cls, event: Event, participant: EventParticipant) -> "ParticipantRead":
        """The participant with its slots resolved."""
        org = participant.organization
        return cls(organization=org.external_id, name=org.name, prefecture=org.prefecture,
                   available_slots=available_slots(event, participant), max_meetings=participant.max_meetings)


class RequestCreate(RequestModel):
    requester: ExternalId | None = Field(None, description="the requesting member; a member key may leave it out")
    target: ExternalId
    kind: RequestKind


class RequestRead(BaseModel):
    id: int
    requester: str
    target: str
    kind: str

    @classmethod
    def of(cls, request: EventRequest) -> "RequestRead":
        """The request with member ids."""
        return cls(id=request.id, requester=request.requester.organization.external_id,
                   target=request.target.organization.external_id, kind=request.kind)


class ScheduleRun(RequestModel):
    time_limit_s: Annotated[float, Field(ge=0.5, le=60, description=(
        "for the whole run: scoring, solving and storing"))] = 8.0
    rescore: bool = Field(True, description="recompute pair values with the matching engine first")


class OutcomeIn(RequestModel):
    outcome: Outcome
    note: Annotated[Text, StringConstraints(max_length=2000)] | None = None


class MeetingRead(BaseModel):
    id: int
    slot: str
    table: int
    a: str
    b: str
    value: float
    published: bool
    locked: bool
    outcome: str | None
    pairs: list[dict[str, Any]]


class MeetingCreate(RequestModel):
    """A meeting added by hand (locked: scheduling runs keep it)."""

    a: ExternalId
    b: ExternalId
    slot: SlotCode
    table: Annotated[int, Field(ge=1, le=1000)] | None = Field(None, description="default: the lowest free table")


class MeetingUpdate(RequestModel):
    """Move a meeting (it is then locked there), or lock or unlock it."""

    slot: SlotCode | None = None
    table: Annotated[int, Field(ge=1, le=1000)] | None = None
    locked: bool | None = None

    @model_validator(mode="after")
    def _something(self) -> "MeetingUpdate":
        if self.slot is None and self.table is None and self.locked is None:
            raise ValueError("give slot or table to move the meeting, or locked to lock or unlock it")
        return self
