"""Value-ordered greedy scheduler: the CP-SAT hint, the fallback, and the final fill pass."""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence

from .prepare import Prepared

Assignment = dict[int, int]  # pair index -> slot index


class _State:
    """Occupancy bookkeeping so each feasibility check is O(1)."""

    def __init__(self, prep: Prepared, guide: Sequence[float] | None) -> None:
        self.prep = prep
        self.guide = guide
        self.busy: list[dict[int, int]] = [{} for _ in prep.part_ids]  # slot -> pair
        self.load = [0] * len(prep.slot_ids)
        self.placed: Assignment = {}

    def free(self, n: int, s: int) -> bool:
        return s not in self.busy[n] and len(self.busy[n]) < self.prep.cap[n]

    def can(self, p: int, s: int) -> bool:
        pair = self.prep.pairs[p]
        room = self.load[s] < self.prep.slot_cap[s]
        return p not in self.placed and room and self.free(pair.i, s) and self.free(pair.j, s)

    def place(self, p: int, s: int) -> None:
        pair = self.prep.pairs[p]
        self.busy[pair.i][s] = self.busy[pair.j][s] = p
        self.load[s] += 1
        self.placed[p] = s

    def remove(self, p: int) -> int:
        pair, s = self.prep.pairs[p], self.placed.pop(p)
        del self.busy[pair.i][s], self.busy[pair.j][s]
        self.load[s] -= 1
        return s

    def best_slot(self, p: int) -> int | None:
        pair = self.prep.pairs[p]
        if pair.keep_slot is not None and self.can(p, pair.keep_slot):
            return pair.keep_slot
        guide = self.guide
        if not guide and pair.prev_slot is not None and self.can(p, pair.prev_slot):
            return pair.prev_slot  # where it was before this run (the LP guide weighs that in itself)
        # The LP's favourite slot, else the emptiest: spreads meetings so later pairs fit.
        slot_vars = zip(pair.slots, self.prep.pair_vars[p], strict=True)
        options = [(-guide[v] if guide else 0.0, self.load[s], s) for s, v in slot_vars if self.can(p, s)]
        return min(options)[2] if options else None


def greedy(
    prep: Prepared,
    fixed: Iterable[tuple[int, int]] = (),
    deadline: float | None = None,
    guide: Sequence[float] | None = None,
    tiers_only: bool = False,
) -> Assignment:
    """Place `fixed` (pair, slot) first, then the strict tiers, then (unless `tiers_only`) pairs by weight;
    by their LP value when an LP solution `guide` is given (LP rounding). Finally try one-move repairs for
    pairs that did not fit, until `deadline`."""
    st = _State(prep, guide)
    for p, s in fixed:
        if st.can(p, s):
            st.place(p, s)
    for p in _order(prep, guide, tiers_only):
        if p not in st.placed and (slot := st.best_slot(p)) is not None:
            st.place(p, slot)
    _repair(st, deadline, tiers_only)
    return st.placed


def _order(prep: Prepared, guide: Sequence[float] | None = None, tiers_only: bool = False) -> list[int]:
    """Requested pairs by tier (must_meet, then published meetings to keep, mutual, one-way), each by LP value
    then most constrained first; then the rest by LP value or weight."""
    pairs = prep.pairs
    lp = [round(sum(guide[v] for v in vs), 6) for vs in prep.pair_vars] if guide else [0.0] * len(pairs)
    tiered: list[int] = []
    for tier in ("must", "keep", "mutual", "one_way"):
        members = [p for p, x in enumerate(pairs) if (x.keep_slot is not None if tier == "keep" else x.tier == tier)]
        tiered += sorted(members, key=lambda p: (-lp[p], len(pairs[p].slots), -pairs[p].weight, p))
    if tiers_only:
        return list(dict.fromkeys(tiered))
    rest = sorted(range(len(pairs)), key=lambda p: (-lp[p], -pairs[p].weight, p))
    return list(dict.fromkeys(tiered + [p for p in rest if pairs[p].weight > 0]))  # first place of each


def _repair(st: _State, deadline: float | None, tiers_only: bool) -> None:
    """For each unplaced pair, free a slot by moving one blocking meeting elsewhere."""
    prep = st.prep
    todo = [p for p in _order(prep, st.guide, tiers_only) if p not in st.placed]
    for p in todo:
        if deadline is not None and time.monotonic() > deadline:
            return
        if all(load >= cap for load, cap in zip(st.load, prep.slot_cap, strict=True)):
            return  # every table is taken: no move can make room
        pair = prep.pairs[p]
        if p in st.placed or not all(len(st.busy[n]) < prep.cap[n] for n in (pair.i, pair.j)):
            continue
        for s in pair.slots:
            if _place_with_one_move(st, p, s):
                break


def _place_with_one_move(st: _State, p: int, s: int) -> bool:
    pair = st.prep.pairs[p]
    blockers = {st.busy[n][s] for n in (pair.i, pair.j) if s in st.busy[n]}
    if len(blockers) > 1:
        return False
    if not blockers:
        if st.load[s] < st.prep.slot_cap[s]:
            st.place(p, s)
            return True
        blockers_options = [q for q, qs in st.placed.items() if qs == s]
    else:
        blockers_options = list(blockers)
    for q in blockers_options:
        if st.prep.pairs[q].keep_slot == s:
            continue  # moving it would break a kept published meeting
        st.remove(q)
        if st.can(p, s):
            st.place(p, s)
            moved = next((t for t in st.prep.pairs[q].slots if t != s and st.can(q, t)), None)
            if moved is not None:
                st.place(q, moved)
                return True
            st.remove(p)
        st.place(q, s)
    return False


def assignment_weight(prep: Prepared, placed: Assignment) -> float:
    return sum((prep.var_weight[_var(prep, p, s)] for p, s in placed.items()), 0.0)


def _var(prep: Prepared, p: int, s: int) -> int:
    return next(v for v in prep.pair_vars[p] if prep.var_slot[v] == s)
