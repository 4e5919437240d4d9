"""Upper bounds on the objective, all valid for the same rules and strict-tier minimums.

- `lp_bound`: LP relaxation of the x[pair, slot] model (the CP-SAT model, integrality relaxed).
- `pair_lp_bound`: LP over y[pair] = sum_s x[pair, slot], keeping only per-participant and
  total table-slot capacity; weaker in theory, close in practice, and 10-100x faster, so
  it backs up the full LP on large events.
- `degree_bound`: no LP at all, last resort.

Every LP bound is recomputed from the dual prices (weak duality: b.y + the positive reduced
costs, valid for any y >= 0), so it stays a true bound if HiGHS stops at its time limit or
has tolerance errors.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from scipy.sparse import csr_matrix

from .prepare import TIERS, Prepared, capacity_groups

# Dual simplex is fastest when tables are the bottleneck, but can stall on degenerate
# instances (e.g. with a must_meet row); interior point is then steadier.
METHODS = (("highs-ds", 0.25), ("highs-ipm", 1.0))  # method, share of the remaining budget
# The tier LP is small and its simplex vertex is what makes rounding exact: give the simplex most of the time.
TIER_METHODS = (("highs-ds", 0.8), ("highs-ipm", 1.0))

Row = tuple[list[int], float, float]  # variables, their common coefficient, right-hand side


@dataclass
class LpResult:
    bound: float
    x: list[float]  # relaxed x[pair, slot]; guides the greedy rounding
    reduced: list[float]  # per x variable: fixing x_v = 1 caps the objective at bound + reduced[v]
    solved: bool  # HiGHS reached optimality (else `x` is only a partial guide)

    def useless_vars(self, incumbent: float) -> set[int]:
        """Variables that are 0 in every schedule better than `incumbent` (reduced-cost fixing)."""
        margin = 1e-6 * max(1.0, abs(incumbent))
        return {v for v, rc in enumerate(self.reduced) if self.bound + rc < incumbent - margin}


def lp_bound(prep: Prepared, tier_mins: dict[str, int], time_limit_s: float) -> LpResult | None:
    """None if HiGHS produced no dual prices within the time limit (which covers building the rows)."""
    deadline = time.monotonic() + time_limit_s
    w = np.asarray(prep.var_weight, dtype=float)
    groups = capacity_groups(prep, list(range(len(prep.var_pair))))
    rows: list[Row] = [(vs, 1.0, float(cap)) for vs, cap in groups]
    rows += _tier_rows(tier_mins, {tier: prep.tier_vars(tier) for tier in TIERS})
    solved = _solve(w, rows, deadline - time.monotonic())
    if solved is None:
        return None
    bound, x, reduced, optimal = solved
    return LpResult(bound, x.tolist(), reduced.tolist(), optimal)


def tier_lp_bound(prep: Prepared, coef: dict[int, int], time_limit_s: float) -> LpResult | None:
    """LP relaxation of the tier model (only tier variables, lexicographic coefficients); `x` and `reduced`
    are over every variable (0 outside the tier model). Its solution is often integral, so rounding it
    gives the best tier counts at once."""
    vars_ = sorted(coef)
    index = {v: k for k, v in enumerate(vars_)}
    w = np.asarray([coef[v] for v in vars_], dtype=float)
    rows: list[Row] = [([index[v] for v in vs], 1.0, float(cap)) for vs, cap in capacity_groups(prep, vars_)]
    solved = _solve(w, rows, time_limit_s, TIER_METHODS)
    if solved is None:
        return None
    bound, x, reduced, optimal = solved
    full = np.zeros(len(prep.var_pair))
    full[vars_] = x
    return LpResult(bound, full.tolist(), [], optimal)


def pair_lp_bound(prep: Prepared, tier_mins: dict[str, int], time_limit_s: float) -> LpResult | None:
    """Aggregated relaxation; results are mapped back onto the x[pair, slot] variables."""
    var_w = np.asarray(prep.var_weight, dtype=float)
    w = np.array([var_w[vs].max() if vs else 0.0 for vs in prep.pair_vars])
    by_part: list[list[int]] = [[] for _ in prep.part_ids]
    for p, pair in enumerate(prep.pairs):
        by_part[pair.i].append(p)
        by_part[pair.j].append(p)
    rows: list[Row] = [(ps, 1.0, float(prep.cap[n])) for n, ps in enumerate(by_part) if len(ps) > prep.cap[n]]
    table_slots = sum(prep.slot_cap)
    if len(prep.pairs) > table_slots:
        rows.append((list(range(len(prep.pairs))), 1.0, float(table_slots)))
    tiers = {tier: sorted({prep.var_pair[v] for v in prep.tier_vars(tier)}) for tier in TIERS}
    rows += _tier_rows(tier_mins, tiers)  # kept in place implies y = 1: still a relaxation
    solved = _solve(w, rows, time_limit_s)
    if solved is None:
        return None
    bound, y, reduced, optimal = solved
    pair_of = np.asarray(prep.var_pair, dtype=int)
    if not len(pair_of):
        return LpResult(bound, [], [], optimal)
    # x_v = 1 forces y_p = 1 and gives up w_p - w_v, hence this per-variable reduced cost.
    var_reduced = reduced[pair_of] + var_w - w[pair_of]
    return LpResult(bound, y[pair_of].tolist(), var_reduced.tolist(), optimal)


def degree_bound(prep: Prepared) -> float:
    """Every meeting uses two participant places and one table-slot: take the best weights
    each of those can hold."""
    best: list[list[float]] = [[] for _ in prep.part_ids]
    for p, pair in enumerate(prep.pairs):
        top = max((prep.var_weight[v] for v in prep.pair_vars[p]), default=0.0)
        best[pair.i].append(top)
        best[pair.j].append(top)
    per_person = sum(sum(sorted(ws, reverse=True)[: prep.cap[n]]) for n, ws in enumerate(best)) / 2
    all_w = sorted((max(0.0, w) for w in prep.var_weight), reverse=True)
    per_table = sum(all_w[: sum(prep.slot_cap)])
    return min(per_person, per_table)


def _tier_rows(tier_mins: dict[str, int], tiers: dict[str, list[int]]) -> list[Row]:
    """Strict tiers as  -sum(x) <= -min  so every row is a <= row."""
    return [(vars_, -1.0, -float(tier_mins[tier])) for tier, vars_ in tiers.items() if tier_mins.get(tier, 0) > 0]


Solved = tuple[float, np.ndarray, np.ndarray, bool]  # bound, x, reduced costs, optimal


def _solve(w: np.ndarray, rows: list[Row], time_limit_s: float,
           methods: tuple[tuple[str, float], ...] = METHODS) -> Solved | None:
    """Maximise w.x over the rows with 0 <= x <= 1."""
    if not rows:
        return float(np.maximum(w, 0.0).sum()), (w > 0).astype(float), w.copy(), True
    a_ub = _matrix(rows, len(w))
    b_ub = np.asarray([rhs for _, _, rhs in rows], dtype=float)
    from scipy.optimize import linprog  # loaded on first use: SciPy's optimizer is slow to import

    deadline = time.monotonic() + time_limit_s
    best = None
    for method, share in methods:
        limit = max(0.1, share * (deadline - time.monotonic()))
        res = linprog(-w, A_ub=a_ub, b_ub=b_ub, bounds=(0, 1), method=method, options={"time_limit": limit})
        found = _from_duals(res, w, a_ub, b_ub)
        if found is not None and (best is None or found[0] < best[0]):
            best = found
        if res.status == 0 or time.monotonic() >= deadline:
            break
    return best


def _from_duals(res: Any, w: np.ndarray, a_ub: csr_matrix, b_ub: np.ndarray) -> Solved | None:
    marginals = getattr(res.get("ineqlin"), "marginals", None)
    x = res.get("x")
    if marginals is None or x is None or np.shape(marginals) != b_ub.shape:
        return None
    y = np.maximum(0.0, -np.nan_to_num(np.asarray(marginals, dtype=float)))
    reduced = w - a_ub.T @ y
    bound = float(b_ub @ y + np.maximum(reduced, 0.0).sum())
    return bound, np.asarray(x, dtype=float), reduced, res.status == 0


def _matrix(rows: list[Row], n: int) -> csr_matrix:
    from scipy.sparse import csr_matrix

    data: list[float] = []
    indices: list[int] = []
    indptr = [0]
    for vars_, coef, _ in rows:
        data.extend([coef] * len(vars_))
        indices.extend(vars_)
        indptr.append(len(indices))
    return csr_matrix((data, indices, indptr), shape=(len(rows), n))
