"""Fusion of the channels into one ranking, diversified by member, with the evidence for reasons."""

import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from functools import lru_cache, partial
from types import MappingProxyType
from typing import Any

import numpy as np

from matching.areas import service_area
from matching.channels import (
    RELATED_WEIGHT,
    ConceptOverlap,
    asks_for_support,
    concept_overlap,
    structure_score,
)
from matching.corpus import Corpus
from matching.documents import Document, OrgInfo
from matching.lexical import BM25Index
from matching.text import analyze, japanese_share, language_overlaps, normalize
from matching.view import EVERY_ROW, CorpusView, Rows
from matching.vocabulary import Tagging

CHANNELS = ("dense", "lexical", "vocabulary", "structure")
SAME_LANGUAGE_CORPUS = 0.5  # share of the corpus in the query's language from which lexical evidence counts fully
# With an approximate dense index: how many of the best documents by shared words, and by shared concepts, are
# scored in full beside its nearest ones.
CHANNEL_DEPTH = 300


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
    # The vocabulary score divides by the query's concept weight (IDF), but by no less than this: a query in
    # which the vocabulary finds one or two concepts says little about the rest of its text, and one concept
    # must not decide the ranking alone.
    concept_floor: float = 10.0
    # Weight of the lexical channel between texts in different languages (1 between texts in one language):
    # BM25 over surface words matches little but loan words across Japanese and English.
    lexical_across_languages: float = 0.0
    # Pseudo-relevance feedback (see the engine): the query vector moves toward the mean vector of the top
    # `feedback_docs` documents of a first ranking, by `feedback_weight`; 0 documents = off.
    feedback_docs: int = 1
    feedback_weight: float = 0.5

    def only(self, channels: Iterable[str]) -> "Weights":
        """The same weights with every channel not named set to zero (for ablation)."""
        keep = set(channels)
        changes: dict[str, Any] = {c: (getattr(self, c) if c in keep else 0.0) for c in CHANNELS}
        if "vocabulary" not in keep:
            changes["support_mismatch"] = 0.0  # the penalty reads vocabulary concepts
        return replace(self, **changes)


@dataclass(frozen=True)
class Query:
    """What is being matched: a stored document, or free text with no owner."""

    text: str
    org: OrgInfo | None = None
    document: Document | None = None
    tagging: Tagging | None = None  # the concepts found in the text, when known (else tagged by terms)
    area: tuple[str, ...] = ()  # a seed's: the prefectures where it is available, () anywhere
    area_stated: bool = False

    @classmethod
    def of(cls, doc: Document, tagging: Tagging | None = None) -> "Query":
        """The query for a stored need or seed."""
        area: tuple[str, ...] = ()
        stated = False
        if doc.kind == "seed":
            area, stated = service_area(doc.service_area, doc.text, doc.org.prefecture)
        return cls(text=doc.text, org=doc.org, document=doc, tagging=tagging, area=area, area_stated=stated)


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
    area: tuple[str, ...] = ()  # the seed's service area (of the document, or of the query when it is the seed)
    area_stated: bool = False  # stated by its member (else read from its text)
    outside_area: bool = False  # the need's member is not in that area
    need_prefecture: str | None = None  # where the need's member is (None for free text)
    similarity_z: float = 0.0  # the cosine standardized over the corpus for this query
    # The document's own concepts (named by its terms), rarest first, and its share of Japanese words: a
    # Japanese member reads what an English-only seed is about in the vocabulary's Japanese labels.
    doc_concepts: tuple[str, ...] = ()
    doc_japanese: float = 1.0


def _sharpen(z_scores: np.ndarray, temperature: float) -> np.ndarray:
    """exp(z / T) - 1: 0 at the mean, above -1 below it, growing fast above it."""
    return np.expm1(z_scores / temperature) if temperature > 0 else z_scores


def dense_array(view: CorpusView, dense: Mapping[str, float] | np.ndarray) -> np.ndarray:
    """Cosines aligned with the view's rows, NaN where the index returned nothing."""
    if isinstance(dense, np.ndarray):
        return dense
    values = np.full(len(view), np.nan)
    for doc_id, score in dense.items():
        row = view.row.get(doc_id)
        if row is not None:
            values[row] = score
    return values


@dataclass(frozen=True)
class Dense:
    """The dense channel of one query vector.

    Either every row's cosine (`rows` None: aligned with the view, NaN where unknown), or, from an approximate
    index, the cosines of the nearest `rows` and `cosines_of`, the exact cosine of any rows: the candidates
    other channels bring are then scored like the rest. `mean` and `std` are the cosine's over the whole
    corpus, the reference of its z-score, so that a z-score means the same however many rows were scored.
    """

    cosines: np.ndarray
    mean: float
    std: float
    rows: np.ndarray | None = None
    cosines_of: Callable[[np.ndarray], np.ndarray] | None = None

    @classmethod
    def of(cls, view: CorpusView, dense: "Dense | Mapping[str, float] | np.ndarray") -> "Dense":
        """Every row's cosine, from cosines by document id or aligned with the view (missing ones count 0 in
        the mean and spread)."""
        if isinstance(dense, Dense):
            return dense
        cosines = dense_array(view, dense)
        filled = np.where(np.isnan(cosines), 0.0, cosines)
        return cls(cosines, float(filled.mean()), float(filled.std()))

    def at(self, rows: Rows) -> np.ndarray:
        """The cosines of these rows (NaN where unknown)."""
        if self.rows is None:
            return self.cosines[rows]
        if self.cosines_of is None:
            raise ValueError("an approximate dense channel needs cosines_of to score other channels' candidates")
        return self.cosines_of(np.asarray(rows))


@dataclass(frozen=True)
class _Lexical:
    """BM25 scores by view row, with their mean and spread over the corpus (documents without a shared word
    count as 0) and how much lexical evidence counts in each row's language."""

    by_row: np.ndarray
    mean: float
    std: float
    query_japanese: float
    corpus_same: float  # share of the corpus in the query's language, up to SAME_LANGUAGE_CORPUS

    @classmethod
    def of(cls, view: CorpusView, bm25: BM25Index, tokens: tuple[str, ...], query_text: str) -> "_Lexical":
        # Summed in row order (sorted ids), not in the index's slot order: a restarted server scores alike.
        by_row = bm25.score_array(tokens)[view.bm25_slots].astype(np.float64)
        japanese = japanese_share(query_text)
        shares, counts = view.japanese_shares
        same = float((language_overlaps(japanese, shares) * counts).sum()) / len(view)
        return cls(by_row, float(by_row.mean()), float(by_row.std()), japanese,
                   min(1.0, same / SAME_LANGUAGE_CORPUS))

    def hits(self) -> tuple[np.ndarray, np.ndarray]:
        """The rows that share a word with the query, and their scores."""
        rows = np.nonzero(self.by_row)[0]
        return rows, self.by_row[rows]

    def z_scores(self, view: CorpusView, rows: Rows, across_languages: float) -> tuple[np.ndarray, np.ndarray]:
        """Raw scores and weighted z-scores of the rows: only rows with a hit get a (signed) z-score.

        Texts in the query's language get the lexical evidence; and that evidence is only worth its z-score when
        a good part of the corpus is in that language: an English query over a Japanese corpus hits a handful
        of English documents, whose z-scores then stand out for words as common as "data".
        """
        raw = self.by_row[rows]
        z = np.where(raw > 0, (raw - self.mean) / (self.std or 1.0), 0.0)
        if across_languages < 1.0:
            same = language_overlaps(self.query_japanese, view.japanese[rows]) * self.corpus_same
            z = z * (across_languages + (1 - across_languages) * same)
        return raw, z


@dataclass(frozen=True)
class _Scored:
    """What a query's ranking knows of some rows of the view (`rows`, in the order of these arrays)."""

    rows: np.ndarray
    base: np.ndarray  # the weighted score without the dense channel
    lexical: np.ndarray  # z-scores, weighted by language
    vocabulary: np.ndarray
    structure: np.ndarray
    allowed: np.ndarray
    outside: np.ndarray
    hit: np.ndarray  # shares a word or a concept with the query
    cosine: np.ndarray = field(default_factory=lambda: np.zeros(0))
    z_raw: np.ndarray = field(default_factory=lambda: np.zeros(0))
    z_dense: np.ndarray = field(default_factory=lambda: np.zeros(0))
    retrieved: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))

    def with_dense(self, dense: Dense, temperature: float) -> "_Scored":
        """The same rows with this query vector's dense evidence."""
        cosine = dense.at(self.rows)
        retrieved = ~np.isnan(cosine)
        z_raw = np.where(retrieved, (cosine - dense.mean) / (dense.std or 1.0), 0.0)
        z_dense = _sharpen(z_raw, temperature)
        # Documents an approximate (HNSW) search did not return lie below all it returned.
        z_dense = np.where(retrieved, z_dense, z_dense[retrieved].min() if retrieved.any() else 0.0)
        return replace(self, cosine=cosine, z_raw=z_raw, z_dense=z_dense, retrieved=retrieved)

    def score(self, dense_weight: float) -> np.ndarray:
        """The fused score of each row."""
        return self.base + dense_weight * self.z_dense

    def candidate(self) -> np.ndarray:
        """Rows that may be matched: allowed, and with some evidence."""
        return self.allowed & (self.retrieved | self.hit)


def _vocabulary_weights(tagging: Tagging, corpus: Corpus, floor: float = 0.0) -> tuple[dict[str, float], float]:
    """Per-concept weights of the concept channel (see channels.concept_overlap) and its normalizer; a concept
    found by meaning counts with its weight."""
    stats, vocabulary = corpus.concept_stats, corpus.vocabulary
    weights = {c: tagging.weight(c) * stats.idf(c) for c in tagging.ids}
    related: dict[str, float] = {}
    for q in tagging.ids:
        for d in vocabulary.related(q):
            if d not in weights:
                related[d] = max(related.get(d, 0.0), RELATED_WEIGHT * tagging.weight(q) * stats.idf(d))
    total = sum(tagging.weight(c) * stats.idf(c) for c in tagging.ids)
    return weights | related, max(total, floor) or 1.0


@lru_cache(maxsize=4096)
def _analysis(text: str) -> tuple[tuple[str, ...], Mapping[str, str]]:
    """analyze() of a query text, kept: a stored need or seed is matched again and again with the same text.
    (Read-only: the mapping is shared by every ranking of the text.)"""
    tokens, written = analyze(text)
    return tuple(tokens), MappingProxyType(written)


def _best_rows(rows: np.ndarray, values: np.ndarray, depth: int) -> np.ndarray:
    """The `depth` rows with the highest values (all of them if fewer)."""
    if depth >= len(rows):
        return rows
    return rows[np.argpartition(-values, depth - 1)[:depth]]


def rank(
    query: Query,
    corpus: Corpus,
    dense: Dense | Mapping[str, float] | np.ndarray,
    weights: Weights,
    *,
    limit: int = 10,
    keep: Callable[[Document], bool] | None = None,
    respect_area: bool = True,
    feedback: Callable[[list[Document]], Dense | Mapping[str, float] | np.ndarray] | None = None,
    channel_depth: int = CHANNEL_DEPTH,
) -> list[Match]:
    """Rank the corpus for the query.

    `dense` holds cosine similarities from the vector index: a `Dense`, or cosines by document id or aligned
    with `corpus.view()` rows (NaN where not retrieved). With every row's cosine, every document is scored
    with vectorized channels. With an approximate index's nearest rows, only candidates are: those rows, and
    the `channel_depth` best by shared words and by shared concepts; the work then grows with the answer,
    not with the corpus (and if filters leave fewer than `limit` of them, every row is scored after all).
    Only the documents that reach the top become `Match`es with their evidence. A seed limited to some
    prefectures is not matched with needs of members elsewhere unless respect_area is False (the asker chose
    where to look); its match then says that the member is outside the area.

    `feedback` (pseudo-relevance feedback) gets the best `weights.feedback_docs` documents of this ranking and
    returns the cosines of a query vector moved toward them; only the dense channel is computed again.
    """
    view = corpus.view()
    if not len(view):
        return []
    query_tagging = query.tagging or corpus.vocabulary.tag(query.text)
    query_tokens, query_written = _analysis(query.text)
    first = Dense.of(view, dense)
    lexical = (_Lexical.of(view, corpus.bm25, query_tokens, query.text)
               if weights.lexical or not weights.dense else None)
    concept_weights, norm = _vocabulary_weights(query_tagging, corpus, weights.concept_floor)
    vocabulary = view.concept_scores(concept_weights) / norm
    penalize_support = not asks_for_support(query_tagging, corpus.vocabulary)

    def scored(rows: Rows) -> _Scored:
        """The evidence other than dense for these rows."""
        if lexical is not None:
            raw, z_lexical = lexical.z_scores(view, rows, weights.lexical_across_languages)
        else:
            raw = z_lexical = np.zeros(len(view))[rows]
        concepts = vocabulary[rows]
        structure = (view.structure_scores(query.document, query_tagging, rows) if query.document is not None
                     else np.zeros(len(concepts)))
        base = weights.lexical * z_lexical + weights.vocabulary * concepts + weights.structure * structure
        if penalize_support:
            base = base - weights.support_mismatch * view.support_only[rows]
        allowed = np.ones(len(concepts), dtype=bool)
        if query.org is not None:
            allowed &= view.org_codes[rows] != view.org_index.get(query.org.id, -1)
        if query.document is not None and query.document.id in view.row:
            allowed &= view.row_numbers(rows) != view.row[query.document.id]
        outside = view.outside_area(query.document, query.area, rows)
        if respect_area:
            allowed &= ~outside
        return _Scored(view.row_numbers(rows), base, z_lexical, concepts, structure, allowed, outside,
                       (raw > 0) | (concepts > 0))

    def candidates(*nearest: np.ndarray) -> np.ndarray:
        """The nearest rows by meaning, and the best by shared words and by shared concepts."""
        found = list(nearest)
        if lexical is not None:
            found.append(_best_rows(*lexical.hits(), channel_depth))
        with_concepts = np.nonzero(vocabulary)[0]  # one pass: faster than merging the concepts' postings
        found.append(_best_rows(with_concepts, vocabulary[with_concepts], channel_depth))
        return np.unique(np.concatenate(found))

    query_terms = {t for t in query_tokens if len(t) >= 2}
    exact = first.rows is None
    rows: Rows = EVERY_ROW if exact else candidates(first.rows)  # type: ignore[arg-type]
    while True:
        found = scored(rows).with_dense(first, weights.dense_temperature)
        if feedback is not None and weights.feedback_docs > 0 and weights.dense:
            score = found.score(weights.dense)
            ordered = _ordered_rows(view, found, score, found.candidate(), max(20, 10 * weights.feedback_docs))
            best = [view.docs[found.rows[i]] for i in ordered
                    if keep is None or keep(view.docs[found.rows[i]])][: weights.feedback_docs]
            if best:
                moved = Dense.of(view, feedback(best))
                if moved.rows is not None and not isinstance(rows, slice) and len(moved.rows):
                    found = scored(np.union1d(rows, moved.rows))
                found = found.with_dense(moved, weights.dense_temperature)
        score = found.score(weights.dense)
        matches, full = _top(view, found, score, found.candidate(), limit, weights.max_per_organization, keep,
                             partial(_match, view, corpus, query, query_tagging, query_written, query_terms, found,
                                     score, weights=weights))
        if full or isinstance(rows, slice) or len(rows) == len(view):
            return matches
        # Filters, or the cap per member, left too few candidates: score every row.
        rows = np.arange(len(view))


def _match(view: CorpusView, corpus: Corpus, query: Query, query_tagging: Tagging, query_written: Mapping[str, str],
           query_terms: set[str], found: _Scored, score: np.ndarray, i: int, *, weights: Weights) -> Match:
    """The match of position i of the scored rows (whose fused scores are `score`), with its evidence."""
    row = int(found.rows[i])
    doc = view.docs[row]
    overlap = concept_overlap(query_tagging, corpus.taggings[doc.id], corpus.vocabulary, corpus.concept_stats,
                              weights.concept_floor)
    shared = shared_words(query.text, query_written, doc, corpus.bm25, query_terms & corpus.bm25.terms_of(doc.id))
    channels = {"dense": float(found.z_dense[i]), "lexical": float(found.lexical[i]),
                "vocabulary": float(found.vocabulary[i]), "structure": float(found.structure[i])}
    similarity = 0.0 if np.isnan(found.cosine[i]) else float(found.cosine[i])
    need_prefecture: str | None = doc.org.prefecture
    if doc.kind == "need":
        area, stated = query.area, query.area_stated
    else:
        area, stated = corpus.areas.get(doc.id, ((), False))
        need_prefecture = query.org.prefecture if query.org is not None else None
    parts = _structure(query, doc, query_tagging, corpus.taggings[doc.id])[1]
    own = sorted(corpus.taggings[doc.id].concepts, key=lambda c: (-corpus.concept_stats.idf(c), c))
    return Match(doc, float(score[i]), channels, similarity, overlap, shared, parts, area, stated,
                 bool(found.outside[i]), need_prefecture, float(found.z_raw[i]) if found.retrieved[i] else 0.0,
                 tuple(own), float(view.japanese[row]))


_LATIN_WORD = re.compile(r"[a-z0-9][a-z0-9\-+.]*")


@lru_cache(maxsize=4096)
def _word_pattern(word: str) -> re.Pattern[str]:
    """Where a (normalized) word stands in a text, in either case: Latin words whole (or plural), Japanese as
    written."""
    if _LATIN_WORD.fullmatch(word):
        return re.compile(rf"(?<![a-z0-9]){re.escape(word)}(?:e?s)?(?![a-z0-9])", re.IGNORECASE)
    return re.compile(re.escape(word), re.IGNORECASE)


def _contains(text: str, word: str) -> bool:
    """The word stands in the (normalized) text."""
    return word in text if not _LATIN_WORD.fullmatch(word) else _word_pattern(word).search(text) is not None


def _as_written(nfkc_text: str, word: str) -> str:
    """The word in the text's own case (IoT, not iot), where it stands as a word (not the iot in Patriot)."""
    found = _word_pattern(word).search(nfkc_text)
    return nfkc_text[found.start():found.start() + len(word)] if found else word


def shared_words(query_text: str, query_written: Mapping[str, str], doc: Document, bm25: BM25Index,
                 tokens: set[str]) -> tuple[str, ...]:
    """Words both texts contain as written, for reasons: nouns and Latin words whose tokens match, quoted in a
    form that stands in both texts (never the index's normal form when neither text writes it), longest first,
    then in character order (set order varies between processes, reasons must not)."""
    query_nfkc = unicodedata.normalize("NFKC", query_text)
    query_norm, doc_norm = query_nfkc.lower(), normalize(doc.text)
    words: dict[str, str] = {}
    for token in tokens:
        if token not in query_written and not bm25.is_word(token):
            continue  # verbs and adjectives: their forms differ between texts
        for word in (query_written.get(token, token), bm25.written(doc.id, token)):
            if _contains(query_norm, word) and _contains(doc_norm, word):
                if word not in words:
                    words[word] = _as_written(query_nfkc, word)
                break
    return tuple(words[w] for w in sorted(words, key=lambda w: (-len(w), w)))


def _ordered_rows(view: CorpusView, found: _Scored, score: np.ndarray, candidate: np.ndarray, depth: int
                  ) -> np.ndarray:
    """Positions of the candidates with the highest scores, best first (ties by id), at most depth of them."""
    positions = np.nonzero(candidate)[0]
    if depth < len(positions):
        positions = positions[np.argpartition(-score[positions], depth - 1)[:depth]]
    return positions[np.lexsort((view.id_order[found.rows[positions]], -score[positions]))]


def _top(view: CorpusView, found: _Scored, score: np.ndarray, candidate: np.ndarray, limit: int, per_org: int,
         keep: Callable[[Document], bool] | None, match: Callable[[int], Match]) -> tuple[list[Match], bool]:
    """Walk the best rows until `limit` matches pass the filter and the per-member cap (see diversify); the
    matches, and whether that many did (else the candidates ran out: those over the cap fill the rest)."""
    depth = max(10 * limit, 100)
    while True:
        positions = _ordered_rows(view, found, score, candidate, depth)
        head: list[Match] = []
        tail: list[Match] = []
        counts: dict[int, int] = {}
        for i in positions:
            row = int(found.rows[i])
            if keep is not None and not keep(view.docs[row]):
                continue
            org = int(view.org_codes[row])
            counts[org] = counts.get(org, 0) + 1
            if per_org <= 0 or counts[org] <= per_org:
                head.append(match(int(i)))
                if len(head) >= limit:
                    return head, True
            elif len(tail) < limit:
                tail.append(match(int(i)))
        if depth >= int(candidate.sum()):
            return (head + tail)[:limit], False
        depth *= 4


def _structure(query: Query, doc: Document, query_tagging: Tagging, doc_tagging: Tagging
               ) -> tuple[float, dict[str, float]]:
    if query.document is None:
        return 0.0, {}
    if query.document.kind == "need":
        return structure_score(query.document, doc, query_tagging, doc_tagging)
    return structure_score(doc, query.document, doc_tagging, query_tagging)


def diversify(matches: list[Match], max_per_organization: int) -> list[Match]:
    """Keep at most N documents per member near the top; the rest follow in their order."""
    if max_per_organization <= 0:
        return matches
    counts: dict[str, int] = {}
    head: list[Match] = []
    tail: list[Match] = []
    for match in matches:
        org = match.doc.org.id
        counts[org] = counts.get(org, 0) + 1
        (head if counts[org] <= max_per_organization else tail).append(match)
    return head + tail
