"""The engine at national scale, in process: start from a snapshot, then match every stored need with the
candidates of an approximate (HNSW) index and with every seed scored (exact), and compare the two.

    python -m bench.scale --workdir DIR [--seeds 100000] [--needs 200]

The first run in a folder generates a synthetic roster (bench.synthetic), imports it into SQLite there and
embeds every text with the configured model (about 5 minutes per 100k texts on 2 cores); later runs start
from the snapshot it saved. Each run edits one seed (its text alternates) and measures how soon a match sees
it. Prints JSON.
"""

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from sqlalchemy import select

from bench.latency import percentiles


def prepare(workdir: Path, seeds: int, needs: int, env: dict[str, str]) -> None:
    """The roster in workdir/db.sqlite with a saved index, unless it is there already."""
    if (workdir / "db.sqlite").exists():
        return
    from bench.synthetic import synthetic_roster

    workdir.mkdir(parents=True, exist_ok=True)
    roster = workdir / "roster.json"
    roster.write_text(json.dumps(synthetic_roster(seeds, needs), ensure_ascii=False), encoding="utf-8")
    cli = [sys.executable, "-m", "app.cli"]
    for args in (["db", "upgrade"], ["import", str(roster)], ["index", "rebuild"]):
        subprocess.run(cli + args, env=env, check=True, stdout=subprocess.DEVNULL)


def timed(fn: Any, items: list[str]) -> tuple[list[float], dict[str, list[str]]]:
    """Seconds per call, and each item's top 10 ids."""
    samples, tops = [], {}
    for item in items:
        start = time.perf_counter()
        matches = fn(item)
        samples.append(time.perf_counter() - start)
        tops[item] = [m.doc.id for m in matches]
    return samples, tops


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", type=Path, required=True)
    parser.add_argument("--seeds", type=int, default=100_000)
    parser.add_argument("--needs", type=int, default=200)
    args = parser.parse_args()
    env = os.environ | {"HF_HUB_OFFLINE": "1", "IOTMATCH_DATABASE_URL": f"sqlite:///{args.workdir / 'db.sqlite'}",
                        "IOTMATCH_DATA_DIR": str(args.workdir / "var")}
    prepare(args.workdir, args.seeds, args.needs, env)
    os.environ.update(env)

    from app.config import Settings
    from app.db import make_engine, make_session_factory, session_scope
    from app.matches.engine import MatchingEngine
    from app.roster.models import Seed

    settings = Settings()
    began = time.perf_counter()
    engine = MatchingEngine.from_settings(settings)
    model_s = time.perf_counter() - began
    factory = make_session_factory(make_engine(settings.database_url))
    with session_scope(factory) as session:
        how = engine.start(session)
    ready_s = time.perf_counter() - began
    needs = sorted(engine.corpora["need"].docs)
    seeds = len(engine.corpora["seed"])
    index = engine.vectors["seed"]

    def match(need_id: str) -> Any:
        return engine.match_need(need_id, limit=10)

    timed(match, needs[:20])  # warm-up
    approximate_s, _ = timed(match, needs)
    # A write: one seed's text edited in the database; the engine syncs, then the first match sees it.
    with session_scope(factory) as session:
        seed = session.scalars(select(Seed).order_by(Seed.id).limit(1)).one()
        seed.description = seed.description.removesuffix("（改）") if seed.description.endswith("（改）") \
            else seed.description + "（改）"
    began = time.perf_counter()
    with session_scope(factory) as session:
        engine.sync(session)
    synced_s = time.perf_counter() - began
    match(needs[0])
    visible_s = time.perf_counter() - began
    engine.save()  # so that the next run starts from a snapshot of the edited database
    _, approximate = timed(match, needs)
    index.hnsw_threshold = seeds + 1  # the same vectors in an exact index: every seed scored
    index.rebuild()
    timed(match, needs[:20])
    exact_s, exact = timed(match, needs)
    recall = statistics.mean(len(set(exact[n]) & set(approximate[n])) / max(len(exact[n]), 1) for n in needs)
    same_top = statistics.mean(exact[n][:1] == approximate[n][:1] for n in needs)
    print(json.dumps({
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "seeds": seeds, "needs": len(needs), "model": engine.encoder.model_id, "start": how,
        "model_loaded_s": round(model_s, 1), "engine_ready_s": round(ready_s, 1),
        "settings": {"dense_candidates": settings.dense_candidates,
                     "channel_candidates": settings.channel_candidates},
        "match_ms": {"approximate (HNSW candidates)": percentiles(approximate_s),
                     "exact (every seed)": percentiles(exact_s)},
        "recall@10_against_exact": round(recall, 4), "same_first_match": round(same_top, 4),
        "one_seed_edited": {"sync_s": round(synced_s, 2), "first_match_after_s": round(visible_s, 2)},
        "max_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
