"""Data model of the meeting scheduler: plain frozen dataclasses, no behaviour."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

RequestKind = Literal["must_meet", "would_like", "do_not_meet"]
Status = Literal["optimal", "feasible", "greedy"]


@dataclass(frozen=True)
class Slot:
    id: str
    start: datetime
    minutes: int


@dataclass(frozen=True)
class Participant:
    id: str
    available_slots: frozenset[str]
    max_meetings: int


@dataclass(frozen=True)
class Request:
    requester: str
    target: str
    kind: RequestKind


@dataclass(frozen=True)
class CandidatePair:
    """Unordered pair; `value` is the caller's score (both directions already summed)."""

    a: str
    b: str
    value: float


@dataclass(frozen=True)
class Meeting:
    """`table` is 1-based; `value` is the candidate value of the pair (0 if it was only requested)."""

    slot: str
    table: int
    a: str
    b: str
    value: float


@dataclass(frozen=True)
class SchedulingProblem:
    slots: tuple[Slot, ...]
    tables: int
    participants: tuple[Participant, ...]
    candidates: tuple[CandidatePair, ...]
    requests: tuple[Request, ...]
    already_met: frozenset[frozenset[str]]
    published: tuple[Meeting, ...] = ()


@dataclass(frozen=True)
class AgendaEntry:
    slot: str
    start: datetime
    minutes: int
    table: int
    partner: str
    value: float


@dataclass(frozen=True)
class ScheduleResult:
    meetings: tuple[Meeting, ...]
    # Sum of meeting values plus would_like bonuses (and any *soft* must/keep bonuses).
    # Strict priorities (the default) are enforced as constraints, not counted here,
    # so `objective / upper_bound` is an honest optimality ratio.
    objective: float
    upper_bound: float | None
    status: Status
    infeasible_must_meet: list[tuple[str, str, str]] = field(default_factory=list)
    unscheduled: dict[str, str] = field(default_factory=dict)
    agendas: dict[str, tuple[AgendaEntry, ...]] = field(default_factory=dict)
    # Published meetings that did not stay at their slot and table, with what happened.
    published_changes: list[tuple[Meeting, str]] = field(default_factory=list)
    bound_method: str = "lp"
    notes: list[str] = field(default_factory=list)
    stats: dict[str, float] = field(default_factory=dict)
