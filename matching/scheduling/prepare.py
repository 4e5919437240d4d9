"""Turns a SchedulingProblem into index-based data shared by the greedy, CP-SAT and LP code.

Every rule that decides whether a pair may meet at all (do_not_meet, already met,
availability, capacity) is applied here once, so the solvers only see feasible
(pair, slot) variables.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from .model import Meeting, SchedulingProblem

Key = frozenset[str]


@dataclass
class PairInfo:
    i: int  # participant indices, i < j
    j: int
    value: float  # candidate value (0 when only requested)
    weight: float  # objective coefficient of the pair
    slots: tuple[int, ...]  # common available slot indices
    must: bool = False
    would_like: bool = False
    keep_slot: int | None = None  # slot of a still-valid published meeting
    keep_table: int | None = None


@dataclass
class Prepared:
    slot_ids: list[str]
    part_ids: list[str]
    part_index: dict[str, int]
    avail: list[frozenset[int]]
    cap: list[int]  # max_meetings capped by the number of available slots
    tables: int
    pairs: list[PairInfo] = field(default_factory=list)
    pair_index: dict[Key, int] = field(default_factory=dict)
    excluded: dict[Key, str] = field(default_factory=dict)  # pair -> why it cannot be scheduled
    requested: set[Key] = field(default_factory=set)  # must_meet or would_like, either direction
    must_keys: dict[Key, tuple[str, str]] = field(default_factory=dict)
    infeasible_must: dict[Key, str] = field(default_factory=dict)  # detected up-front
    published_invalid: list[tuple[Meeting, str]] = field(default_factory=list)
    strict_must: bool = True
    strict_keep: bool = True
    keep_bonus: float = 0.0
    notes: list[str] = field(default_factory=list)
    # Decision variables x[pair, slot], flattened.
    var_pair: list[int] = field(default_factory=list)
    var_slot: list[int] = field(default_factory=list)
    var_weight: list[float] = field(default_factory=list)
    pair_vars: list[list[int]] = field(default_factory=list)

    def key(self, p: int) -> Key:
        pair = self.pairs[p]
        return frozenset((self.part_ids[pair.i], self.part_ids[pair.j]))

    def keep_var(self, p: int) -> int | None:
        slot = self.pairs[p].keep_slot
        if slot is None:
            return None
        return next(v for v in self.pair_vars[p] if self.var_slot[v] == slot)

    def must_vars(self) -> list[int]:
        return [v for p, pair in enumerate(self.pairs) if pair.must for v in self.pair_vars[p]]

    def keep_vars(self) -> list[int]:
        kept = (self.keep_var(p) for p in range(len(self.pairs)))
        return [v for v in kept if v is not None]


def prepare(
    problem: SchedulingProblem,
    *,
    must_meet_bonus: float | None,
    would_like_bonus: float,
    keep_published_bonus: float | None,
    top_k: int | None,
) -> Prepared:
    prep = _index(problem)
    prep.strict_must = must_meet_bonus is None
    prep.strict_keep = keep_published_bonus is None
    prep.keep_bonus = keep_published_bonus or 0.0
    values = _candidate_values(problem, prep)
    dnm, wl = _read_requests(problem, prep)
    published = _read_published(problem, prep)
    keys = {k for k, v in values.items() if v > 0} | prep.requested | set(published)
    for k, v in values.items():
        if v <= 0 and k not in keys:
            prep.excluded[k] = "non-positive value"
    for key in sorted(keys, key=sorted):
        reason = _pair_blocker(prep, key, dnm, problem.already_met)
        if reason is not None:
            prep.excluded[key] = reason
            if key in prep.must_keys:
                prep.infeasible_must[key] = reason
            continue
        _add_pair(prep, key, values.get(key, 0.0), wl, must_meet_bonus, would_like_bonus)
    _attach_published(prep, published)
    if top_k is not None:
        _prune(prep, top_k)
    _build_vars(prep)
    return prep


def _index(problem: SchedulingProblem) -> Prepared:
    if problem.tables < 0:
        raise ValueError("tables must be >= 0")
    slots = sorted(problem.slots, key=lambda s: (s.start, s.id))
    slot_ids = [s.id for s in slots]
    part_ids = [p.id for p in problem.participants]
    for what, ids in (("slot", slot_ids), ("participant", part_ids)):
        if len(set(ids)) != len(ids):
            raise ValueError(f"duplicate {what} id")
    slot_index = {s: n for n, s in enumerate(slot_ids)}
    avail = [frozenset(slot_index[s] for s in p.available_slots if s in slot_index) for p in problem.participants]
    cap = [max(0, min(p.max_meetings, len(a))) for p, a in zip(problem.participants, avail, strict=True)]
    if problem.tables == 0:
        cap = [0] * len(cap)
    return Prepared(
        slot_ids=slot_ids,
        part_ids=part_ids,
        part_index={p: n for n, p in enumerate(part_ids)},
        avail=avail,
        cap=cap,
        tables=problem.tables,
    )


def _candidate_values(problem: SchedulingProblem, prep: Prepared) -> dict[Key, float]:
    values: dict[Key, float] = {}
    skipped = 0
    for c in problem.candidates:
        if c.a == c.b or c.a not in prep.part_index or c.b not in prep.part_index:
            skipped += 1
            continue
        key = frozenset((c.a, c.b))
        values[key] = max(values.get(key, float("-inf")), float(c.value))  # duplicates: keep the best
    if skipped:
        prep.notes.append(f"{skipped} candidate pair(s) ignored: self-pair or unknown participant")
    return values


def _read_requests(problem: SchedulingProblem, prep: Prepared) -> tuple[dict[Key, str], set[Key]]:
    dnm: dict[Key, str] = {}
    wl: set[Key] = set()
    for r in problem.requests:
        key = frozenset((r.requester, r.target))
        unknown = [p for p in (r.requester, r.target) if p not in prep.part_index]
        if r.kind == "must_meet":
            prep.must_keys.setdefault(key, (r.requester, r.target))
            if r.requester == r.target:
                prep.infeasible_must[key] = "requester and target are the same participant"
            elif unknown:
                prep.infeasible_must[key] = f"unknown participant {unknown[0]}"
        if unknown or r.requester == r.target:
            continue
        if r.kind == "do_not_meet":
            dnm.setdefault(key, r.requester)
        elif r.kind == "would_like":
            wl.add(key)
        if r.kind in ("must_meet", "would_like"):
            prep.requested.add(key)
    return dnm, wl


def _read_published(problem: SchedulingProblem, prep: Prepared) -> dict[Key, Meeting]:
    """Published meetings whose participants and slot still exist; the rest are reported."""
    out: dict[Key, Meeting] = {}
    slots = set(prep.slot_ids)
    for m in problem.published:
        key = frozenset((m.a, m.b))
        gone = [p for p in (m.a, m.b) if p not in prep.part_index]
        if gone:
            prep.published_invalid.append((m, f"participant {gone[0]} removed"))
        elif m.slot not in slots:
            prep.published_invalid.append((m, "slot removed"))
        elif m.a == m.b or key in out:
            prep.published_invalid.append((m, "duplicate pair"))
        else:
            out[key] = m
    return out


def _pair_blocker(prep: Prepared, key: Key, dnm: dict[Key, str], already_met: frozenset[Key]) -> str | None:
    """Why this pair can never meet, or None."""
    if key in dnm:
        return f"do_not_meet requested by {dnm[key]}"
    if key in already_met and key not in prep.requested:
        return "already met"
    if prep.tables == 0:
        return "no tables"
    for pid in sorted(key):
        n = prep.part_index[pid]
        if not prep.avail[n]:
            return f"{pid} has no available slot"
        if prep.cap[n] == 0:
            return f"{pid} has max_meetings 0"
    a, b = (prep.part_index[p] for p in key)
    if not prep.avail[a] & prep.avail[b]:
        return "no common available slot"
    return None


def _add_pair(
    prep: Prepared,
    key: Key,
    value: float,
    wl: set[Key],
    must_meet_bonus: float | None,
    would_like_bonus: float,
) -> None:
    a, b = sorted(prep.part_index[p] for p in key)
    must = key in prep.must_keys
    weight = value + (would_like_bonus if key in wl else 0.0) + (must_meet_bonus or 0.0) * must
    pair = PairInfo(a, b, value, weight, tuple(sorted(prep.avail[a] & prep.avail[b])), must, key in wl)
    prep.pair_index[key] = len(prep.pairs)
    prep.pairs.append(pair)


def _attach_published(prep: Prepared, published: dict[Key, Meeting]) -> None:
    slot_index = {s: n for n, s in enumerate(prep.slot_ids)}
    for key, m in published.items():
        p = prep.pair_index.get(key)
        if p is None:
            prep.published_invalid.append((m, prep.excluded.get(key, "pair no longer eligible")))
            continue
        pair = prep.pairs[p]
        s = slot_index[m.slot]
        if s not in pair.slots:
            missing = m.a if s not in prep.avail[prep.part_index[m.a]] else m.b
            prep.published_invalid.append((m, f"{missing} no longer available in slot {m.slot}"))
            continue
        pair.keep_slot, pair.keep_table = s, m.table


def _prune(prep: Prepared, top_k: int) -> None:
    """Keep a pair if it is in the top_k (by weight) of either participant; requests and
    published pairs are always kept. The LP bound is then over this pruned set."""
    ranked: dict[int, list[int]] = defaultdict(list)
    for p, pair in enumerate(prep.pairs):
        ranked[pair.i].append(p)
        ranked[pair.j].append(p)
    keep: set[int] = set()
    for plist in ranked.values():
        keep.update(sorted(plist, key=lambda p: -prep.pairs[p].weight)[:top_k])
    protected = {p for p, pair in enumerate(prep.pairs) if pair.must or pair.would_like or pair.keep_slot is not None}
    keep |= protected
    dropped = len(prep.pairs) - len(keep)
    if not dropped:
        return
    old = prep.pairs
    prep.pairs, prep.pair_index = [], {}
    for p, pair in enumerate(old):
        key = frozenset((prep.part_ids[pair.i], prep.part_ids[pair.j]))
        if p in keep:
            prep.pair_index[key] = len(prep.pairs)
            prep.pairs.append(pair)
        else:
            prep.excluded[key] = f"pruned (outside both participants' top {top_k})"
    prep.notes.append(
        f"candidates pruned to each participant's top {top_k}: {dropped} pair(s) dropped; "
        "the upper bound is over the pruned candidate set"
    )


def _build_vars(prep: Prepared) -> None:
    for p, pair in enumerate(prep.pairs):
        vars_p = []
        for s in pair.slots:
            vars_p.append(len(prep.var_pair))
            prep.var_pair.append(p)
            prep.var_slot.append(s)
            keep = not prep.strict_keep and s == pair.keep_slot
            prep.var_weight.append(pair.weight + (prep.keep_bonus if keep else 0.0))
        prep.pair_vars.append(vars_p)


def capacity_groups(prep: Prepared, var_ids: list[int]) -> list[tuple[list[int], int]]:
    """Capacity constraints over a subset of variables as (vars, max count) groups; groups
    that cannot bind are dropped. Shared by the CP-SAT model and the LP bound."""
    by_part_slot: dict[tuple[int, int], list[int]] = defaultdict(list)
    by_slot: dict[int, list[int]] = defaultdict(list)
    by_part: dict[int, list[int]] = defaultdict(list)
    by_pair: dict[int, list[int]] = defaultdict(list)
    for v in var_ids:
        pair, s = prep.pairs[prep.var_pair[v]], prep.var_slot[v]
        for n in (pair.i, pair.j):
            by_part_slot[n, s].append(v)
            by_part[n].append(v)
        by_slot[s].append(v)
        by_pair[prep.var_pair[v]].append(v)
    groups = [(vs, 1) for vs in by_part_slot.values() if len(vs) > 1]
    groups += [(vs, 1) for vs in by_pair.values() if len(vs) > 1]
    groups += [(vs, prep.tables) for vs in by_slot.values() if len(vs) > prep.tables]
    groups += [(vs, prep.cap[n]) for n, vs in by_part.items() if len(vs) > prep.cap[n]]
    return groups
