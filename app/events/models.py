"""Matching events (商談会): time slots, participants, requests, candidate pairs and meetings."""

from datetime import date, datetime, time
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    Time,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Base, utcnow
from app.roster.models import Organization

SLOT_MINUTES = (15, 20, 30)
SLOT_KINDS = ("meeting", "break")
REQUEST_KINDS = ("must_meet", "would_like", "do_not_meet")
OUTCOMES = ("did_not_take_place", "insufficient_interest", "informative_no_cooperation", "cooperation_possible")
# Outcomes that mean the two members actually sat down together.
MET_OUTCOMES = frozenset(OUTCOMES[1:])


class Event(Base):
    """One matching event; `schedule_report` keeps what the last scheduling run found.

    `min_value`: recommended pairs (nobody asked for them) below this value are not scheduled. `slot_plan`: the
    plan the slots were computed from (start, count, minutes, changeover, lunch, breaks), or null when they
    were given one by one.
    """

    __tablename__ = "events"
    __table_args__ = (
        CheckConstraint("tables >= 0", name="tables"),
        CheckConstraint("default_max_meetings >= 0", name="default_max_meetings"),
        CheckConstraint("min_value >= 0", name="min_value"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    date: Mapped[date] = mapped_column(Date)
    venue: Mapped[str] = mapped_column(String(200))
    tables: Mapped[int] = mapped_column(Integer)
    default_max_meetings: Mapped[int] = mapped_column(Integer, default=6)
    min_value: Mapped[float] = mapped_column(Float)
    slot_plan: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # Members register themselves on the web pages until then; null: registration is not open to members.
    registration_closes_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    scheduled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    schedule_report: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)

    slots: Mapped[list["EventSlot"]] = relationship(cascade="all, delete-orphan", order_by="EventSlot.starts_at")
    participants: Mapped[list["EventParticipant"]] = relationship(
        cascade="all, delete-orphan", order_by="EventParticipant.id")
    requests: Mapped[list["EventRequest"]] = relationship(cascade="all, delete-orphan", order_by="EventRequest.id")
    candidates: Mapped[list["EventCandidate"]] = relationship(cascade="all, delete-orphan")
    meetings: Mapped[list["EventMeeting"]] = relationship(cascade="all, delete-orphan", order_by="EventMeeting.id")
    removed_pairs: Mapped[list["EventRemovedPair"]] = relationship(cascade="all, delete-orphan")


class EventSlot(Base):
    """A meeting slot (15, 20 or 30 minutes) or a break, on the event's day."""

    __tablename__ = "event_slots"
    __table_args__ = (
        UniqueConstraint("event_id", "code", name="uq_event_slots_event_id_code"),
        CheckConstraint("kind IN ('meeting', 'break')", name="kind"),
        CheckConstraint("minutes > 0", name="minutes"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(16))
    starts_at: Mapped[time] = mapped_column(Time)
    minutes: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(8), default="meeting")
    label: Mapped[str | None] = mapped_column(String(100))


class EventParticipant(Base):
    """A member taking part; `available_slots` null means every meeting slot."""

    __tablename__ = "event_participants"
    __table_args__ = (
        UniqueConstraint("event_id", "organization_id", name="uq_event_participants_event_id_organization_id"),
        CheckConstraint("max_meetings >= 0", name="max_meetings"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"), index=True)
    available_slots: Mapped[list[str] | None] = mapped_column(JSON)
    max_meetings: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    organization: Mapped[Organization] = relationship()


class EventRequest(Base):
    """What a participant asks for about another one: must_meet, would_like or do_not_meet."""

    __tablename__ = "event_requests"
    __table_args__ = (
        UniqueConstraint("event_id", "requester_id", "target_id", name="uq_event_requests_event_id_requester_id"),
        CheckConstraint("kind IN ('must_meet', 'would_like', 'do_not_meet')", name="kind"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    requester_id: Mapped[int] = mapped_column(ForeignKey("event_participants.id", ondelete="CASCADE"), index=True)
    target_id: Mapped[int] = mapped_column(ForeignKey("event_participants.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    requester: Mapped[EventParticipant] = relationship(foreign_keys=[requester_id])
    target: Mapped[EventParticipant] = relationship(foreign_keys=[target_id])


class EventCandidate(Base):
    """A pair the matching proposes, with its value (both directions summed) and the need–seed pairs behind it."""

    __tablename__ = "event_candidates"
    __table_args__ = (UniqueConstraint("event_id", "a_id", "b_id", name="uq_event_candidates_event_id_a_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    a_id: Mapped[int] = mapped_column(ForeignKey("event_participants.id", ondelete="CASCADE"), index=True)
    b_id: Mapped[int] = mapped_column(ForeignKey("event_participants.id", ondelete="CASCADE"), index=True)
    value: Mapped[float] = mapped_column(Float)
    detail: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)

    a: Mapped[EventParticipant] = relationship(foreign_keys=[a_id])
    b: Mapped[EventParticipant] = relationship(foreign_keys=[b_id])


class EventMeeting(Base):
    """A scheduled 1:1 meeting. It names members, not participants, so a published meeting outlives a
    participant's withdrawal and the next run can report what changed. A `locked` meeting was fixed by the
    secretariat: scheduling runs keep it exactly (slot, table, pair)."""

    __tablename__ = "event_meetings"
    __table_args__ = (
        CheckConstraint(
            "outcome IS NULL OR outcome IN ('did_not_take_place', 'insufficient_interest', "
            "'informative_no_cooperation', 'cooperation_possible')", name="outcome"),
        CheckConstraint("table_no >= 1", name="table_no"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    slot_code: Mapped[str] = mapped_column(String(16))
    table_no: Mapped[int] = mapped_column(Integer)
    a_org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"), index=True)
    b_org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"), index=True)
    value: Mapped[float] = mapped_column(Float)
    detail: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)
    published: Mapped[bool] = mapped_column(Boolean, default=False)
    locked: Mapped[bool] = mapped_column(Boolean, default=False)
    outcome: Mapped[str | None] = mapped_column(String(32))
    outcome_note: Mapped[str | None] = mapped_column(Text)
    outcome_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    a_org: Mapped[Organization] = relationship(foreign_keys=[a_org_id])
    b_org: Mapped[Organization] = relationship(foreign_keys=[b_org_id])


class EventRemovedPair(Base):
    """Two members whose meeting the secretariat removed by hand: scheduling runs do not pair them again until a
    meeting of theirs is added by hand. `a_org_id` < `b_org_id`."""

    __tablename__ = "event_removed_pairs"
    __table_args__ = (
        UniqueConstraint("event_id", "a_org_id", "b_org_id", name="uq_event_removed_pairs_event_id_a_org_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    a_org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    b_org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    a_org: Mapped[Organization] = relationship(foreign_keys=[a_org_id])
    b_org: Mapped[Organization] = relationship(foreign_keys=[b_org_id])
