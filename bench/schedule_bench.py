"""Benchmark of event scheduling through the service, on SQLite, with the real matching engine.

    python -m bench.schedule_bench [--events demo200,dev] [--time-limit 8] [--seed 1] [--shared ../shared]
                                   [--json out.json] [--docs docs/events.md]

Two events:

- demo200: the shipped demo roster (82 members), each member sending up to three delegates registered as members
  of their own (same needs and seeds; delegates of one member ask not to meet each other), 200 participants,
  12 slots of 20 minutes with 5-minute changeovers and a lunch, 25 tables, about 1,000 requests;
- dev: the labelled dev roster (every member takes part), 10 slots, 15 tables, about 325 requests;
- demo200-light: demo200 with 150 requests, so that recommended pairs and the minimum value decide the rest.

Participants are available in at least 70 % of the slots and take 4 to 8 meetings. Most requests name a partner
among the requester's best candidates, the rest anyone; about a third are answered by a request the other way
(mutual), 2 % are must_meet. Each event is scheduled through `planning.run_schedule` with rescoring (the pair
values from the engine), timed from the call to the commit. Then:

- an independent validator (below; it shares no code with the scheduler) checks the stored schedule as exported:
  availability, double booking, tables, maxima, one meeting per pair, do_not_meet, locks held, removed pairs;
- the requested pairs placed are compared with an LP bound on how many requested pairs can be placed at all
  (HiGHS on the relaxation: per slot a matching bounded by the tables, per participant its slots and maximum);
- recommended meetings below the event's minimum value are counted (there should be none);
- the secretariat locks, moves, removes and adds meetings by hand and schedules again: locks must hold, removed
  pairs stay out, and the report counts the meetings that moved;
- a second event with the same participants and requests is scheduled from scratch: the same schedule?
Targets: requests placed >= 95 % of the bound, 0 violations, 0 recommended meetings below the minimum, <= 10 s.
"""

from __future__ import annotations

import argparse
import copy
import json
import math
import os
import platform
import random
import sys
import time
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date
from datetime import time as clock
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from anywhere

from bench.roster_engine import Loaded, roster_engine  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
DEMO_ROSTER = ROOT / "seed" / "demo_roster.json"
DEV_ROSTER = Path("data/dev/roster.json")  # relative to shared/
TARGET_WALL_S = 10.0
TARGET_RATIO = 0.95
DOCS_BEGIN, DOCS_END = "<!-- bench:schedule:begin -->", "<!-- bench:schedule:end -->"
EVENT_DAY = date(2026, 12, 10)


@dataclass(frozen=True)
class EventSpec:
    name: str
    participants: int | None  # None: every member of the roster
    slots: int
    tables: int
    requests: int  # must_meet and would_like
    lunch_after: int


SPECS = {
    "demo200": EventSpec("demo200", 200, 12, 25, 1000, 6),
    "dev": EventSpec("dev", None, 10, 15, 325, 5),
    # Fewer requests than tables: recommended pairs and the minimum value decide the rest.
    "demo200-light": EventSpec("demo200-light", 200, 12, 25, 150, 6),
}


# --- rosters ---------------------------------------------------------------------------------------------


def delegates_roster(roster: dict[str, Any], n: int) -> tuple[dict[str, Any], dict[str, str]]:
    """Up to three delegates per member as members of their own, `n` in all; returns the roster and, for each
    delegate, the member it comes from."""
    members = roster["organizations"]
    out, origin = [], {}
    for k in range(n):
        source, copy_no = members[k % len(members)], k // len(members) + 1
        org = copy.deepcopy(source)
        if copy_no > 1:
            suffix = f"-{copy_no}"
            org["id"] += suffix
            org["name"] += f"（{copy_no}）"
            for kind in ("needs", "seeds"):
                for posting in org.get(kind) or []:
                    posting["id"] += suffix
        out.append(org)
        origin[org["id"]] = source["id"]
    return {**roster, "organizations": out}, origin


# --- the event --------------------------------------------------------------------------------------------


def create_event(loaded: Loaded, spec: EventSpec, members: list[str], origin: dict[str, str], seed: int,
                 code: str, wishes: list[tuple[str, str, str]] | None = None) -> list[tuple[str, str, str]]:
    """The event with its participants and requests (drawn when `wishes` is None); returns the requests."""
    from app.db import session_scope
    from app.events import service
    from app.events.scoring import pair_scores

    rng = random.Random(seed)
    plan = service.SlotPlan(start=clock(10, 0), count=spec.slots, minutes=20, changeover=5,
                            lunch=(spec.lunch_after, 60))
    with session_scope(loaded.sessions) as session:
        event = service.create_event(db_session=session, code=code, name=f"bench {spec.name}", date=EVENT_DAY,
                                     venue="福岡", tables=spec.tables, slots=plan)
        codes = service.meeting_slot_codes(event)
        for org in members:
            k = max(math.ceil(0.7 * len(codes)), round(rng.uniform(0.7, 1.0) * len(codes)))
            service.add_participant(db_session=session, event=event, organization=org,
                                    available_slots=sorted(rng.sample(codes, k)), max_meetings=rng.randint(4, 8))
        if wishes is None:
            values = {(p.a, p.b): p.value for p in pair_scores(loaded.engine, members)}
            wishes = draw_requests(rng, members, origin, values, spec.requests)
        for requester, target, kind in wishes:
            service.set_request(db_session=session, event=event, requester=requester, target=target, kind=kind)
    return wishes


def draw_requests(rng: random.Random, members: list[str], origin: dict[str, str],
                  values: dict[tuple[str, str], float], count: int) -> list[tuple[str, str, str]]:
    """`count` must_meet/would_like requests (a third answered the other way), do_not_meet between delegates of
    one member and a few more."""
    best: dict[str, list[str]] = defaultdict(list)
    for (a, b), _ in sorted(values.items(), key=lambda kv: -kv[1]):
        best[a].append(b)
        best[b].append(a)
    colleagues = {frozenset((a, b)) for a in members for b in members if a < b and origin[a] == origin[b]}
    wishes: dict[tuple[str, str], str] = {}
    while len(wishes) < count:
        requester = rng.choice(members)
        top = best[requester][:15]
        target = rng.choice(top) if top and rng.random() < 0.7 else rng.choice(members)
        if target == requester or frozenset((requester, target)) in colleagues or (requester, target) in wishes:
            continue
        kind = "must_meet" if rng.random() < 0.02 else "would_like"
        wishes[requester, target] = kind
        if rng.random() < 0.35 and len(wishes) < count:
            wishes.setdefault((target, requester), "would_like")
    blocked = [(a, b) for pair in sorted(colleagues, key=sorted) for a, b in [sorted(pair)]]
    while len(blocked) < len(colleagues) + 10:
        a, b = rng.sample(members, 2)
        if (a, b) not in wishes and (b, a) not in wishes:
            blocked.append((a, b))
    return [(a, b, kind) for (a, b), kind in wishes.items()] + [(a, b, "do_not_meet") for a, b in blocked]


def timed_schedule(loaded: Loaded, code: str, time_limit: float) -> tuple[float, dict[str, Any]]:
    """One scheduling run as a request makes it: load the event, score, solve, store, commit."""
    from app.db import session_scope
    from app.events import planning, service

    started = time.perf_counter()
    with session_scope(loaded.sessions) as session:
        event = service.get_event(db_session=session, code=code)
        planning.run_schedule(db_session=session, event=event, time_limit_s=time_limit, engine=loaded.engine)
        report = dict(event.schedule_report or {})
    return time.perf_counter() - started, report


def export(loaded: Loaded, code: str) -> dict[str, Any]:
    from app.db import session_scope
    from app.events import exports, service

    with session_scope(loaded.sessions) as session:
        event = service.get_event(db_session=session, code=code)
        return json.loads(json.dumps(exports.export_document(db_session=session, event=event)))


def edit_by_hand(loaded: Loaded, code: str, rng: random.Random) -> dict[str, int]:
    """Lock five meetings, remove two, move two and add one requested pair the schedule left out."""
    from app.db import session_scope
    from app.errors import AppError
    from app.events import edits, planning, service

    done: Counter[str] = Counter()
    with session_scope(loaded.sessions) as session:
        event = service.get_event(db_session=session, code=code)
        rows = planning.meetings(db_session=session, event=event)
        picked = rng.sample(rows, 7)
        for m in picked[:5]:
            edits.set_locked(db_session=session, event=event, meeting=m, locked=True)
            done["locked"] += 1
        for m in picked[5:7]:  # first: the tables they free make room for the moves
            edits.remove_meeting(db_session=session, event=event, meeting=m)
            done["removed"] += 1
        slots = service.meeting_slot_codes(event)
        for m in rng.sample(rows, len(rows)):  # two meetings that can move to another slot
            if m in picked[:7] or done["moved"] == 2:
                continue
            for slot in rng.sample(slots, len(slots)):
                if slot == m.slot_code:
                    continue
                try:
                    edits.move_meeting(db_session=session, event=event, meeting=m, slot=slot)
                except AppError:
                    continue
                done["moved"] += 1
                break
        placed = {frozenset((m.a_org.external_id, m.b_org.external_id))
                  for m in planning.meetings(db_session=session, event=event)}
        removed = planning.removed_pairs(db_session=session, event=event)
        wanted = [r for r in service.list_requests(db_session=session, event=event) if r.kind == "would_like"]
        for r in rng.sample(wanted, len(wanted)):
            a, b = r.requester.organization.external_id, r.target.organization.external_id
            if frozenset((a, b)) in placed | removed:
                continue
            for slot in slots:
                try:
                    edits.add_meeting(db_session=session, event=event, a=a, b=b, slot=slot)
                except AppError:
                    continue
                done["added"] += 1
                break
            if done["added"]:
                break
    return dict(done)


# --- independent checks -----------------------------------------------------------------------------------


def violations(doc: dict[str, Any]) -> tuple[list[str], int]:
    """Every rule the exported schedule breaks, and the number of recommended meetings below the minimum value.
    Reads only the export: shares no code with the scheduler."""
    errors: list[str] = []
    slots = {s["id"] for s in doc["slots"]}
    people = {p["id"]: p for p in doc["participants"]}
    tables = doc["tables"]
    meetings = doc["meetings"]
    pair = [frozenset((m["a"], m["b"])) for m in meetings]
    for m in meetings:
        if m["slot"] not in slots or m["a"] not in people or m["b"] not in people or m["a"] == m["b"]:
            errors.append(f"unknown slot or participant: {m}")
            continue
        for p in (m["a"], m["b"]):
            if m["slot"] not in people[p]["available_slots"]:
                errors.append(f"{p} not available in {m['slot']}")
        if not 1 <= m["table"] <= tables:
            errors.append(f"table {m['table']} outside 1..{tables}")
    errors += [f"{p} twice in {s}" for (p, s), n in Counter(
        (p, m["slot"]) for m in meetings for p in (m["a"], m["b"])).items() if n > 1]
    errors += [f"table {t} used twice in {s}" for (s, t), n in Counter(
        (m["slot"], m["table"]) for m in meetings).items() if n > 1]
    errors += [f"{s}: {n} meetings > {tables} tables" for s, n in Counter(m["slot"] for m in meetings).items()
               if n > tables]
    count = Counter(p for m in meetings for p in (m["a"], m["b"]))
    errors += [f"{p}: {n} meetings > max {people[p]['max_meetings']}" for p, n in count.items()
               if p in people and n > people[p]["max_meetings"]]
    errors += [f"{sorted(k)} meet {n} times" for k, n in Counter(pair).items() if n > 1]
    blocked = {frozenset((r["requester"], r["target"])) for r in doc["requests"] if r["kind"] == "do_not_meet"}
    asked = {frozenset((r["requester"], r["target"])) for r in doc["requests"] if r["kind"] != "do_not_meet"}
    locked = {frozenset((m["a"], m["b"])) for m in doc.get("locked", [])}
    published = {frozenset((m["a"], m["b"])) for m in doc.get("published", [])}
    removed = {frozenset(p) for p in doc.get("removed", [])}
    met_before = {frozenset(p) for p in doc["already_met"]}
    errors += [f"{sorted(k)} despite do_not_meet" for k in pair if k in blocked]
    errors += [f"{sorted(k)} removed by hand but scheduled" for k in pair if k in removed and k not in locked]
    errors += [f"{sorted(k)} met before" for k in pair if k in met_before and k not in asked | locked]
    held = {(m["slot"], m["table"], frozenset((m["a"], m["b"]))) for m in meetings}
    errors += [f"lock not held: {m}" for m in doc.get("locked", [])
               if (m["slot"], m["table"], frozenset((m["a"], m["b"]))) not in held]
    below = sum(1 for m, k in zip(meetings, pair, strict=True)
                if k not in asked | locked | published and m["value"] < doc["min_value"])
    return errors, below


def requested_lp_bound(doc: dict[str, Any]) -> float:
    """LP bound on the number of requested pairs that can meet at all: x[pair, slot] in [0, 1] for every
    requested pair (not do_not_meet, not removed) in the slots both can attend; per participant and slot at most
    one, per slot at most `tables`, per participant at most its maximum, per pair at most one."""
    import numpy as np
    from scipy.optimize import linprog
    from scipy.sparse import csr_matrix

    people = {p["id"]: p for p in doc["participants"]}
    blocked = {frozenset((r["requester"], r["target"])) for r in doc["requests"] if r["kind"] == "do_not_meet"}
    removed = {frozenset(p) for p in doc.get("removed", [])}
    pairs = sorted({frozenset((r["requester"], r["target"])) for r in doc["requests"]
                    if r["kind"] != "do_not_meet" and r["requester"] != r["target"]
                    and r["requester"] in people and r["target"] in people} - blocked - removed, key=sorted)
    variables = [(k, s) for k in pairs for s in sorted(set.intersection(*(set(people[p]["available_slots"])
                                                                          for p in k)))]
    rows: dict[tuple[str, ...], list[int]] = defaultdict(list)
    for v, (k, s) in enumerate(variables):
        rows["pair", *sorted(k)].append(v)
        rows["slot", s].append(v)
        for p in k:
            rows["part_slot", p, s].append(v)
            rows["part", p].append(v)
    limits = {"pair": lambda key: 1, "part_slot": lambda key: 1, "slot": lambda key: doc["tables"],
              "part": lambda key: people[key[1]]["max_meetings"]}
    keys = list(rows)
    data, indices, indptr = [], [], [0]
    for key in keys:
        indices += rows[key]
        data += [1.0] * len(rows[key])
        indptr.append(len(indices))
    a_ub = csr_matrix((data, indices, indptr), shape=(len(keys), len(variables)))
    b_ub = np.array([limits[key[0]](key) for key in keys], dtype=float)
    result = linprog(-np.ones(len(variables)), A_ub=a_ub, b_ub=b_ub, bounds=(0, 1), method="highs")
    if result.status != 0:
        raise RuntimeError(f"LP bound failed: {result.message}")
    return float(-result.fun)


# --- run --------------------------------------------------------------------------------------------------


def run_event(spec: EventSpec, args: argparse.Namespace) -> dict[str, Any]:
    if spec.name.startswith("demo200"):
        roster, origin = delegates_roster(json.loads(DEMO_ROSTER.read_text(encoding="utf-8")), spec.participants or 0)
        source = f"seed/demo_roster.json, {spec.participants} delegates of 82 members"
    else:
        roster = json.loads((args.shared / DEV_ROSTER).read_text(encoding="utf-8"))
        origin = {o["id"]: o["id"] for o in roster["organizations"]}
        source = f"dev roster, {len(roster['organizations'])} members"
    members = [o["id"] for o in roster["organizations"]]
    rng = random.Random(args.seed)
    with roster_engine(roster) as loaded:
        wishes = create_event(loaded, spec, members, origin, args.seed, "EV-BENCH")
        load = os.getloadavg()[0]
        wall, report = timed_schedule(loaded, "EV-BENCH", args.time_limit)
        doc = export(loaded, "EV-BENCH")
        errors, below = violations(doc)
        bound = requested_lp_bound(doc)
        counts = report["counts"]
        placed = counts["must_meet_placed"] + counts["mutual_placed"] + counts["one_way_placed"]
        first = {(m["slot"], m["table"], m["a"], m["b"]) for m in doc["meetings"]}

        done = edit_by_hand(loaded, "EV-BENCH", rng)
        edit_wall, edit_report = timed_schedule(loaded, "EV-BENCH", args.time_limit)
        edited = export(loaded, "EV-BENCH")
        edit_errors, edit_below = violations(edited)

        create_event(loaded, spec, members, origin, args.seed, "EV-TWIN", wishes)
        twin_wall, _ = timed_schedule(loaded, "EV-TWIN", args.time_limit)
        twin = {(m["slot"], m["table"], m["a"], m["b"]) for m in export(loaded, "EV-TWIN")["meetings"]}
        model = loaded.engine.encoder.model_id
    kinds = Counter(kind for _, _, kind in wishes)
    ratio = placed / bound if bound else 1.0
    return {
        "event": spec.name, "source": source, "model": model,
        "participants": len(members), "slots": spec.slots, "tables": spec.tables,
        "table_slots": spec.slots * spec.tables, "min_value": doc["min_value"],
        "requests": {"would_like": kinds["would_like"], "must_meet": kinds["must_meet"],
                     "do_not_meet": kinds["do_not_meet"]},
        "requested_pairs": counts["must_meet_pairs"] + counts["mutual_pairs"] + counts["one_way_pairs"],
        "candidates": len(doc["candidates"]),
        "time_limit_s": args.time_limit, "load_average": round(load, 2),
        "wall_s": round(wall, 2), "timing": report.get("timing"), "status": report["status"],
        "meetings": report["meetings"], "counts": counts,
        "requested_placed": placed, "requested_lp_bound": round(bound, 2), "ratio": round(ratio, 4),
        "violations": errors, "recommended_below_min": below,
        "edits": done, "edit_wall_s": round(edit_wall, 2), "edit_counts": edit_report["counts"],
        "edit_meetings": edit_report["meetings"],
        "edit_violations": edit_errors, "edit_below_min": edit_below,
        "twin_same": twin == first, "twin_wall_s": round(twin_wall, 2),
        "targets_met": (wall <= TARGET_WALL_S and edit_wall <= TARGET_WALL_S and ratio >= TARGET_RATIO
                        and not errors and not edit_errors and below == 0 and edit_below == 0),
    }


def markdown(results: list[dict[str, Any]]) -> str:
    """The results as the table docs/events.md shows, one column per event."""
    def requests(r: dict[str, Any]) -> str:
        q = r["requests"]
        return f"{q['would_like']} would_like, {q['must_meet']} must_meet, {q['do_not_meet']} do_not_meet"

    def tiers(c: dict[str, Any]) -> str:
        return (f"must_meet {c['must_meet_placed']}/{c['must_meet_pairs']}, mutual {c['mutual_placed']}/"
                f"{c['mutual_pairs']}, one-way {c['one_way_placed']}/{c['one_way_pairs']}")

    rows: list[tuple[str, Any]] = [
        ("source", lambda r: r["source"]),
        ("event", lambda r: f"{r['participants']} participants, {r['slots']} slots × {r['tables']} tables "
                            f"({r['table_slots']} table-slots), min value {r['min_value']:g}"),
        ("requests", requests),
        ("candidate pairs (value > 0)", lambda r: r["candidates"]),
        ("whole request: wall (limit); score / solve", lambda r: f"{r['wall_s']} s ({r['time_limit_s']:g} s); "
         f"{r['timing'].get('score_s', 0):.2f} / {r['timing'].get('solve_s', 0):.2f} s"),
        ("status / meetings", lambda r: f"{r['status']} / {r['meetings']}"),
        ("requested pairs placed by tier", lambda r: tiers(r["counts"])),
        ("requested placed / LP bound (ratio)",
         lambda r: f"{r['requested_placed']} / {r['requested_lp_bound']:g} ({r['ratio']:.1%})"),
        ("recommended meetings / below the minimum", lambda r: f"{r['counts']['recommended']} / "
                                                                f"{r['recommended_below_min']}"),
        ("free table-slots", lambda r: r["counts"]["free_table_slots"]),
        ("validator violations", lambda r: len(r["violations"])),
        ("hand edits, then again: wall", lambda r: f"{r['edits'].get('locked', 0)} locked, "
         f"{r['edits'].get('moved', 0)} moved, {r['edits'].get('removed', 0)} removed, "
         f"{r['edits'].get('added', 0)} added; {r['edit_wall_s']} s"),
        ("… previous meetings kept / moved / dropped (meetings after)",
         lambda r: f"{r['edit_counts']['previous_kept']} / {r['edit_counts']['previous_moved']} / "
                   f"{r['edit_counts']['previous_dropped']} ({r['edit_meetings']})"),
        ("… violations (locks held, removed pairs out) / below minimum",
         lambda r: f"{len(r['edit_violations'])} / {r['edit_below_min']}"),
        ("same schedule for a twin event from scratch", lambda r: "yes" if r["twin_same"] else "no"),
        ("load average (1 min) when timed", lambda r: r["load_average"]),
        ("targets met (≤ 10 s, ≥ 95 %, 0 violations, 0 below minimum)",
         lambda r: "yes" if r["targets_met"] else "NO"),
    ]
    head = "| measure | " + " | ".join(r["event"] for r in results) + " |"
    lines = [head, "|---|" + "---|" * len(results)]
    lines += [f"| {name} | " + " | ".join(str(cell(r)) for r in results) + " |" for name, cell in rows]
    lines.append("")
    lines.append(f"Model {results[0]['model']}; {platform.python_implementation()} {platform.python_version()}, "
                 f"{os.cpu_count()} cores, seed {results[0].get('seed', 1)}.")
    return "\n".join(lines)


def write_docs(path: Path, text: str, begin: str = DOCS_BEGIN, end: str = DOCS_END) -> None:
    """Replace the document's block between the begin and end markers (this bench's by default)."""
    doc = path.read_text(encoding="utf-8")
    if begin not in doc or end not in doc:
        raise SystemExit(f"{path} has no {begin} … {end} block")
    head, rest = doc.split(begin, 1)
    _, tail = rest.split(end, 1)
    path.write_text(f"{head}{begin}\n{text}\n{end}{tail}", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--events", default="demo200,dev,demo200-light",
                        help="comma-separated: demo200, dev, demo200-light")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--time-limit", type=float, default=8.0, help="of each whole scheduling request")
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared", help="where data/dev/ is")
    parser.add_argument("--json", type=Path, help="write the results to this file")
    parser.add_argument("--docs", type=Path, help="write the results table into this Markdown file")
    args = parser.parse_args(argv)
    results = []
    for name in args.events.split(","):
        if name == "dev" and not (args.shared / DEV_ROSTER).exists():
            print(f"dev: {args.shared / DEV_ROSTER} not found, skipped")
            continue
        result = run_event(SPECS[name], args) | {"seed": args.seed}
        results.append(result)
        print(json.dumps(result, indent=2, ensure_ascii=False))
    table = markdown(results)
    print(table)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    if args.docs:
        write_docs(args.docs, table)
    return 0 if all(r["targets_met"] for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
