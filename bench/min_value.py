"""How the event pair values are gated and where the default minimum value comes from, on the labelled rosters.

For every need, the top 20 seeds of the other members (what app/events/scoring.py reads) are split by their
judgment (grade 2, grade 1, not judged relevant) and counted: how many have a topic (a shared concept or close
texts, `scoring.has_topic`), and how many of those reach each candidate minimum value. Qrels list only some
relevant pairs, so "not judged" contains relevant ones too: its shares are an upper bound on the noise kept.

    python -m bench.min_value [--shared ../shared] [--docs docs/events.md]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from anywhere

from bench.roster_engine import roster_engine  # noqa: E402
from bench.schedule_bench import write_docs  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SETS = {
    "demo": (ROOT / "seed/demo_roster.json", ROOT / "bench/data/demo_qrels.json"),
    "dev": (Path("data/dev/roster.json"), Path("data/dev/qrels.json")),  # relative to shared/
}
THRESHOLDS = (3.0, 3.5, 4.0, 4.5, 5.0)
DOCS_BEGIN, DOCS_END = "<!-- bench:min_value:begin -->", "<!-- bench:min_value:end -->"
GROUPS = (("grade 2", 2), ("grade 1", 1), ("not judged relevant", 0))


def measure(roster: dict[str, Any], qrels: dict[str, Any]) -> dict[str, Any]:
    """Counts per judgment group: matches, with a topic, and with a topic at each threshold."""
    from app.events.scoring import SEEDS_PER_NEED, has_topic

    grades = {(j["need"], j["seed"]): int(j["grade"]) for j in qrels["judgments"]}
    rows: dict[int, list[tuple[bool, float]]] = {2: [], 1: [], 0: []}
    with roster_engine(roster) as loaded:
        engine = loaded.engine
        for need in sorted(engine.corpora["need"].docs.values(), key=lambda d: d.id):
            for match in engine.match_need(need.id, limit=SEEDS_PER_NEED):
                grade = min(2, max(0, grades.get((need.id, match.doc.id), 0)))
                rows[grade].append((has_topic(match), match.score))
        model = engine.encoder.model_id
    out: dict[str, Any] = {"model": model, "groups": {}}
    for name, grade in GROUPS:
        matches = rows[grade]
        topical = [score for topic, score in matches if topic]
        out["groups"][name] = {
            "matches": len(matches),
            "with_topic": len(topical),
            "at_least": {f"{t:g}": sum(score >= t for score in topical) for t in THRESHOLDS},
        }
    return out


def markdown(results: dict[str, dict[str, Any]]) -> str:
    head = ["roster", "top-20 matches", "count", "with a topic"] + [f"topic and ≥ {t:g}" for t in THRESHOLDS]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for roster, result in results.items():
        for name, g in result["groups"].items():
            n = g["matches"] or 1
            cells = [roster, name, str(g["matches"]), f"{g['with_topic'] / n:.0%}"]
            cells += [f"{g['at_least'][f'{t:g}'] / n:.0%}" for t in THRESHOLDS]
            lines.append("| " + " | ".join(cells) + " |")
    models = sorted({r["model"] for r in results.values()})
    lines.append("")
    lines.append(f"Model {', '.join(models)}; shares of all top-20 matches of each group.")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared",
                        help="where data/dev/ is (the dev roster is skipped when it is missing)")
    parser.add_argument("--json", type=Path, help="write the results to this file")
    parser.add_argument("--docs", type=Path, help="write the results table into this Markdown file")
    args = parser.parse_args(argv)
    results = {}
    for name, (roster_path, qrels_path) in SETS.items():
        if not roster_path.is_absolute():
            roster_path, qrels_path = args.shared / roster_path, args.shared / qrels_path
        if not roster_path.exists():
            print(f"{name}: {roster_path} not found, skipped")
            continue
        results[name] = measure(json.loads(roster_path.read_text(encoding="utf-8")),
                                json.loads(qrels_path.read_text(encoding="utf-8")))
    table = markdown(results)
    print(table)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")
    if args.docs:
        write_docs(args.docs, table, DOCS_BEGIN, DOCS_END)
    return 0


if __name__ == "__main__":
    sys.exit(main())
