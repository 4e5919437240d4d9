"""Themes for study groups (テーマ別研究会): k-means over the embeddings of needs and seeds, each theme named by
its most distinctive Sudachi terms and vocabulary concepts, plus the needs nobody answers well."""

from __future__ import annotations

import dataclasses
import math
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

import faiss
import numpy as np

from matching.text import japanese_share, tokenize
from matching.vocabulary import Vocabulary

FIELD_KINDS = ("application", "technology", "problem")  # concept kinds that name what a need is about
KMEANS_ITERATIONS = 25


@dataclass(frozen=True)
class Item:
    """A need or a seed as the clustering sees it."""

    id: str
    kind: str  # "need" | "seed"
    member: str
    title: str
    text: str


@dataclass(frozen=True)
class Theme:
    id: int
    terms: tuple[str, ...]  # Sudachi normalized forms, most distinctive first
    labels: tuple[str, ...]  # vocabulary concept labels, most distinctive first
    needs: tuple[str, ...]
    seeds: tuple[str, ...]
    members: tuple[str, ...]

    @property
    def name(self) -> str:
        """A short name: the top labels, else the top terms."""
        return " / ".join((self.labels or self.terms)[:3]) or f"テーマ{self.id + 1}"


@dataclass(frozen=True)
class UnmetNeed:
    need: str
    member: str
    prefecture: str
    field: str
    best_score: float
    best_seed: str | None


@dataclass
class UnmetGroup:
    prefecture: str
    field: str
    needs: list[UnmetNeed] = dataclasses.field(default_factory=list)


def cluster(vectors: np.ndarray, k: int, *, seed: int = 1234) -> np.ndarray:
    """Cluster label per row: spherical k-means (FAISS) on L2-normalized vectors; k is capped by the row count."""
    n = len(vectors)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    k = max(1, min(k, n))
    x = np.ascontiguousarray(vectors, dtype=np.float32).copy()
    faiss.normalize_L2(x)
    if k == 1:
        return np.zeros(n, dtype=np.int64)
    kmeans = faiss.Kmeans(x.shape[1], k, niter=KMEANS_ITERATIONS, seed=seed, spherical=True, verbose=False,
                          min_points_per_centroid=1, max_points_per_centroid=10_000)
    kmeans.train(x)
    _, labels = kmeans.index.search(x, 1)
    return labels[:, 0].astype(np.int64)


def without_language(vectors: np.ndarray, texts: Sequence[str]) -> np.ndarray:
    """The vectors with each language's offset taken out (its mean moved onto the mean of all): multilingual
    sentence vectors share a direction per language, so English texts would otherwise cluster together
    whatever they are about."""
    x = np.asarray(vectors, dtype=np.float32).copy()
    english = np.fromiter((japanese_share(t) < 0.5 for t in texts), bool, len(texts))
    if english.sum() < 2 or (~english).sum() < 2:
        return x
    overall = x.mean(axis=0)
    for group in (english, ~english):
        x[group] -= x[group].mean(axis=0) - overall
    return x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)


def themes(items: Sequence[Item], vectors: np.ndarray, vocabulary: Vocabulary, k: int, *,
           top: int = 5, seed: int = 1234) -> list[Theme]:
    """Group the items into at most k themes by meaning, across languages, largest first."""
    labels = cluster(without_language(vectors, [item.text for item in items]), k, seed=seed)
    groups: dict[int, list[int]] = defaultdict(list)
    for row, label in enumerate(labels):
        groups[int(label)].append(row)
    tokens = [set(tokenize(item.text, nouns_only=True)) for item in items]
    concepts = [vocabulary.tag(item.text).ids for item in items]
    doc_freq = Counter(t for ts in tokens for t in ts)
    concept_freq = Counter(c for cs in concepts for c in cs)
    out = []
    for number, rows in enumerate(sorted(groups.values(), key=lambda rs: (-len(rs), rs[0]))):
        out.append(Theme(
            id=number,
            terms=_distinctive(Counter(t for r in rows for t in tokens[r] if len(t) >= 2), doc_freq, len(items), top),
            labels=tuple(vocabulary.label(c) for c in _distinctive(
                Counter(c for r in rows for c in concepts[r] if vocabulary.kind(c) in FIELD_KINDS),
                concept_freq, len(items), top)),
            needs=tuple(items[r].id for r in rows if items[r].kind == "need"),
            seeds=tuple(items[r].id for r in rows if items[r].kind == "seed"),
            members=tuple(sorted({items[r].member for r in rows})),
        ))
    return out


def _distinctive(counts: Counter[str], doc_freq: Counter[str], n_docs: int, top: int) -> tuple[str, ...]:
    """Terms (or concepts) frequent in the theme and rare elsewhere (tf × idf); one must occur twice unless the
    theme is tiny."""
    minimum = 2 if sum(counts.values()) > 20 else 1
    scored = [(c * math.log((1 + n_docs) / (1 + doc_freq[t])), t) for t, c in counts.items() if c >= minimum]
    return tuple(t for _, t in sorted(scored, key=lambda st: (-st[0], st[1]))[:top])


def field_of(text: str, vocabulary: Vocabulary, fallback: str) -> str:
    """What a need is about: its first application/technology/problem concept label, else `fallback`."""
    found = [c for c in vocabulary.tag(text).ids if vocabulary.kind(c) in FIELD_KINDS]
    if not found:
        return fallback
    order = {kind: n for n, kind in enumerate(FIELD_KINDS)}
    return vocabulary.label(min(found, key=lambda c: (order[vocabulary.kind(c)], c)))


def weak_threshold(needs: Sequence[UnmetNeed], share_of_median: float) -> float:
    """A score threshold relative to how well needs are usually answered: fused scores have no fixed scale."""
    scores = sorted(n.best_score for n in needs if n.best_seed is not None)
    if not scores:
        return 0.0
    return share_of_median * float(np.median(scores))


def unmet_needs(needs: Sequence[UnmetNeed], weak_below: float) -> list[UnmetGroup]:
    """Needs whose best match scores below `weak_below` (or that have no match at all), grouped by
    prefecture × field, largest group first."""
    groups: dict[tuple[str, str], UnmetGroup] = {}
    for need in needs:
        if need.best_seed is None or need.best_score < weak_below:
            key = (need.prefecture, need.field)
            groups.setdefault(key, UnmetGroup(*key)).needs.append(need)
    for group in groups.values():
        group.needs.sort(key=lambda n: (n.best_score, n.need))
    return sorted(groups.values(), key=lambda g: (-len(g.needs), g.prefecture, g.field))
