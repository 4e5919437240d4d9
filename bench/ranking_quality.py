"""Ranking quality on the labelled rosters: runs `iotmatch eval` and writes docs/results/ranking.json.

    python -m bench.ranking_quality [--shared ../shared]
"""

import argparse
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SETS = {
    "dev": ("data/dev/roster.json", "data/dev/qrels.json"),  # relative to shared/
    "demo": (str(ROOT / "seed/demo_roster.json"), str(ROOT / "bench/data/demo_qrels.json")),
}


def run_eval(roster: Path, qrels: Path) -> dict:  # type: ignore[type-arg]
    """The eval command's JSON for one labelled roster."""
    out = subprocess.run([sys.executable, "-m", "app.cli", "eval", "--roster", str(roster), "--qrels", str(qrels)],
                         check=True, capture_output=True, text=True, cwd=ROOT)
    return json.loads(out.stdout)  # type: ignore[no-any-return]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    parser.add_argument("--out", type=Path, default=ROOT / "docs/results/ranking.json")
    args = parser.parse_args()
    results = {}
    for name, (roster, qrels) in SETS.items():
        results[name] = run_eval(args.shared / roster, args.shared / qrels)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2), encoding="utf-8")
    for name, result in results.items():
        alone = {c: r["ndcg@10"] for c, r in result["alone"].items()}
        print(f"{name}: fused nDCG@10 {result['fused']['ndcg@10']}, alone {alone}")


if __name__ == "__main__":
    main()
