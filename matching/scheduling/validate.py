"""Independent schedule checker.

Deliberately shares no code with the solver modules (it only reads the problem's fields),
so a bug in the solver's preprocessing cannot hide itself here. Use it on solver output and
on re-imported JSON exports.
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # type hints only: no runtime dependency on the solver package
    from .model import Meeting, SchedulingProblem

VALUE_TOLERANCE = 1e-9


def validate_schedule(problem: SchedulingProblem, meetings: list[Meeting] | tuple[Meeting, ...]) -> list[str]:
    """Return every rule violation found (empty list = valid schedule)."""
    errors: list[str] = []
    slot_ids = {s.id for s in problem.slots}
    people = {p.id: p for p in problem.participants}
    known = [m for m in meetings if _known(m, slot_ids, people, errors)]
    _check_availability(known, people, errors)
    _check_double_booking(known, errors)
    _check_tables(known, problem.tables, errors)
    _check_max_meetings(known, people, errors)
    _check_pairs(known, problem, errors)
    _check_values(known, problem, errors)
    _check_hand_edits(meetings, problem, errors)
    _check_min_value(known, problem, errors)
    return errors


def _known(m: Meeting, slot_ids: set[str], people: dict, errors: list[str]) -> bool:
    ok = True
    if m.slot not in slot_ids:
        errors.append(f"{m.a}-{m.b}: unknown slot {m.slot}")
        ok = False
    for pid in (m.a, m.b):
        if pid not in people:
            errors.append(f"{m.a}-{m.b} in {m.slot}: unknown participant {pid}")
            ok = False
    if m.a == m.b:
        errors.append(f"{m.a} meets themself in {m.slot}")
        ok = False
    return ok


def _check_availability(meetings: list[Meeting], people: dict, errors: list[str]) -> None:
    for m in meetings:
        for pid in (m.a, m.b):
            if m.slot not in people[pid].available_slots:
                errors.append(f"{pid} is not available in {m.slot} ({m.a}-{m.b})")


def _check_double_booking(meetings: list[Meeting], errors: list[str]) -> None:
    seen = Counter((pid, m.slot) for m in meetings for pid in (m.a, m.b))
    for (pid, slot), n in sorted(seen.items()):
        if n > 1:
            errors.append(f"{pid} is in {n} meetings in {slot}")


def _check_tables(meetings: list[Meeting], tables: int, errors: list[str]) -> None:
    per_slot = Counter(m.slot for m in meetings)
    for slot, n in sorted(per_slot.items()):
        if n > tables:
            errors.append(f"{slot} has {n} meetings but only {tables} tables")
    for m in meetings:
        if not 1 <= m.table <= tables:
            errors.append(f"{m.a}-{m.b} in {m.slot}: table {m.table} outside 1..{tables}")
    for (slot, table), n in sorted(Counter((m.slot, m.table) for m in meetings).items()):
        if n > 1:
            errors.append(f"table {table} in {slot} is used by {n} meetings")


def _check_max_meetings(meetings: list[Meeting], people: dict, errors: list[str]) -> None:
    count = Counter(pid for m in meetings for pid in (m.a, m.b))
    for pid, n in sorted(count.items()):
        if n > people[pid].max_meetings:
            errors.append(f"{pid} has {n} meetings, max_meetings is {people[pid].max_meetings}")


def _check_pairs(meetings: list[Meeting], problem: SchedulingProblem, errors: list[str]) -> None:
    blocked = {frozenset((r.requester, r.target)) for r in problem.requests if r.kind == "do_not_meet"}
    wanted = {frozenset((r.requester, r.target)) for r in problem.requests if r.kind in ("must_meet", "would_like")}
    wanted |= {frozenset((m.a, m.b)) for m in problem.locked}  # the secretariat's decision
    met_before = {frozenset(p) for p in problem.already_met}
    pair_count = Counter(frozenset((m.a, m.b)) for m in meetings)
    for pair, n in sorted(pair_count.items(), key=lambda kv: sorted(kv[0])):
        name = "-".join(sorted(pair))
        if n > 1:
            errors.append(f"{name} meet {n} times")
        if pair in blocked:
            errors.append(f"{name} scheduled despite do_not_meet")
        if pair in met_before and pair not in wanted:
            errors.append(f"{name} already met and nobody requested to meet again")


def _check_values(meetings: list[Meeting], problem: SchedulingProblem, errors: list[str]) -> None:
    """Meeting values must be the candidate value (0 for request-only pairs): catches
    edited exports and mixed-up pairs."""
    best: dict[frozenset[str], float] = {}
    for c in problem.candidates:
        pair = frozenset((c.a, c.b))
        best[pair] = max(best.get(pair, float("-inf")), c.value)
    for m in meetings:
        expected = best.get(frozenset((m.a, m.b)), 0.0)
        if abs(m.value - expected) > VALUE_TOLERANCE * max(1.0, abs(expected)):
            errors.append(f"{m.a}-{m.b} in {m.slot}: value {m.value} but candidate value is {expected}")


def _check_hand_edits(meetings: list[Meeting] | tuple[Meeting, ...], problem: SchedulingProblem,
                      errors: list[str]) -> None:
    """Locked meetings are there exactly (slot, table, pair); pairs removed by hand are not (unless locked)."""
    placed = {(m.slot, m.table, frozenset((m.a, m.b))) for m in meetings}
    locked = {frozenset((m.a, m.b)) for m in problem.locked}
    for m in problem.locked:
        if (m.slot, m.table, frozenset((m.a, m.b))) not in placed:
            errors.append(f"locked meeting {m.a}-{m.b} ({m.slot}, table {m.table}) is not kept")
    removed = {frozenset(p) for p in problem.removed}
    for m in meetings:
        pair = frozenset((m.a, m.b))
        if pair in removed and pair not in locked:
            errors.append(f"{m.a}-{m.b} in {m.slot} was removed by hand")


def _check_min_value(meetings: list[Meeting], problem: SchedulingProblem, errors: list[str]) -> None:
    """A meeting nobody asked for (not requested, locked or published) must reach the minimum value."""
    asked = {frozenset((r.requester, r.target)) for r in problem.requests if r.kind in ("must_meet", "would_like")}
    asked |= {frozenset((m.a, m.b)) for m in (*problem.locked, *problem.published)}
    for m in meetings:
        if frozenset((m.a, m.b)) not in asked and m.value < problem.min_value:
            errors.append(f"{m.a}-{m.b} in {m.slot}: value {m.value:g} below the minimum {problem.min_value:g}")
