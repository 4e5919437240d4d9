"""Scheduling core for business-matching events: 1:1 meetings in time slots at tables."""

from .export import agenda_rows, schedule_from_json, schedule_to_json
from .model import (
    AgendaEntry,
    CandidatePair,
    Meeting,
    Participant,
    Request,
    ScheduleResult,
    SchedulingProblem,
    Slot,
    UnplacedRequest,
)
from .reasons import reason_ja
from .solve import load_solvers, schedule
from .validate import validate_schedule

__all__ = [
    "AgendaEntry",
    "CandidatePair",
    "Meeting",
    "Participant",
    "Request",
    "ScheduleResult",
    "SchedulingProblem",
    "Slot",
    "UnplacedRequest",
    "agenda_rows",
    "load_solvers",
    "reason_ja",
    "schedule",
    "schedule_from_json",
    "schedule_to_json",
    "validate_schedule",
]
