"""CP-SAT models over boolean x[pair, slot]; tables are a per-slot cardinality and table
numbers are assigned afterwards."""

from __future__ import annotations

import importlib.util
import time
from dataclasses import dataclass
from types import ModuleType

from .greedy import Assignment
from .prepare import Prepared, capacity_groups

WORKERS = 2
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


def solve_tiers(prep: Prepared, time_limit_s: float) -> tuple[CpOutcome, dict[str, int]] | None:
    """Phase 1: lexicographically maximise the strict tiers (must_meet placed, then published
    meetings kept in place). Only tier variables are needed: other meetings can always be
    dropped, so this small model gives the exact best counts."""
    must = prep.must_vars() if prep.strict_must else []
    keep = prep.keep_vars() if prep.strict_keep else []
    if not must and not keep:
        return None
    # A must meeting is worth more than all kept meetings together.
    coef = dict.fromkeys(keep, 1)
    for v in must:
        coef[v] = coef.get(v, 0) + len(keep) + 1
    outcome = _solve(prep, coef, time_limit_s, hint={}, tier_mins={}, stop_at=None)
    if outcome is None:
        return None
    chosen = {v for v in coef if prep.var_slot[v] == outcome.placed.get(prep.var_pair[v])}
    mins = {"must": len(chosen & set(must)), "keep": len(chosen & set(keep))}
    return outcome, mins


def solve_main(
    prep: Prepared,
    hint: Assignment,
    tier_mins: dict[str, int],
    time_limit_s: float,
    stop_at: float | None,
    skip: set[int] | frozenset[int] = frozenset(),
) -> CpOutcome | None:
    """Phase 2: maximise weight subject to the tier minimums from phase 1. Variables in
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
    for tier, vars_ in (("must", prep.must_vars()), ("keep", prep.keep_vars())):
        if tier_mins.get(tier, 0) > 0:
            model.add(sum(x[v] for v in vars_ if v in x) >= tier_mins[tier])
    model.maximize(sum(c * x[v] for v, c in coef.items() if c))
    for v, var in x.items():
        model.add_hint(var, hint.get(prep.var_pair[v]) == prep.var_slot[v])
    left = deadline - time.monotonic()
    if left < MIN_SEARCH_S:
        return None
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = left
    solver.parameters.num_workers = WORKERS
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
