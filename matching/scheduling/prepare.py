"""Turns a SchedulingProblem into index-based data shared by the greedy, CP-SAT and LP code.

Every rule that decides whether a pair may meet at all (do_not_meet, already met, removed by hand,
the minimum value, availability, capacity) is applied here once, so the solvers only see feasible
(pair, slot) variables. Locked meetings are placed here too: the solvers see the slots, tables and
meeting counts they leave.

Inputs are read in a fixed order (participants, candidates, requests and meetings sorted by id), so the
same problem always gives the same variables in the same order.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from .model import Meeting, SchedulingProblem

Key = frozenset[str]
# Strict priorities, highest first: each is maximised before the next, then the value of the rest.
TIERS = ("must", "keep", "mutual", "one_way")
REQUEST_TIERS = ("must", "mutual", "one_way")


@dataclass
class PairInfo:
    i: int  # participant indices, i < j
    j: int
    value: float  # candidate value (0 when only requested)
    weight: float  # objective coefficient of the pair in any slot
    slots: tuple[int, ...]  # common available slot indices
    tier: str | None = None  # "must", "mutual" or "one_way" for requested pairs; None for recommended ones
    keep_slot: int | None = None  # slot of a still-valid published meeting
    keep_table: int | None = None
    prev_slot: int | None = None  # slot and table of the pair's meeting before this run
    prev_table: int | None = None


@dataclass
class Prepared:
    slot_ids: list[str]
    part_ids: list[str]
    part_index: dict[str, int]
    avail: list[frozenset[int]]  # free slots (locked meetings taken out)
    cap: list[int]  # meetings left to place: max_meetings minus locked ones, capped by the free slots
    tables: int
    slot_cap: list[int]  # tables left per slot once locked meetings have theirs
    min_value: float = 0.0
    move_penalty: float = 0.0
    pairs: list[PairInfo] = field(default_factory=list)
    pair_index: dict[Key, int] = field(default_factory=dict)
    excluded: dict[Key, str] = field(default_factory=dict)  # pair -> why it cannot be scheduled
    requested: set[Key] = field(default_factory=set)  # must_meet or would_like, either direction
    tiers: dict[Key, str] = field(default_factory=dict)  # requested pair -> "must", "mutual" or "one_way"
    must_keys: dict[Key, tuple[str, str]] = field(default_factory=dict)
    wishes: dict[Key, list[tuple[str, str]]] = field(default_factory=dict)  # would_like (requester, target)
    infeasible_must: dict[Key, str] = field(default_factory=dict)  # detected up-front
    unknown_wishes: list[tuple[str, str, str]] = field(default_factory=list)  # requester, target, why
    published_invalid: list[tuple[Meeting, str]] = field(default_factory=list)
    locked: list[Meeting] = field(default_factory=list)  # valid locked meetings, kept as they are
    locked_keys: set[Key] = field(default_factory=set)
    locked_count: list[int] = field(default_factory=list)  # per participant
    lock_invalid: list[tuple[Meeting, str]] = field(default_factory=list)
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

    def tier_vars(self, tier: str) -> list[int]:
        """The variables whose sum counts the tier's pairs placed (published ones kept in place for "keep")."""
        if tier == "keep":
            kept = (self.keep_var(p) for p in range(len(self.pairs)))
            return [v for v in kept if v is not None]
        return [v for p, pair in enumerate(self.pairs) if pair.tier == tier for v in self.pair_vars[p]]

    def must_vars(self) -> list[int]:
        return self.tier_vars("must")

    def keep_vars(self) -> list[int]:
        return self.tier_vars("keep")


def prepare(problem: SchedulingProblem, *, move_penalty: float | None = None, top_k: int | None = None) -> Prepared:
    """move_penalty: what moving or dropping a meeting of `problem.previous` costs; None: the minimum value,
    or 1 when there is none."""
    prep = _index(problem)
    prep.min_value = max(0.0, float(problem.min_value))
    prep.move_penalty = (prep.min_value or 1.0) if move_penalty is None else max(0.0, move_penalty)
    values = _candidate_values(problem, prep)
    dnm = _read_requests(problem, prep)
    _place_locks(problem, prep, dnm, values)
    published = _read_published(problem, prep)
    keys = {k for k, v in values.items() if v > 0} | prep.requested | set(published)
    for k in values:
        if k not in keys:
            prep.excluded[k] = "non-positive value"
    for key in sorted(keys, key=sorted):
        if key in prep.locked_keys:
            continue  # already meets, in its locked meeting
        reason = _pair_blocker(prep, key, dnm, problem, values.get(key, 0.0), key in published)
        if reason is not None:
            prep.excluded[key] = reason
            if key in prep.must_keys:
                prep.infeasible_must.setdefault(key, reason)
            continue
        _add_pair(prep, key, values.get(key, 0.0), prep.tiers.get(key))
    _attach_published(prep, published)
    _attach_previous(prep, problem)
    if top_k is not None:
        _prune(prep, top_k)
    _build_vars(prep)
    return prep


def _index(problem: SchedulingProblem) -> Prepared:
    if problem.tables < 0:
        raise ValueError("tables must be >= 0")
    slots = sorted(problem.slots, key=lambda s: (s.start, s.id))
    slot_ids = [s.id for s in slots]
    people = sorted(problem.participants, key=lambda p: p.id)
    part_ids = [p.id for p in people]
    for what, ids in (("slot", slot_ids), ("participant", part_ids)):
        if len(set(ids)) != len(ids):
            raise ValueError(f"duplicate {what} id")
    slot_index = {s: n for n, s in enumerate(slot_ids)}
    avail = [frozenset(slot_index[s] for s in p.available_slots if s in slot_index) for p in people]
    cap = [max(0, min(p.max_meetings, len(a))) for p, a in zip(people, avail, strict=True)]
    if problem.tables == 0:
        cap = [0] * len(cap)
    return Prepared(
        slot_ids=slot_ids,
        part_ids=part_ids,
        part_index={p: n for n, p in enumerate(part_ids)},
        avail=avail,
        cap=cap,
        tables=problem.tables,
        slot_cap=[problem.tables] * len(slot_ids),
        locked_count=[0] * len(part_ids),
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


def _read_requests(problem: SchedulingProblem, prep: Prepared) -> dict[Key, str]:
    """The do_not_meet pairs (with who asked); records the tier of every requested pair: must_meet from either
    side, mutual when both sides asked, else one_way."""
    dnm: dict[Key, str] = {}
    asked: dict[Key, set[str]] = defaultdict(set)
    for r in sorted(problem.requests, key=lambda r: (r.requester, r.target, r.kind)):
        key = frozenset((r.requester, r.target))
        unknown = [p for p in (r.requester, r.target) if p not in prep.part_index]
        why = ("requester and target are the same participant" if r.requester == r.target
               else f"unknown participant {unknown[0]}" if unknown else None)
        if r.kind == "must_meet":
            prep.must_keys.setdefault(key, (r.requester, r.target))
            if why is not None:
                prep.infeasible_must[key] = why
        elif r.kind == "would_like" and why is not None:
            prep.unknown_wishes.append((r.requester, r.target, why))
        if why is not None:
            continue
        if r.kind == "do_not_meet":
            dnm.setdefault(key, r.requester)
            continue
        prep.requested.add(key)
        asked[key].add(r.requester)
        if r.kind == "would_like":
            prep.wishes.setdefault(key, []).append((r.requester, r.target))
    prep.tiers = {key: "must" if key in prep.must_keys else "mutual" if len(who) == 2 else "one_way"
                  for key, who in asked.items() if key not in dnm}
    return dnm


def _place_locks(problem: SchedulingProblem, prep: Prepared, dnm: dict[Key, str], values: dict[Key, float]) -> None:
    """Keep every valid locked meeting exactly (with the pair's current value); take its slot, table and
    meeting out of what is left."""
    slot_index = {s: n for n, s in enumerate(prep.slot_ids)}
    busy: set[tuple[str, str]] = set()
    tables: set[tuple[str, int]] = set()
    count: dict[str, int] = defaultdict(int)
    limits = {p.id: p.max_meetings for p in problem.participants}
    for m in sorted(problem.locked, key=lambda m: (m.slot, m.table, min(m.a, m.b), max(m.a, m.b))):
        key = frozenset((m.a, m.b))
        why = _lock_blocker(prep, m, slot_index, dnm)
        if why is None:
            taken = [p for p in (m.a, m.b) if (p, m.slot) in busy]
            full = [p for p in (m.a, m.b) if count[p] >= limits[p]]
            why = (f"{taken[0]} has another locked meeting in {m.slot}" if taken
                   else f"table {m.table} in {m.slot} has another locked meeting" if (m.slot, m.table) in tables
                   else "the pair has another locked meeting" if key in prep.locked_keys
                   else f"{full[0]} would exceed max_meetings ({limits[full[0]]})" if full else None)
        if why is not None:
            prep.lock_invalid.append((m, why))
            continue
        busy |= {(m.a, m.slot), (m.b, m.slot)}
        tables.add((m.slot, m.table))
        prep.locked.append(Meeting(m.slot, m.table, m.a, m.b, values.get(key, 0.0)))
        prep.locked_keys.add(key)
        s = slot_index[m.slot]
        prep.slot_cap[s] -= 1
        for pid in (m.a, m.b):
            count[pid] += 1
            n = prep.part_index[pid]
            prep.locked_count[n] += 1
            prep.avail[n] = prep.avail[n] - {s}
    for n, pid in enumerate(prep.part_ids):
        if prep.locked_count[n]:
            prep.cap[n] = max(0, min(limits[pid] - prep.locked_count[n], len(prep.avail[n])))


def _lock_blocker(prep: Prepared, m: Meeting, slot_index: dict[str, int], dnm: dict[Key, str]) -> str | None:
    gone = [p for p in (m.a, m.b) if p not in prep.part_index]
    if gone:
        return f"participant {gone[0]} removed"
    if m.a == m.b:
        return "a participant cannot meet itself"
    if m.slot not in slot_index:
        return "slot removed"
    if not 1 <= m.table <= prep.tables:
        return f"table {m.table} no longer exists"
    away = [p for p in (m.a, m.b) if slot_index[m.slot] not in prep.avail[prep.part_index[p]]]
    if away:
        return f"{away[0]} no longer available in slot {m.slot}"
    key = frozenset((m.a, m.b))
    if key in dnm:
        return f"do_not_meet requested by {dnm[key]}"
    return None


def _read_published(problem: SchedulingProblem, prep: Prepared) -> dict[Key, Meeting]:
    """Published meetings whose participants and slot still exist; the rest are reported."""
    out: dict[Key, Meeting] = {}
    slots = set(prep.slot_ids)
    locked = {(m.slot, m.table, frozenset((m.a, m.b))) for m in prep.locked}
    for m in sorted(problem.published, key=lambda m: (m.slot, m.table, min(m.a, m.b), max(m.a, m.b))):
        key = frozenset((m.a, m.b))
        gone = [p for p in (m.a, m.b) if p not in prep.part_index]
        if (m.slot, m.table, key) in locked:
            continue  # locked as it is
        if gone:
            prep.published_invalid.append((m, f"participant {gone[0]} removed"))
        elif m.slot not in slots:
            prep.published_invalid.append((m, "slot removed"))
        elif m.a == m.b or key in out:
            prep.published_invalid.append((m, "duplicate pair"))
        elif key in prep.locked_keys:
            prep.published_invalid.append((m, "the pair has a locked meeting elsewhere"))
        else:
            out[key] = m
    return out


def _pair_blocker(prep: Prepared, key: Key, dnm: dict[Key, str], problem: SchedulingProblem, value: float,
                  published: bool) -> str | None:
    """Why this pair can never meet in this run, or None."""
    if key in dnm:
        return f"do_not_meet requested by {dnm[key]}"
    if key in problem.removed:
        return "removed by hand"
    requested = key in prep.requested
    if key in problem.already_met and not requested:
        return "already met"
    if not requested and not published:
        if value <= 0:
            return "non-positive value"
        if value < prep.min_value:
            return f"value {value:.2f} below the minimum {prep.min_value:g}"
    if prep.tables == 0:
        return "no tables"
    for pid in sorted(key):
        n = prep.part_index[pid]
        locked = prep.locked_count[n]
        if not prep.avail[n]:
            return f"{pid} has no free slot besides its locked meetings" if locked else f"{pid} has no available slot"
        if prep.cap[n] == 0:
            return f"{pid} reaches max_meetings with locked meetings" if locked else f"{pid} has max_meetings 0"
    a, b = (prep.part_index[p] for p in key)
    if not prep.avail[a] & prep.avail[b]:
        return "no common available slot"
    return None


def _add_pair(prep: Prepared, key: Key, value: float, tier: str | None) -> None:
    a, b = sorted(prep.part_index[p] for p in key)
    pair = PairInfo(a, b, value, max(0.0, value), tuple(sorted(prep.avail[a] & prep.avail[b])), tier)
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
            locked = any(x.slot == m.slot and missing in (x.a, x.b) for x in prep.locked)
            why = f"{missing} has a locked meeting in slot {m.slot}" if locked else \
                f"{missing} no longer available in slot {m.slot}"
            prep.published_invalid.append((m, why))
            continue
        pair.keep_slot, pair.keep_table = s, m.table


def _attach_previous(prep: Prepared, problem: SchedulingProblem) -> None:
    """Where each pair met before this run, so leaving it there earns the move penalty back."""
    slot_index = {s: n for n, s in enumerate(prep.slot_ids)}
    for m in sorted(problem.previous, key=lambda m: (m.slot, m.table, min(m.a, m.b), max(m.a, m.b))):
        p = prep.pair_index.get(frozenset((m.a, m.b)))
        s = slot_index.get(m.slot)
        if p is not None and s is not None and s in prep.pairs[p].slots and prep.pairs[p].prev_slot is None:
            prep.pairs[p].prev_slot, prep.pairs[p].prev_table = s, m.table


def _prune(prep: Prepared, top_k: int) -> None:
    """Keep a pair if it is in the top_k (by weight) of either participant; requests and
    published pairs are always kept. The LP bound is then over this pruned set."""
    ranked: dict[int, list[int]] = defaultdict(list)
    for p, pair in enumerate(prep.pairs):
        ranked[pair.i].append(p)
        ranked[pair.j].append(p)
    keep: set[int] = set()
    for plist in ranked.values():
        keep.update(sorted(plist, key=lambda p: (-prep.pairs[p].weight, p))[:top_k])
    protected = {p for p, pair in enumerate(prep.pairs) if pair.tier or pair.keep_slot is not None}
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
            prep.var_weight.append(pair.weight + (prep.move_penalty if s == pair.prev_slot else 0.0))
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
    groups += [(vs, prep.slot_cap[s]) for s, vs in by_slot.items() if len(vs) > prep.slot_cap[s]]
    groups += [(vs, prep.cap[n]) for n, vs in by_part.items() if len(vs) > prep.cap[n]]
    return groups
