"""`schedule()`: preprocessing, strict tiers, greedy hint, LP bound, CP-SAT, reporting."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Literal

from . import cpsat
from .bound import LpResult, degree_bound, lp_bound, pair_lp_bound, tier_lp_bound
from .greedy import Assignment, assignment_weight, greedy
from .model import ScheduleResult, SchedulingProblem, Status
from .prepare import TIERS, Prepared, prepare
from .report import (
    agendas,
    assign_tables,
    must_meet_failures,
    published_changes,
    tier_counts,
    unplaced_wishes,
    unscheduled,
)

Solver = Literal["auto", "cpsat", "greedy"]
TIER_SHARE = 0.5  # of the time limit, at most, for the request tiers (phase 1 stops once proven best)
TIER_LP_SHARE = 0.5  # of the tier budget, for the tier LP
LP_SHARE = 0.4  # of the time limit, at most, for the LP bounds
PAIR_LP_SHARE = 0.2  # of the LP budget, for the aggregated LP run first
GREEDY_SHARE = 0.1  # of the time limit, at most, for greedy repairs
FINISH_RESERVE_S = 0.3  # kept back from CP-SAT for the final fill, table numbers and the report


def schedule(
    problem: SchedulingProblem,
    *,
    time_limit_s: float = 8.0,
    move_penalty: float | None = None,
    top_k: int | None = None,
    solver: Solver = "auto",
    max_variables: int = 250_000,
) -> ScheduleResult:
    """Schedule 1:1 meetings, in strict priority order (each tier as large as it can be before the next):

    1. locked meetings stay exactly where they are (they are not decided here);
    2. as many must_meet pairs as possible;
    3. as many published meetings kept at their slot as possible;
    4. as many mutual requests (both asked to meet) as possible, then as many one-way would_like requests;
    5. the highest total value, counting recommended pairs only from `problem.min_value` up, minus
       `move_penalty` for every meeting of `problem.previous` moved to another slot or dropped
       (None: the minimum value, or 1 without one).

    Free table-slots are left empty rather than filled with pairs below the minimum.
    top_k: prune each participant's candidates to its best top_k (union over both sides).
    max_variables: above this many x[pair, slot] variables, use greedy and a cheap bound.
    """
    if solver != "greedy":
        load_solvers()  # before the clock starts: the first schedule of a process gets its whole budget
    started = time.monotonic()
    deadline = started + time_limit_s
    prep = prepare(problem, move_penalty=move_penalty, top_k=top_k)
    huge = len(prep.var_pair) > max_variables
    use_cp = solver != "greedy" and cpsat.available() and not huge
    if solver != "greedy" and not use_cp:
        prep.notes.append("CP-SAT not used: " + ("problem too large" if huge else "ortools not installed"))
    stats: dict[str, float] = {"pairs": len(prep.pairs), "variables": len(prep.var_pair)}

    tiers = _strict_tiers(prep, use_cp, min(TIER_SHARE * time_limit_s, _left(deadline)))
    stats["tiers_s"] = time.monotonic() - started
    hint = greedy(prep, tiers.fixed.items(), deadline=time.monotonic() + GREEDY_SHARE * time_limit_s)
    # The greedy starts from the phase-1 placement and only adds: its counts reach phase 1's in every tier
    # (and stand in for them when phase 1 found nothing in time). Every later schedule must reach them too.
    tiers.mins = _tier_counts(prep, hint)
    stats["greedy_objective"] = assignment_weight(prep, hint)
    stats["greedy_s"] = time.monotonic() - started

    bounds = _Bounds.compute(prep, tiers.mins, huge, min(LP_SHARE * time_limit_s, _left(deadline)))
    if bounds.guide is not None:
        hint = _best_hint(prep, hint, bounds.guide.x, tiers, time_limit_s)
    stats["hint_objective"] = assignment_weight(prep, hint)
    stats["bound_s"] = time.monotonic() - started
    bound = bounds.value

    placed: Assignment = hint
    status: Status = "greedy"
    if use_cp and stats["hint_objective"] >= _minus_tol(bound):
        status = "optimal"  # the LP rounding already reaches the bound: nothing to search for
    elif use_cp:
        skip = bounds.useless_vars(stats["hint_objective"])
        stats["cp_variables"] = len(prep.var_pair) - len(skip)
        placed, status = _cp_search(prep, hint, tiers, bound, deadline, skip)
    objective = assignment_weight(prep, placed)
    if status == "feasible" and objective >= _minus_tol(bound):
        status = "optimal"
    if status == "optimal" and not tiers.optimal:
        status = "feasible"  # the tier counts themselves are not proven best
    stats["solve_s"] = time.monotonic() - started
    return _result(problem, prep, placed, objective, bound, bounds.method, status, tiers.optimal, stats)


@dataclass
class _Tiers:
    fixed: Assignment = field(default_factory=dict)  # phase-1 placement of the strict tiers
    mins: dict[str, int] = field(default_factory=dict)  # counts every schedule must reach
    optimal: bool = True


@dataclass
class _Bounds:
    value: float
    method: str  # "lp" (x[pair, slot] relaxation), "pair_lp" (aggregated) or "degree"
    lps: list[LpResult]
    guide: LpResult | None  # LP solution used for rounding: the finer one when available

    @staticmethod
    def compute(prep: Prepared, tier_mins: dict[str, int], huge: bool, time_limit_s: float) -> _Bounds:
        deadline = time.monotonic() + time_limit_s
        found: list[tuple[str, LpResult]] = []
        if (pair := pair_lp_bound(prep, tier_mins, PAIR_LP_SHARE * time_limit_s)) is not None:
            found.append(("pair_lp", pair))
        if not huge and (full := lp_bound(prep, tier_mins, _left(deadline))) is not None:
            found.append(("lp", full))
        if not found:
            prep.notes.append("upper bound from per-participant/per-table best weights (LP failed)")
            return _Bounds(degree_bound(prep), "degree", [], None)
        # A solved slot-level LP is never weaker; a timed-out one can be: keep the tighter.
        method, best = found[-1]
        if method != "lp" or found[0][1].bound < _minus_tol(best.bound):
            method, best = found[0]
            prep.notes.append("upper bound from the aggregated pair LP (slot-level LP skipped or timed out)")
        solved = [lp for _, lp in found if lp.solved]
        guide = solved[-1] if solved else found[-1][1]  # the slot-level LP when it finished
        return _Bounds(best.bound, method, [lp for _, lp in found], guide)

    def useless_vars(self, incumbent: float) -> set[int]:
        return set().union(*(lp.useless_vars(incumbent) for lp in self.lps))


def _strict_tiers(prep: Prepared, use_cp: bool, time_limit_s: float) -> _Tiers:
    """Phase 1: the best tier counts. The LP relaxation of the tier model, rounded, usually reaches its own
    bound (then the counts are proven best); otherwise CP-SAT improves the rounding until the bound or the
    time limit."""
    coef = cpsat.tier_coefficients(prep)
    if not coef:
        return _Tiers()
    deadline = time.monotonic() + time_limit_s
    lp = tier_lp_bound(prep, coef, TIER_LP_SHARE * time_limit_s)
    target = None if lp is None else math.floor(lp.bound + 1e-9 * max(1.0, lp.bound))  # integer objective
    placed = greedy(prep, guide=None if lp is None else lp.x, tiers_only=True,
                    deadline=time.monotonic() + GREEDY_SHARE * time_limit_s)
    reached = _tier_objective(prep, coef, placed)
    if target is not None and reached >= target:
        return _Tiers(placed, optimal=True)
    optimal = False
    outcome = cpsat.solve_tiers(prep, coef, placed, _left(deadline), stop_at=target) if use_cp else None
    if outcome is not None and _tier_objective(prep, coef, outcome.placed) >= reached:
        placed, reached = outcome.placed, _tier_objective(prep, coef, outcome.placed)
        optimal = outcome.optimal or (target is not None and reached >= target)
    return _Tiers(placed, optimal=optimal)


def _tier_objective(prep: Prepared, coef: dict[int, int], placed: Assignment) -> int:
    return sum(c for v, c in coef.items() if placed.get(prep.var_pair[v]) == prep.var_slot[v])


def _best_hint(prep: Prepared, hint: Assignment, x: list[float], tiers: _Tiers, time_limit_s: float) -> Assignment:
    """LP rounding usually beats plain greedy; try it both free (the LP places the tiers
    too) and on top of the phase-1 tier placement, and keep the best."""
    best, best_weight = hint, assignment_weight(prep, hint)
    for fixed in ({}, tiers.fixed):
        rounded = greedy(prep, fixed.items(), deadline=time.monotonic() + 0.05 * time_limit_s, guide=x)
        weight = assignment_weight(prep, rounded)
        if weight > best_weight and _tiers_ok(prep, rounded, tiers.mins):
            best, best_weight = rounded, weight
    return best


def _cp_search(
    prep: Prepared, hint: Assignment, tiers: _Tiers, bound: float, deadline: float, skip: set[int]
) -> tuple[Assignment, Status]:
    outcome = cpsat.solve_main(prep, hint, tiers.mins, _left(deadline) - FINISH_RESERVE_S, stop_at=bound, skip=skip)
    # CP-SAT optimises rounded integer weights: tolerate that rounding when comparing.
    if outcome is None or assignment_weight(prep, outcome.placed) < _minus_tol(assignment_weight(prep, hint)):
        prep.notes.append("CP-SAT found no better schedule in time; heuristic result used")
        return hint, "greedy"
    placed = greedy(prep, outcome.placed.items(), deadline=min(deadline, time.monotonic() + 0.5))  # fill any gap
    return placed, "optimal" if outcome.optimal else "feasible"


def load_solvers() -> None:
    """Import OR-Tools and SciPy's LP solver, which load on first use (commands that never schedule skip them)."""
    import scipy.optimize  # noqa: F401

    if cpsat.available():
        cpsat.load()


def _left(deadline: float) -> float:
    return max(0.05, deadline - time.monotonic())


def _tier_counts(prep: Prepared, placed: Assignment) -> dict[str, int]:
    """Tier counts actually achieved, so the bound is over schedules at least this good on them."""

    def count(vars_: list[int]) -> int:
        return sum(placed.get(prep.var_pair[v]) == prep.var_slot[v] for v in vars_)

    return {tier: count(prep.tier_vars(tier)) for tier in TIERS}


def _minus_tol(value: float) -> float:
    return value - 1e-6 * max(1.0, abs(value))


def _tiers_ok(prep: Prepared, placed: Assignment, tier_mins: dict[str, int]) -> bool:
    counts = _tier_counts(prep, placed)
    return all(counts[t] >= n for t, n in tier_mins.items())


def _result(
    problem: SchedulingProblem,
    prep: Prepared,
    placed: Assignment,
    objective: float,
    bound: float | None,
    method: str,
    status: Status,
    tiers_optimal: bool,
    stats: dict[str, float],
) -> ScheduleResult:
    meetings = assign_tables(prep, placed)
    note = "" if tiers_optimal and status != "greedy" else " (heuristic result: a better placement may exist)"
    return ScheduleResult(
        meetings=tuple(meetings),
        objective=objective,
        upper_bound=bound,
        status=status,
        infeasible_must_meet=must_meet_failures(prep, placed, note),
        unscheduled=unscheduled(prep, problem, placed),
        agendas=agendas(problem, meetings),
        published_changes=published_changes(prep, problem, meetings),
        bound_method=method,
        notes=prep.notes,
        stats=stats,
        lock_changes=[(m, f"dropped: {why}") for m, why in prep.lock_invalid],
        unplaced_requests=unplaced_wishes(prep, placed, note),
        counts=tier_counts(prep, problem, meetings),
    )
