"""`schedule()`: preprocessing, strict tiers, greedy hint, LP bound, CP-SAT, reporting."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Literal

from . import cpsat
from .bound import LpResult, degree_bound, lp_bound, pair_lp_bound
from .greedy import Assignment, assignment_weight, greedy
from .model import ScheduleResult, SchedulingProblem, Status
from .prepare import Prepared, prepare
from .report import agendas, assign_tables, must_meet_failures, published_changes, unscheduled

Solver = Literal["auto", "cpsat", "greedy"]
TIER_SHARE = 0.2  # of the time limit, at most, for the small must/keep model
LP_SHARE = 0.4  # of the time limit, at most, for the LP bounds
PAIR_LP_SHARE = 0.2  # of the LP budget, for the aggregated LP run first
GREEDY_SHARE = 0.1  # of the time limit, at most, for greedy repairs
FINISH_RESERVE_S = 0.3  # kept back from CP-SAT for the final fill, table numbers and the report


def schedule(
    problem: SchedulingProblem,
    *,
    time_limit_s: float = 8.0,
    must_meet_bonus: float | None = None,
    would_like_bonus: float = 1.0,
    keep_published_bonus: float | None = None,
    top_k: int | None = None,
    solver: Solver = "auto",
    max_variables: int = 250_000,
) -> ScheduleResult:
    """Schedule 1:1 meetings maximising total pair value.

    must_meet_bonus / keep_published_bonus: None (default) means strict priority: first place
    as many must_meet pairs as possible, then keep as many published meetings at their slot as
    possible, then maximise value; both are constraints, so they do not inflate `objective`.
    A number instead makes it a soft bonus added to the objective.
    top_k: prune each participant's candidates to its best top_k (union over both sides).
    max_variables: above this many x[pair, slot] variables, use greedy and a cheap bound.
    """
    if solver != "greedy":
        _load_solvers()  # before the clock starts: the first schedule of a process gets its whole budget
    started = time.monotonic()
    deadline = started + time_limit_s
    prep = prepare(
        problem,
        must_meet_bonus=must_meet_bonus,
        would_like_bonus=would_like_bonus,
        keep_published_bonus=keep_published_bonus,
        top_k=top_k,
    )
    huge = len(prep.var_pair) > max_variables
    use_cp = solver != "greedy" and cpsat.available() and not huge
    if solver != "greedy" and not use_cp:
        prep.notes.append("CP-SAT not used: " + ("problem too large" if huge else "ortools not installed"))
    stats: dict[str, float] = {"pairs": len(prep.pairs), "variables": len(prep.var_pair)}

    tiers = _strict_tiers(prep, use_cp, min(TIER_SHARE * time_limit_s, _left(deadline)))
    hint = greedy(prep, tiers.fixed.items(), deadline=started + GREEDY_SHARE * time_limit_s)
    if not use_cp:
        tiers.mins = _tier_counts(prep, hint)  # bound over schedules at least as good on the tiers
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
        status = "feasible"  # must/keep counts themselves are not proven best
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
    found = cpsat.solve_tiers(prep, time_limit_s) if use_cp else None
    if found is None:
        return _Tiers()
    return _Tiers(found[0].placed, found[1], found[0].optimal)


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


def _load_solvers() -> None:
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

    return {
        "must": count(prep.must_vars()) if prep.strict_must else 0,
        "keep": count(prep.keep_vars()) if prep.strict_keep else 0,
    }


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
    )
