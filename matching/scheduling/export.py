"""Pure export helpers: a self-contained JSON document and grid rows for CSV/Excel."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any, Literal

from .model import (
    CandidatePair,
    Meeting,
    Participant,
    Request,
    ScheduleResult,
    SchedulingProblem,
    Slot,
)

FORMAT = "iotmatch.schedule"
VERSION = 2  # 2 added min_value, locked, previous and removed; version 1 documents still read
GridView = Literal["participant", "table", "list"]


def schedule_to_json(problem: SchedulingProblem, result: ScheduleResult) -> dict[str, Any]:
    """Everything needed to re-validate the schedule without the database (JSON-safe types)."""
    order = {s.id: n for n, s in enumerate(sorted(problem.slots, key=lambda s: (s.start, s.id)))}
    return {
        "format": FORMAT,
        "version": VERSION,
        "slots": [{"id": s.id, "start": s.start.isoformat(), "minutes": s.minutes} for s in problem.slots],
        "tables": problem.tables,
        "participants": [
            {
                "id": p.id,
                "available_slots": sorted(p.available_slots, key=lambda s: (order.get(s, len(order)), s)),
                "max_meetings": p.max_meetings,
            }
            for p in problem.participants
        ],
        "requests": [{"requester": r.requester, "target": r.target, "kind": r.kind} for r in problem.requests],
        "candidates": [{"a": c.a, "b": c.b, "value": c.value} for c in problem.candidates],
        "already_met": sorted(sorted(pair) for pair in problem.already_met),
        "published": [_meeting_json(m) for m in problem.published],
        "locked": [_meeting_json(m) for m in problem.locked],
        "previous": [_meeting_json(m) for m in problem.previous],
        "removed": sorted(sorted(pair) for pair in problem.removed),
        "min_value": problem.min_value,
        "meetings": [_meeting_json(m) for m in result.meetings],
        "result": {
            "status": result.status,
            "objective": result.objective,
            "upper_bound": result.upper_bound,
            "bound_method": result.bound_method,
            "infeasible_must_meet": [
                {"requester": a, "target": b, "reason": why} for a, b, why in result.infeasible_must_meet
            ],
            "unscheduled": dict(result.unscheduled),
            "published_changes": [{"meeting": _meeting_json(m), "change": why} for m, why in result.published_changes],
            "lock_changes": [{"meeting": _meeting_json(m), "change": why} for m, why in result.lock_changes],
            "unplaced_requests": [{"requester": u.requester, "target": u.target, "kind": u.kind, "reason": u.reason}
                                  for u in result.unplaced_requests],
            "counts": dict(result.counts),
            "notes": list(result.notes),
        },
    }


def schedule_from_json(doc: Mapping[str, Any]) -> tuple[SchedulingProblem, tuple[Meeting, ...]]:
    if doc.get("format") != FORMAT:
        raise ValueError(f"not an {FORMAT} document")
    if doc.get("version") not in (1, VERSION):
        raise ValueError(f"unsupported {FORMAT} version {doc.get('version')!r}")
    problem = SchedulingProblem(
        slots=tuple(Slot(s["id"], datetime.fromisoformat(s["start"]), int(s["minutes"])) for s in doc["slots"]),
        tables=int(doc["tables"]),
        participants=tuple(
            Participant(p["id"], frozenset(p["available_slots"]), int(p["max_meetings"])) for p in doc["participants"]
        ),
        candidates=tuple(CandidatePair(c["a"], c["b"], float(c["value"])) for c in doc["candidates"]),
        requests=tuple(Request(r["requester"], r["target"], r["kind"]) for r in doc["requests"]),
        already_met=frozenset(frozenset(pair) for pair in doc["already_met"]),
        published=tuple(_meeting_from(m) for m in doc.get("published", ())),
        locked=tuple(_meeting_from(m) for m in doc.get("locked", ())),
        previous=tuple(_meeting_from(m) for m in doc.get("previous", ())),
        removed=frozenset(frozenset(pair) for pair in doc.get("removed", ())),
        min_value=float(doc.get("min_value", 0.0)),
    )
    return problem, tuple(_meeting_from(m) for m in doc["meetings"])


def agenda_rows(
    problem: SchedulingProblem,
    meetings: Iterable[Meeting],
    *,
    view: GridView = "participant",
    names: Mapping[str, str] | None = None,
) -> list[list[str]]:
    """Rows (header first) for csv.writer or an openpyxl sheet.

    participant: one row per participant, one column per slot, cell "T3 partner"
                 ("-" where the participant is not available);
    table:       one row per table, cell "a × b";
    list:        one row per meeting (slot, start, minutes, table, a, b, value, a_id, b_id): a and b are
                 names where given, so the ids follow for tools that join on them.
    """
    label = _namer(names)
    slots = sorted(problem.slots, key=lambda s: (s.start, s.id))
    meetings = list(meetings)
    if view == "list":
        return _list_rows(slots, meetings, label)
    header = [view] + [_slot_label(s, slots) for s in slots]
    if view == "table":
        at_table = {(m.table, m.slot): f"{label(m.a)} × {label(m.b)}" for m in meetings}
        return [header] + [
            [str(t)] + [at_table.get((t, s.id), "") for s in slots] for t in range(1, problem.tables + 1)
        ]
    seat: dict[tuple[str, str], str] = {}
    for m in meetings:
        seat[m.a, m.slot] = f"T{m.table} {label(m.b)}"
        seat[m.b, m.slot] = f"T{m.table} {label(m.a)}"
    return [header] + [
        [label(p.id)] + [seat.get((p.id, s.id), "" if s.id in p.available_slots else "-") for s in slots]
        for p in problem.participants
    ]


def _list_rows(slots: list[Slot], meetings: list[Meeting], label: Any) -> list[list[str]]:
    by_id = {s.id: s for s in slots}
    rows = [["slot", "start", "minutes", "table", "a", "b", "value", "a_id", "b_id"]]
    for m in sorted(meetings, key=lambda m: (by_id[m.slot].start, m.slot, m.table)):
        s = by_id[m.slot]
        rows.append(
            [
                m.slot,
                s.start.isoformat(),
                str(s.minutes),
                str(m.table),
                label(m.a),
                label(m.b),
                f"{m.value:g}",
                m.a,
                m.b,
            ]
        )
    return rows


def _slot_label(slot: Slot, slots: list[Slot]) -> str:
    one_day = len({s.start.date() for s in slots}) <= 1
    return slot.start.strftime("%H:%M" if one_day else "%Y-%m-%d %H:%M")


def _namer(names: Mapping[str, str] | None) -> Any:
    return (lambda pid: names.get(pid, pid)) if names else (lambda pid: pid)


def _meeting_json(m: Meeting) -> dict[str, Any]:
    return {"slot": m.slot, "table": m.table, "a": m.a, "b": m.b, "value": m.value}


def _meeting_from(d: Mapping[str, Any]) -> Meeting:
    return Meeting(d["slot"], int(d["table"]), d["a"], d["b"], float(d["value"]))
