"""CP-SAT models over boolean x[pair, slot]; tables are a per-slot cardinality and table
numbers are assigned afterwards."""

from __future__ import annotations

import importlib.util
import time
from dataclasses import dataclass
from types import ModuleType

from .greedy import Assignment
from .prepare import TIERS, Prepared, capacity_groups

# One worker with a fixed seed: the search is then the same every time (parallel workers race, and another
# worker could find another of several equal schedules first), and on these models one worker was as fast as
# two or faster (interleaving two workers deterministically was up to 25 times slower on small events). With the
# inputs in a fixed order (prepare.py), the same problem gets the same schedule whenever the search ends by
# itself (optimal, or the LP bound reached) rather than by the time limit.
WORKERS = 1
SEED = 0
MIN_SEARCH_S = 0.1  # below this, searching is pointless: the caller keeps its heuristic result


def available() -> bool:
    return importlib.util.find_spec("ortools") is not None


def load() -> ModuleType:
    """OR-Tools' CP-SAT module, imported on first use: it takes a third of a second to load."""
    from ortools.sat.python import cp_model

    return cp_model


@dataclass
class CpOutcome:
    placed: Assignment
    optimal: bool


def tier_coefficients(prep: Prepared) -> dict[int, int]:
    """Objective coefficients that make one model lexicographic over the tiers: one more pair of a tier is
    worth more than every pair of all lower tiers together."""
    coef: dict[int, int] = {}
    step = 1
    for tier in reversed(TIERS):
        vars_ = prep.tier_vars(tier)
        if not vars_:
            continue
        for v in vars_:
            coef[v] = coef.get(v, 0) + step
        pairs = len({prep.var_pair[v] for v in vars_})
        step += step * pairs
    return coef


def solve_tiers(prep: Prepared, coef: dict[int, int], hint: Assignment, time_limit_s: float,
                stop_at: float | None) -> CpOutcome | None:
    """Phase 1: lexicographically maximise the strict tiers (must_meet pairs placed, published meetings kept
    in place, mutual requests placed, one-way requests placed), with `tier_coefficients`. Only tier variables
    are needed: other meetings can always be dropped, so this smaller model gives the exact best counts.
    Stops once the objective reaches `stop_at` (the LP bound)."""
    return _solve(prep, coef, time_limit_s, hint=hint, tier_mins={}, stop_at=stop_at)


def solve_main(
    prep: Prepared,
    hint: Assignment,
    tier_mins: dict[str, int],
    time_limit_s: float,
    stop_at: float | None,
    skip: set[int] | frozenset[int] = frozenset(),
) -> CpOutcome | None:
    """Phase 2: maximise weight (values, and the move penalty earned back) subject to the tier minimums
    from phase 1. Variables in
    `skip` are left out (proven 0 in every schedule better than the hint). Stops early once
    the incumbent reaches `stop_at` (the LP bound): nothing better can exist."""
    scale = _scale(prep.var_weight)
    coef = {v: round(w * scale) for v, w in enumerate(prep.var_weight) if v not in skip}
    target = None if stop_at is None else stop_at * scale - 0.5 * prep.tables * len(prep.slot_ids)
    return _solve(prep, coef, time_limit_s, hint, tier_mins, target)


def _scale(weights: list[float]) -> float:
    """CP-SAT needs integers; 1e7 steps across the largest weight keeps rounding negligible."""
    top = max((abs(w) for w in weights), default=0.0)
    return 1e7 / top if top > 0 else 1.0


def _solve(
    prep: Prepared,
    coef: dict[int, int],
    time_limit_s: float,
    hint: Assignment,
    tier_mins: dict[str, int],
    stop_at: float | None,
) -> CpOutcome | None:
    # The limit covers building the model too: on large events that takes seconds of Python.
    deadline = time.monotonic() + time_limit_s
    cp_model = load()
    model = cp_model.CpModel()
    x = {v: model.new_bool_var(f"x{v}") for v in coef}
    for vars_, cap in capacity_groups(prep, list(coef)):
        if cap == 1:
            model.add_at_most_one(x[v] for v in vars_)
        else:
            model.add(sum(x[v] for v in vars_) <= cap)
    for tier in TIERS:
        if tier_mins.get(tier, 0) > 0:
            model.add(sum(x[v] for v in prep.tier_vars(tier) if v in x) >= tier_mins[tier])
    model.maximize(sum(c * x[v] for v, c in coef.items() if c))
    for v, var in x.items():
        model.add_hint(var, hint.get(prep.var_pair[v]) == prep.var_slot[v])
    left = deadline - time.monotonic()
    if left < MIN_SEARCH_S:
        return None
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = left
    solver.parameters.num_workers = WORKERS
    solver.parameters.random_seed = SEED
    callback = _stop_at(stop_at) if stop_at is not None else None
    status = solver.solve(model, callback)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None
    placed = {prep.var_pair[v]: prep.var_slot[v] for v, var in x.items() if solver.value(var)}
    return CpOutcome(placed, status == cp_model.OPTIMAL)


def _stop_at(target: float) -> object:
    """A solution callback that ends the search once the objective reaches target (the proven bound)."""

    class _StopAt(load().CpSolverSolutionCallback):  # type: ignore[misc]
        def on_solution_callback(self) -> None:
            if self.objective_value >= target:
                self.stop_search()

    return _StopAt()
