"""Pair values for an event from the matching engine: how well two participants' needs and seeds fit,
both directions summed.

Only need–seed matches with a topic count: the two texts share a vocabulary concept, or their embeddings are
close (the need's similarity to the seed stands well above its similarity to the rest of the corpus). The
fused score alone does not say that: roles, industry and region give every pair of a user and a vendor in one
prefecture a score near the typical value of a real match (see `python -m bench.min_value`).
"""

from collections.abc import Iterable
from dataclasses import dataclass, field

from app.matches.engine import MatchingEngine
from matching.documents import Document
from matching.ranker import Match

SEEDS_PER_NEED = 20  # ranked per need among the other participants' seeds
# The dense channel is exp(z / 2) - 1 of the need's similarity z-score: 2.0 is z ≈ 2.2 standard deviations.
# On the two labelled rosters this test left out 56–62 % of the top-20 matches not judged relevant and 1 of the
# 145 grade-2 (clearly relevant) ones (`python -m bench.min_value`).
CLOSE_DENSE = 2.0
MAX_CONCEPTS = 3  # shared concepts kept with a need–seed pair, to name its topic


@dataclass(frozen=True)
class PairScore:
    """Value of a meeting between members a and b (a < b), and the need–seed pairs that make it."""

    a: str
    b: str
    value: float
    pairs: list[dict[str, object]] = field(default_factory=list)


def has_topic(match: Match) -> bool:
    """The need and the seed share a concept, or their texts are close."""
    return bool(match.overlap.shared) or match.channels.get("dense", 0.0) >= CLOSE_DENSE


def pair_scores(engine: MatchingEngine, organizations: Iterable[str], *,
                per_need: int = SEEDS_PER_NEED) -> list[PairScore]:
    """For every two participants: the best match of a's needs to b's seeds plus the best of b's needs to a's
    seeds, counting only matches with a topic (`has_topic`) and a positive score. Calls the engine's ranking
    for every participant's need; pairs without any such match get no score."""
    members = set(organizations)
    best: dict[tuple[str, str], tuple[Match, Document]] = {}  # (need member, seed member) -> best match
    needs = [d for d in engine.corpora["need"].docs.values() if d.org.id in members]
    for need in sorted(needs, key=lambda d: d.id):
        for match in engine.match_need(need.id, limit=per_need, exclude=lambda doc: doc.org.id not in members):
            key = (need.org.id, match.doc.org.id)
            if match.score > 0 and has_topic(match) and (key not in best or match.score > best[key][0].score):
                best[key] = (match, need)
    out: dict[tuple[str, str], PairScore] = {}
    for (need_org, seed_org), (match, need) in sorted(best.items()):
        a, b = sorted((need_org, seed_org))
        old = out.get((a, b))
        shared = match.overlap.shared[:MAX_CONCEPTS]
        pair = {"need": need.id, "seed": match.doc.id, "need_member": need_org, "seed_member": seed_org,
                "need_title": need.title, "seed_title": match.doc.title, "score": round(match.score, 4),
                "concepts": [engine.vocabulary.label(c) for c in shared],
                "concepts_en": [engine.vocabulary.label(c, "en") for c in shared],
                "similarity": round(match.similarity, 4)}
        out[a, b] = PairScore(a, b, round((old.value if old else 0.0) + match.score, 6),
                              (old.pairs if old else []) + [pair])
    return sorted(out.values(), key=lambda p: (p.a, p.b))
