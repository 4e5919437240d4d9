"""Ranking quality on the labelled rosters: runs `iotmatch eval` on each and writes docs/results/ranking.json.

The dev roster's needs are also ranked in two other wordings, judged by the same qrels
(`bench/data/dev_needs_plain.json`: plain everyday Japanese without the vocabulary's technical words;
`bench/data/dev_needs_english.json`: English against the Japanese seeds), and the three are reported side by
side. Besides the full vocabulary, each roster is ranked again with a share of the vocabulary's concepts
removed at random (several draws): new members write words the vocabulary does not know yet, and
weights that only work while the vocabulary covers every text would not hold on them.

    python -m bench.ranking_quality [--shared ../shared] [--dropout 0.35] [--draws 3]
"""

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
SETS = {
    "dev": ("data/dev/roster.json", "data/dev/qrels.json"),  # relative to shared/
    "demo": (str(ROOT / "seed/demo_roster.json"), str(ROOT / "bench/data/demo_qrels.json")),
}
VARIANTS = {"dev": {"plain": ROOT / "bench/data/dev_needs_plain.json",
                    "english": ROOT / "bench/data/dev_needs_english.json"}}


def run_eval(roster: Path, qrels: Path, vocabulary: Path | None = None,
             variants: dict[str, Path] | None = None) -> dict[str, Any]:
    """The eval command's JSON for one labelled roster, optionally with another vocabulary file and with the
    roster's needs in other wordings."""
    env = dict(os.environ, **({"IOTMATCH_VOCABULARY_PATH": str(vocabulary)} if vocabulary else {}))
    options = [f"--variant={name}={path}" for name, path in (variants or {}).items()]
    out = subprocess.run([sys.executable, "-m", "app.cli", "eval", "--roster", str(roster), "--qrels", str(qrels),
                          *options], check=True, capture_output=True, text=True, cwd=ROOT, env=env)
    return json.loads(out.stdout)


def reduced_vocabulary(source: Path, target: Path, drop: float, draw: int) -> Path:
    """A copy of the vocabulary without a random share of its concepts (and the links to them)."""
    data = yaml.safe_load(source.read_text(encoding="utf-8"))
    rng = random.Random(draw)
    kept = [c for c in data["concepts"] if rng.random() >= drop]
    ids = {c["id"] for c in kept}
    for concept in kept:
        concept["related"] = [r for r in concept.get("related") or [] if r in ids]
    target.write_text(yaml.safe_dump({"version": data.get("version", 1), "concepts": kept}, allow_unicode=True),
                      encoding="utf-8")
    return target


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    parser.add_argument("--out", type=Path, default=ROOT / "docs/results/ranking.json")
    parser.add_argument("--dropout", type=float, default=0.35, help="share of vocabulary concepts removed")
    parser.add_argument("--draws", type=int, default=3, help="random reduced vocabularies per roster; 0 = none")
    args = parser.parse_args()
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="iotmatch-vocab-") as tmp:
        vocabularies = [reduced_vocabulary(ROOT / "seed/vocabulary.yaml", Path(tmp) / f"v{d}.yaml", args.dropout, d)
                        for d in range(args.draws)]
        for name, (roster, qrels) in SETS.items():
            roster_path, qrels_path = args.shared / roster, args.shared / qrels
            results[name] = run_eval(roster_path, qrels_path, variants=VARIANTS.get(name))
            if vocabularies:
                draws = [run_eval(roster_path, qrels_path, v, VARIANTS.get(name)) for v in vocabularies]
                results[name]["reduced_vocabulary"] = {
                    "dropout": args.dropout, "draws": len(draws),
                    "fused_ndcg@10": round(sum(d["fused"]["ndcg@10"] for d in draws) / len(draws), 4),
                    "without_dense_ndcg@10": round(
                        sum(d["without"]["dense"]["ndcg@10"] for d in draws) / len(draws), 4),
                    "vocabulary_alone_ndcg@10": round(
                        sum(d["alone"]["vocabulary"]["ndcg@10"] for d in draws) / len(draws), 4)}
                for variant in VARIANTS.get(name, {}):
                    results[name]["reduced_vocabulary"][f"{variant}_fused_ndcg@10"] = round(
                        sum(d["variants"][variant]["fused"]["ndcg@10"] for d in draws) / len(draws), 4)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2), encoding="utf-8")
    for name, result in results.items():
        alone = {c: r["ndcg@10"] for c, r in result["alone"].items()}
        without = {c: r["ndcg@10"] for c, r in result["without"].items()}
        print(f"{name}: fused nDCG@10 {result['fused']['ndcg@10']}, alone {alone}, without {without}")
        for row, columns in result.get("side_by_side", {}).items():
            print(f"  {row:<20} " + "  ".join(f"{c} {v:.3f}" for c, v in columns.items()))
        if "reduced_vocabulary" in result:
            print(f"  reduced vocabulary: {result['reduced_vocabulary']}")


if __name__ == "__main__":
    main()
