"""Fusion of the channels into one ranking, diversified by member, with the evidence for reasons."""

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace

import numpy as np

from matching.channels import (
    ConceptOverlap,
    asks_for_support,
    concept_overlap,
    structure_score,
    support_only,
)
from matching.corpus import Corpus
from matching.documents import Document, OrgInfo
from matching.text import tokenize
from matching.vocabulary import Tagging

CHANNELS = ("dense", "lexical", "vocabulary", "structure")


@dataclass(frozen=True)
class Weights:
    """Fusion weights; dense and lexical scores are standardized per query before weighting.

    Defaults were chosen on two labelled rosters written independently, and on both again with a third
    of the vocabulary removed at random, so that they hold for text the vocabulary does not cover.
    """

    dense: float = 0.75
    lexical: float = 0.3
    vocabulary: float = 3.0
    structure: float = 2.8
    support_mismatch: float = 1.0  # a support-only offer to a query that asks for no support
    max_per_organization: int = 2
    # The dense z-score z counts as exp(z / T) - 1: the few documents far above a query's usual
    # similarity count much more than small differences in the crowd, where cosine is mostly noise.
    dense_temperature: float = 2.0

    def only(self, channels: Iterable[str]) -> "Weights":
        """The same weights with every channel not named set to zero (for ablation)."""
        keep = set(channels)
        changes: dict[str, float] = {c: (getattr(self, c) if c in keep else 0.0) for c in CHANNELS}
        if "vocabulary" not in keep:
            changes["support_mismatch"] = 0.0  # the penalty reads vocabulary concepts
        return replace(self, **changes)


@dataclass(frozen=True)
class Query:
    """What is being matched: a stored document, or free text with no owner."""

    text: str
    org: OrgInfo | None = None
    document: Document | None = None

    @classmethod
    def of(cls, doc: Document) -> "Query":
        """The query for a stored need or seed."""
        return cls(text=doc.text, org=doc.org, document=doc)


@dataclass(frozen=True)
class Match:
    """One ranked document with its fused score and the evidence behind it."""

    doc: Document
    score: float
    channels: dict[str, float]
    similarity: float
    overlap: ConceptOverlap
    shared_terms: tuple[str, ...]
    structure: dict[str, float] = field(default_factory=dict)


def _standardize(scores: Mapping[str, float], population: int) -> dict[str, float]:
    """Z-scores, treating documents without a score as zeros of the population."""
    if not scores:
        return {}
    values = np.fromiter(scores.values(), dtype=np.float64, count=len(scores))
    missing = max(population - len(values), 0)
    total = values.sum()
    mean = total / (len(values) + missing)
    var = (np.square(values - mean).sum() + missing * mean * mean) / (len(values) + missing)
    std = float(np.sqrt(var)) or 1.0
    return {k: (v - mean) / std for k, v in scores.items()}


def _sharpen(z_scores: Mapping[str, float], temperature: float) -> dict[str, float]:
    """exp(z / T) - 1: 0 at the mean, above -1 below it, growing fast above it."""
    if temperature <= 0:
        return dict(z_scores)
    return {k: float(np.exp(v / temperature) - 1.0) for k, v in z_scores.items()}


def rank(
    query: Query,
    corpus: Corpus,
    dense: Mapping[str, float],
    weights: Weights,
    *,
    limit: int = 10,
    keep: Callable[[Document], bool] | None = None,
) -> list[Match]:
    """Rank the corpus for the query; `dense` holds cosine similarities from the vector index."""
    query_tagging = corpus.vocabulary.tag(query.text)
    query_tokens = tokenize(query.text)
    lexical = corpus.bm25.score_tokens(query_tokens) if weights.lexical or not weights.dense else {}
    population = len(corpus)
    z_dense = _sharpen(_standardize(dense, population), weights.dense_temperature)
    # Documents an approximate (HNSW) search did not return lie below all it returned.
    dense_floor = min(z_dense.values(), default=0.0)
    z_lexical = _standardize(lexical, population)
    wants_support = asks_for_support(query_tagging, corpus.vocabulary)
    own_org = query.org.id if query.org else None
    query_terms = {t for t in query_tokens if len(t) >= 2}

    matches = []
    for doc_id in set(dense) | set(lexical) | _concept_candidates(query_tagging, corpus):
        doc = corpus.docs.get(doc_id)
        if doc is None or doc.org.id == own_org or (keep and not keep(doc)):
            continue
        if query.document is not None and doc_id == query.document.id:
            continue
        tagging = corpus.taggings[doc_id]
        overlap = concept_overlap(query_tagging, tagging, corpus.vocabulary, corpus.concept_stats)
        structure, parts = _structure(query, doc)
        channels = {"dense": z_dense.get(doc_id, dense_floor), "lexical": z_lexical.get(doc_id, 0.0),
                    "vocabulary": overlap.score, "structure": structure}
        score = sum(getattr(weights, c) * channels[c] for c in CHANNELS)
        if not wants_support and support_only(tagging, corpus.vocabulary):
            score -= weights.support_mismatch
        shared = tuple(sorted(query_terms & corpus.bm25.terms_of(doc_id), key=len, reverse=True))
        matches.append(Match(doc, score, channels, dense.get(doc_id, 0.0), overlap, shared, parts))
    matches.sort(key=lambda m: (-m.score, m.doc.id))
    return diversify(matches, weights.max_per_organization)[:limit]


def _concept_candidates(tagging: Tagging, corpus: Corpus) -> set[str]:
    if not tagging.ids:
        return set()
    wanted = set(tagging.ids)
    for concept in tagging.ids:
        wanted |= corpus.vocabulary.related(concept)
    return {doc_id for doc_id, t in corpus.taggings.items() if t.ids & wanted}


def _structure(query: Query, doc: Document) -> tuple[float, dict[str, float]]:
    if query.document is None:
        return 0.0, {}
    if query.document.kind == "need":
        return structure_score(query.document, doc)
    return structure_score(doc, query.document)


def diversify(matches: list[Match], max_per_organization: int) -> list[Match]:
    """Keep at most N documents per member near the top; the rest follow in their order."""
    if max_per_organization <= 0:
        return matches
    counts: dict[str, int] = {}
    head, tail = [], []
    for match in matches:
        org = match.doc.org.id
        counts[org] = counts.get(org, 0) + 1
        (head if counts[org] <= max_per_organization else tail).append(match)
    return head + tail
