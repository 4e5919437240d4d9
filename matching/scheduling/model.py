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
    """What to schedule. Besides the rules:

    - `published`: meetings the members have seen; kept at their slot and table wherever possible;
    - `locked`: meetings the secretariat fixed by hand; kept exactly (slot, table, pair) while they are valid;
    - `previous`: the schedule before this run; moving or dropping one of its meetings costs `move_penalty`;
    - `removed`: pairs the secretariat took out by hand; never scheduled again by the solver;
    - `min_value`: a recommended pair (nobody asked for it) below this value is not scheduled.
    """

    slots: tuple[Slot, ...]
    tables: int
    participants: tuple[Participant, ...]
    candidates: tuple[CandidatePair, ...]
    requests: tuple[Request, ...]
    already_met: frozenset[frozenset[str]]
    published: tuple[Meeting, ...] = ()
    locked: tuple[Meeting, ...] = ()
    previous: tuple[Meeting, ...] = ()
    removed: frozenset[frozenset[str]] = frozenset()
    min_value: float = 0.0


@dataclass(frozen=True)
class AgendaEntry:
    slot: str
    start: datetime
    minutes: int
    table: int
    partner: str
    value: float


@dataclass(frozen=True)
class UnplacedRequest:
    """A must_meet or would_like request whose pair got no meeting, and why."""

    requester: str
    target: str
    kind: RequestKind
    reason: str


@dataclass(frozen=True)
class ScheduleResult:
    meetings: tuple[Meeting, ...]
    # Sum of meeting values plus the bonus of previous meetings left in place, over the meetings the solver
    # chose (locked ones are fixed). The request tiers are enforced as constraints, not counted here,
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
    # Locked meetings that could not be kept, with why (they are dropped).
    lock_changes: list[tuple[Meeting, str]] = field(default_factory=list)
    # would_like requests whose pair got no meeting (must_meet ones are in infeasible_must_meet).
    unplaced_requests: list[UnplacedRequest] = field(default_factory=list)
    # Pairs by tier ("must_meet", "mutual", "one_way") and what came of them; see report.tier_counts.
    counts: dict[str, int] = field(default_factory=dict)
