"""Benchmark of the meeting scheduler on a synthetic event.

    python bench/schedule_bench.py [--participants 200 --slots 12 --tables 25 --seed 1] [--json out.json]

Targets: <= 10 s wall, objective >= 98% of the LP bound, 0 validator violations.
`synthetic_problem` is the only data source; replace it to benchmark real match scores.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from anywhere

from matching.scheduling import (  # noqa: E402
    CandidatePair,
    Participant,
    Request,
    SchedulingProblem,
    Slot,
    schedule,
    schedule_from_json,
    schedule_to_json,
    validate_schedule,
)
from matching.scheduling.model import RequestKind  # noqa: E402

SLOT_MINUTES = 20
LUNCH_MINUTES = 60
TARGET_WALL_S = 10.0
TARGET_RATIO = 0.98


def synthetic_problem(n_participants: int, n_slots: int, tables: int, seed: int) -> SchedulingProblem:
    """A seeded event: >=70% availability each, max 4-8 meetings, ~15-30 candidates per
    participant drawn towards a few popular participants, values skewed low (sum of two
    directional scores), plus a few requests and already-met pairs."""
    rng = random.Random(seed)
    slots = _slots(n_slots)
    ids = [f"p{n:03d}" for n in range(n_participants)]
    participants = tuple(_participant(rng, pid, slots) for pid in ids)
    pairs = _candidate_pairs(rng, np.random.default_rng(seed), ids)
    candidates = tuple(CandidatePair(a, b, _value(rng)) for a, b in pairs)
    requests, already_met = _requests(rng, ids, pairs)
    return SchedulingProblem(slots, tables, participants, candidates, requests, already_met)


def _slots(n_slots: int) -> tuple[Slot, ...]:
    start = datetime(2025, 11, 20, 10, 0)
    slots = []
    for n in range(n_slots):
        lunch = LUNCH_MINUTES if n >= n_slots // 2 else 0  # break = a gap with no slot
        slots.append(Slot(f"s{n + 1:02d}", start + timedelta(minutes=n * SLOT_MINUTES + lunch), SLOT_MINUTES))
    return tuple(slots)


def _participant(rng: random.Random, pid: str, slots: tuple[Slot, ...]) -> Participant:
    k = max(math.ceil(0.7 * len(slots)), round(rng.uniform(0.7, 1.0) * len(slots)))
    available = frozenset(s.id for s in rng.sample(slots, k))
    return Participant(pid, available, rng.randint(4, 8))


def _candidate_pairs(rng: random.Random, nprng: np.random.Generator, ids: list[str]) -> list[tuple[str, str]]:
    """Each participant ends up with roughly 15-30 candidates; partners are drawn by a
    heavy-tailed popularity among those not yet saturated."""
    n = len(ids)
    popularity = np.array([rng.paretovariate(1.5) for _ in ids])
    want = [rng.randint(13, 25) for _ in ids]
    links: list[set[int]] = [set() for _ in ids]
    for i in rng.sample(range(n), n):
        need = want[i] - len(links[i])
        open_ = [j for j in range(n) if j != i and j not in links[i] and len(links[j]) < want[j] + 3]
        if need <= 0 or not open_:
            continue
        weights = popularity[open_] / popularity[open_].sum()
        for j in nprng.choice(open_, size=min(need, len(open_)), replace=False, p=weights):
            links[i].add(int(j))
            links[int(j)].add(i)
    return [(ids[i], ids[j]) for i in range(n) for j in sorted(links[i]) if i < j]


def _value(rng: random.Random) -> float:
    # Two directional match scores, each skewed towards low values.
    return round(rng.betavariate(1.2, 4.0) + rng.betavariate(1.2, 4.0), 4)


def _requests(
    rng: random.Random, ids: list[str], pairs: list[tuple[str, str]]
) -> tuple[tuple[Request, ...], frozenset[frozenset[str]]]:
    requests = []
    mix: tuple[tuple[RequestKind, int], ...] = (("must_meet", 8), ("would_like", 30), ("do_not_meet", 10))
    for kind, count in mix:
        for _ in range(count):
            if rng.random() < 0.8:
                a, b = rng.choice(pairs)  # usually someone already suggested to them
            else:
                a, b = rng.sample(ids, 2)
            requests.append(Request(a, b, kind))
    already_met = frozenset(frozenset(p) for p in rng.sample(pairs, min(20, len(pairs))))
    return tuple(requests), already_met


def run(args: argparse.Namespace) -> dict:
    problem = synthetic_problem(args.participants, args.slots, args.tables, args.seed)
    started = time.perf_counter()
    result = schedule(problem, time_limit_s=args.time_limit)
    wall = time.perf_counter() - started
    g_started = time.perf_counter()
    greedy = schedule(problem, solver="greedy", time_limit_s=args.time_limit)
    g_wall = time.perf_counter() - g_started
    reimported, meetings = schedule_from_json(json.loads(json.dumps(schedule_to_json(problem, result))))
    violations = validate_schedule(problem, result.meetings)
    bound = result.upper_bound
    ratio = result.objective / bound if bound else 1.0
    return {
        "participants": args.participants,
        "slots": args.slots,
        "tables": args.tables,
        "seed": args.seed,
        "candidate_pairs": len(problem.candidates),
        "variables": int(result.stats.get("variables", 0)),
        "wall_s": round(wall, 3),
        "status": result.status,
        "objective": round(result.objective, 4),
        "upper_bound": None if bound is None else round(bound, 4),
        "bound_method": result.bound_method,
        "ratio": round(ratio, 5),
        "meetings": len(result.meetings),
        "table_slots": args.tables * args.slots,
        "infeasible_must_meet": len(result.infeasible_must_meet),
        "unscheduled": len(result.unscheduled),
        "violations": violations,
        "json_roundtrip_violations": validate_schedule(reimported, meetings),
        "greedy_objective": round(greedy.objective, 4),
        "greedy_ratio": round(greedy.objective / bound, 5) if bound else None,
        "greedy_wall_s": round(g_wall, 3),
        "greedy_violations": validate_schedule(problem, greedy.meetings),
        "stats": {k: round(v, 3) for k, v in result.stats.items()},
        "targets_met": wall <= TARGET_WALL_S and ratio >= TARGET_RATIO and not violations,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--participants", type=int, default=200)
    parser.add_argument("--slots", type=int, default=12)
    parser.add_argument("--tables", type=int, default=25)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--time-limit", type=float, default=8.0)
    parser.add_argument("--json", type=Path, help="write the results to this file")
    args = parser.parse_args(argv)
    report = run(args)
    for key, value in report.items():
        if key != "stats":
            print(f"{key:>26}: {value}")
    print(f"{'stats':>26}: {report['stats']}")
    if args.json:
        args.json.write_text(json.dumps(report, indent=2) + "\n")
    return 0 if report["targets_met"] else 1


if __name__ == "__main__":
    sys.exit(main())
