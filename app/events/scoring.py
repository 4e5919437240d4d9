"""Pair values for an event from the matching engine: how well two participants' needs and seeds fit,
both directions summed."""

from collections.abc import Iterable
from dataclasses import dataclass, field

from app.matches.engine import MatchingEngine
from matching.documents import Document

SEEDS_PER_NEED = 20  # ranked per need among the other participants' seeds


@dataclass(frozen=True)
class PairScore:
    """Value of a meeting between members a and b (a < b), and the need–seed pairs that make it."""

    a: str
    b: str
    value: float
    pairs: list[dict[str, object]] = field(default_factory=list)


def pair_scores(engine: MatchingEngine, organizations: Iterable[str], *,
                per_need: int = SEEDS_PER_NEED) -> list[PairScore]:
    """For every two participants: the best match of a's needs to b's seeds plus the best of b's needs to a's
    seeds (negative fused scores count as 0). Calls the engine's ranking for every participant's need."""
    members = set(organizations)
    best: dict[tuple[str, str], tuple[float, Document, Document]] = {}  # (need member, seed member) -> best
    needs = [d for d in engine.corpora["need"].docs.values() if d.org.id in members]
    for need in sorted(needs, key=lambda d: d.id):
        for match in engine.match_need(need.id, limit=per_need, exclude=lambda doc: doc.org.id not in members):
            key = (need.org.id, match.doc.org.id)
            if match.score > 0 and (key not in best or match.score > best[key][0]):
                best[key] = (match.score, need, match.doc)
    out: dict[tuple[str, str], PairScore] = {}
    for (need_org, seed_org), (score, need, seed) in best.items():
        a, b = sorted((need_org, seed_org))
        old = out.get((a, b))
        pair = {"need": need.id, "seed": seed.id, "need_member": need_org, "seed_member": seed_org,
                "need_title": need.title, "seed_title": seed.title, "score": round(score, 4)}
        out[a, b] = PairScore(a, b, round((old.value if old else 0.0) + score, 6),
                              (old.pairs if old else []) + [pair])
    return sorted(out.values(), key=lambda p: (p.a, p.b))
