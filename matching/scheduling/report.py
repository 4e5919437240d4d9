"""Turns a solved assignment into Meetings with table numbers, agendas and explanations."""

from __future__ import annotations

from collections import Counter, defaultdict

from .greedy import Assignment
from .model import AgendaEntry, Meeting, SchedulingProblem, UnplacedRequest
from .prepare import Prepared

MAX_LISTED = 5


def assign_tables(prep: Prepared, placed: Assignment) -> list[Meeting]:
    """Locked meetings have their tables; kept published meetings keep theirs, then meetings left in the slot
    they had before this run keep theirs where free; the rest take the lowest free numbers."""
    by_slot: dict[int, list[int]] = defaultdict(list)
    for p, s in placed.items():
        by_slot[s].append(p)
    locked: dict[str, dict[int, Meeting]] = defaultdict(dict)
    for m in prep.locked:
        locked[m.slot][m.table] = m
    meetings = []
    for s, slot_id in enumerate(prep.slot_ids):
        taken = dict(locked.get(slot_id, {}))
        pairs = sorted(by_slot.get(s, []), key=lambda p: (-prep.pairs[p].value, prep.pairs[p].i, prep.pairs[p].j))
        seated: dict[int, int] = {}  # table -> pair
        for kept in (True, False):
            for p in pairs:
                pair = prep.pairs[p]
                slot, table = (pair.keep_slot, pair.keep_table) if kept else (pair.prev_slot, pair.prev_table)
                if slot != s or table is None or p in seated.values():
                    continue
                if 1 <= table <= prep.tables and table not in taken and table not in seated:
                    seated[table] = p
        numbers = iter(t for t in range(1, prep.tables + 1) if t not in taken and t not in seated)
        for p in pairs:
            if p not in seated.values():
                seated[next(numbers)] = p
        for table, p in seated.items():
            pair = prep.pairs[p]
            taken[table] = Meeting(slot_id, table, prep.part_ids[pair.i], prep.part_ids[pair.j], pair.value)
        meetings += [taken[t] for t in sorted(taken)]
    return meetings


def agendas(problem: SchedulingProblem, meetings: list[Meeting]) -> dict[str, tuple[AgendaEntry, ...]]:
    slots = {s.id: s for s in problem.slots}
    out: dict[str, list[AgendaEntry]] = {p.id: [] for p in problem.participants}
    for m in meetings:
        slot = slots[m.slot]
        for me, partner in ((m.a, m.b), (m.b, m.a)):
            out[me].append(AgendaEntry(m.slot, slot.start, slot.minutes, m.table, partner, m.value))
    return {pid: tuple(sorted(items, key=lambda e: (e.start, e.slot))) for pid, items in out.items()}


class Occupancy:
    """Final schedule seen per participant, used to explain what did not fit."""

    def __init__(self, prep: Prepared, placed: Assignment) -> None:
        self.prep = prep
        self.busy: list[dict[int, int]] = [{} for _ in prep.part_ids]
        self.load = [0] * len(prep.slot_ids)
        for p, s in placed.items():
            pair = prep.pairs[p]
            self.busy[pair.i][s] = self.busy[pair.j][s] = p
            self.load[s] += 1

    def full(self, n: int) -> bool:
        return len(self.busy[n]) >= self.prep.cap[n]

    def slot_blocker(self, p: int, s: int) -> str | None:
        pair = self.prep.pairs[p]
        for n in (pair.i, pair.j):
            if s in self.busy[n]:
                return f"{self.prep.part_ids[n]} busy"
        return "tables full" if self.load[s] >= self.prep.slot_cap[s] else None


def must_meet_failures(prep: Prepared, placed: Assignment, note: str) -> list[tuple[str, str, str]]:
    occ = Occupancy(prep, placed)
    out = []
    for key, (requester, target) in prep.must_keys.items():
        if key in prep.infeasible_must:
            out.append((requester, target, prep.infeasible_must[key]))
            continue
        p = prep.pair_index.get(key)
        if p is not None and p not in placed:
            out.append((requester, target, _unplaced_reason(occ, p, "higher-priority meetings") + note))
    return out


def unplaced_wishes(prep: Prepared, placed: Assignment, note: str) -> list[UnplacedRequest]:
    """Every would_like request whose pair has no meeting, with why."""
    occ = Occupancy(prep, placed)
    out = [UnplacedRequest(a, b, "would_like", why) for a, b, why in prep.unknown_wishes]
    for key, asked in sorted(prep.wishes.items(), key=lambda kv: sorted(kv[0])):
        p = prep.pair_index.get(key)
        if key in prep.locked_keys or (p is not None and p in placed):
            continue
        why = prep.excluded.get(key, "pair no longer eligible") if p is None else \
            _unplaced_reason(occ, p, "meetings of the same or a higher priority") + note
        out += [UnplacedRequest(requester, target, "would_like", why) for requester, target in asked]
    return out


def _unplaced_reason(occ: Occupancy, p: int, blockers: str) -> str:
    prep, pair = occ.prep, occ.prep.pairs[p]
    for n in (pair.i, pair.j):
        if occ.full(n):
            return f"{prep.part_ids[n]} reaches max_meetings ({prep.cap[n] + prep.locked_count[n]}) with {blockers}"
    details = [f"{prep.slot_ids[s]}: {occ.slot_blocker(p, s)}" for s in pair.slots]
    return f"every common slot is taken by {blockers} (" + _listing(details) + ")"


def tier_counts(prep: Prepared, problem: SchedulingProblem, meetings: list[Meeting]) -> dict[str, int]:
    """Requested pairs by tier and how many got a meeting (locked ones included); recommended meetings the solver
    chose (and how many of them are below the minimum value, which only published meetings kept may be); locked
    meetings; free table-slots; and what became of the meetings scheduled before this run."""
    final = {frozenset((m.a, m.b)): m for m in meetings}
    counts = {f"{name}_{what}": 0 for name in ("must_meet", "mutual", "one_way") for what in ("pairs", "placed")}
    for key, tier in prep.tiers.items():
        name = "must_meet" if tier == "must" else tier
        counts[f"{name}_pairs"] += 1
        counts[f"{name}_placed"] += key in final
    recommended = [m for key, m in final.items() if key not in prep.tiers and key not in prep.locked_keys]
    kept = {frozenset((m.a, m.b)) for m in problem.published}
    counts["recommended"] = len(recommended)
    counts["below_min_value"] = sum(m.value < prep.min_value for m in recommended if frozenset((m.a, m.b)) not in kept)
    counts["locked"] = len(prep.locked)
    counts["free_table_slots"] = prep.tables * len(prep.slot_ids) - len(meetings)
    before = {frozenset((m.a, m.b)): m for m in problem.previous}
    counts["previous_kept"] = sum((m.slot, m.table) == (final[k].slot, final[k].table)
                                  for k, m in before.items() if k in final)
    counts["previous_moved"] = sum(k in final for k in before) - counts["previous_kept"]
    counts["previous_dropped"] = sum(k not in final for k in before)
    return counts


def unscheduled(prep: Prepared, problem: SchedulingProblem, placed: Assignment) -> dict[str, str]:
    occ = Occupancy(prep, placed)
    pairs_of: dict[int, list[int]] = defaultdict(list)
    for p, pair in enumerate(prep.pairs):
        pairs_of[pair.i].append(p)
        pairs_of[pair.j].append(p)
    out = {}
    for part in problem.participants:
        n = prep.part_index[part.id]
        if not occ.busy[n] and not prep.locked_count[n]:
            out[part.id] = _why_idle(prep, occ, n, part.max_meetings, pairs_of[n])
    return out


def _why_idle(prep: Prepared, occ: Occupancy, n: int, max_meetings: int, pairs: list[int]) -> str:
    pid = prep.part_ids[n]
    if max_meetings <= 0:
        return "max_meetings is 0"
    if not prep.avail[n]:
        return "no available slot"
    if prep.tables == 0:
        return "no tables"
    if not pairs:
        excluded = [f"{_other(key, pid)} ({why})" for key, why in prep.excluded.items() if pid in key]
        if not excluded:
            return "no candidate"
        return f"all {len(excluded)} candidate(s) excluded: " + _listing(sorted(excluded))
    why = Counter(_blocked_by(occ, p, n) for p in pairs)
    parts = [f"{count} {text}" for text, count in sorted(why.items(), key=lambda kv: -kv[1])]
    return f"no meeting fits with any of {len(pairs)} candidate(s): " + ", ".join(parts)


def _blocked_by(occ: Occupancy, p: int, n: int) -> str:
    """Why pair p cannot be added for idle participant n (who is free in every slot)."""
    partner = _partner(occ.prep, p, n)
    if occ.full(partner):
        return "at their max_meetings"
    if all(occ.load[s] >= occ.prep.slot_cap[s] for s in occ.prep.pairs[p].slots):
        return "only in slots whose tables are full"
    return "busy whenever a table is free"


def published_changes(prep: Prepared, problem: SchedulingProblem, meetings: list[Meeting]) -> list[tuple[Meeting, str]]:
    final = {frozenset((m.a, m.b)): m for m in meetings}
    invalid = {id(m): why for m, why in prep.published_invalid}
    out = []
    for old in problem.published:
        new = final.get(frozenset((old.a, old.b)))
        why = invalid.get(id(old))
        if new is not None and (new.slot, new.table) == (old.slot, old.table):
            continue
        if new is None:
            out.append((old, f"dropped: {why}" if why else "dropped: no room after higher-priority changes"))
        elif new.slot == old.slot:
            out.append((old, f"table changed to {new.table}"))
        else:
            suffix = f" ({why})" if why else ""
            out.append((old, f"moved to slot {new.slot}, table {new.table}{suffix}"))
    return out


def _partner(prep: Prepared, p: int, n: int) -> int:
    pair = prep.pairs[p]
    return pair.j if pair.i == n else pair.i


def _other(key: frozenset[str], pid: str) -> str:
    return next((x for x in key if x != pid), pid)


def _listing(items: list[str]) -> str:
    more = len(items) - MAX_LISTED
    return "; ".join(items[:MAX_LISTED]) + (f"; … {more} more" if more > 0 else "")
