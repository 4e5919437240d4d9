"""BM25 over Sudachi tokens, updated one document at a time."""

import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from matching.text import analyze, japanese_share, tokenize


@dataclass(frozen=True)
class Analysis:
    """What the index keeps of one text, so that a snapshot can hand it back without Sudachi: its token
    counts, the nouns and Latin words among them, those written otherwise than their token, its Japanese share."""

    counts: dict[str, int]
    words: tuple[str, ...]
    written: dict[str, str]
    japanese: float

    @classmethod
    def of(cls, text: str) -> "Analysis":
        """The analysis of a text (see matching.text.analyze)."""
        tokens, written = analyze(text)
        return cls(dict(Counter(tokens)), tuple(written), {t: w for t, w in written.items() if w != t},
                   japanese_share(text))


class BM25Index:
    """Okapi BM25 with incremental add/remove; scoring is vectorized per query term."""

    def __init__(self, k1: float = 1.2, b: float = 0.75) -> None:
        self.k1, self.b = k1, b
        self._slot: dict[str, int] = {}  # document id -> row
        self._ids: list[str | None] = []
        self._lengths = np.zeros(0, dtype=np.float32)  # token count per row (0 for freed rows)
        self._postings: dict[str, dict[int, int]] = {}
        self._terms: dict[int, Counter[str]] = {}
        # Nouns and Latin words as each document writes them, where that differs from the token (for reasons).
        self._written: dict[int, dict[str, str]] = {}
        self._words: set[str] = set()  # tokens that are a noun or a Latin word somewhere
        self._row_words: dict[int, tuple[str, ...]] = {}  # each row's own (kept for its Analysis)
        self._japanese: dict[int, float] = {}  # share of Japanese words per row (see text.japanese_share)
        self._cache: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        self._total_length = 0

    def __len__(self) -> int:
        return len(self._slot)

    def add(self, doc_id: str, text: str, analysis: Analysis | None = None) -> None:
        """Index (or re-index) one document; `analysis`: the text's, when already known."""
        self.remove(doc_id)
        analysis = analysis or Analysis.of(text)
        counts = Counter(analysis.counts)
        row = len(self._ids)
        self._japanese[row] = analysis.japanese
        self._words.update(analysis.words)
        self._row_words[row] = analysis.words
        if analysis.written:
            self._written[row] = dict(analysis.written)
        self._slot[doc_id] = row
        self._ids.append(doc_id)
        length = sum(counts.values())
        if row >= len(self._lengths):  # grown by doubling, so adding n documents costs O(n) in all
            self._lengths = np.concatenate([self._lengths, np.zeros(max(row, 16), dtype=np.float32)])
        self._lengths[row] = length
        self._total_length += length
        self._terms[row] = counts
        for term, tf in counts.items():
            self._postings.setdefault(term, {})[row] = tf
            self._cache.pop(term, None)

    def add_many(self, docs: Iterable[tuple[str, str]]) -> None:
        """Index several documents."""
        for doc_id, text in docs:
            self.add(doc_id, text)

    def remove(self, doc_id: str) -> None:
        """Forget a document; unknown ids are ignored."""
        row = self._slot.pop(doc_id, None)
        if row is None:
            return
        self._ids[row] = None
        self._written.pop(row, None)
        self._row_words.pop(row, None)
        self._japanese.pop(row, None)
        self._total_length -= int(self._lengths[row])
        self._lengths[row] = 0
        for term in self._terms.pop(row):
            postings = self._postings[term]
            postings.pop(row, None)
            if not postings:
                del self._postings[term]
            self._cache.pop(term, None)

    def _arrays(self, term: str) -> tuple[np.ndarray, np.ndarray]:
        cached = self._cache.get(term)
        if cached is None:
            postings = self._postings[term]
            cached = (np.fromiter(postings.keys(), dtype=np.int64, count=len(postings)),
                      np.fromiter(postings.values(), dtype=np.float32, count=len(postings)))
            self._cache[term] = cached
        return cached

    def slot(self, doc_id: str) -> int:
        """The document's position in the arrays score_array returns."""
        return self._slot[doc_id]

    def score_tokens(self, tokens: Iterable[str], weights: dict[str, float] | None = None) -> dict[str, float]:
        """BM25 score of every document that shares a token with the query (query terms counted once)."""
        scores = self.score_array(tokens, weights)
        hits = np.nonzero(scores)[0]
        return {self._ids[i]: float(scores[i]) for i in hits if self._ids[i] is not None}  # type: ignore[misc]

    def score_array(self, tokens: Iterable[str], weights: dict[str, float] | None = None) -> np.ndarray:
        """BM25 scores by slot (see `slot`); zero for documents sharing no token and for freed slots."""
        n_docs = len(self._slot)
        if not n_docs:
            return np.zeros(len(self._ids), dtype=np.float32)
        avg_length = max(self._total_length / n_docs, 1.0)
        lengths = self._lengths
        scores = np.zeros(len(self._ids), dtype=np.float32)
        for term in set(tokens):
            if term not in self._postings:
                continue
            rows, tf = self._arrays(term)
            df = len(rows)
            idf = math.log(1 + (n_docs - df + 0.5) / (df + 0.5))
            norm = self.k1 * (1 - self.b + self.b * lengths[rows] / avg_length)
            scores[rows] += (weights or {}).get(term, 1.0) * idf * tf * (self.k1 + 1) / (tf + norm)
        return scores

    def score(self, text: str) -> dict[str, float]:
        """BM25 scores for a free-text query."""
        return self.score_tokens(tokenize(text))

    def terms_of(self, doc_id: str) -> set[str]:
        """The indexed tokens of a document (for reasons)."""
        row = self._slot.get(doc_id)
        return set(self._terms[row]) if row is not None else set()

    def japanese(self, doc_id: str) -> float:
        """The document's share of Japanese words."""
        row = self._slot.get(doc_id)
        return self._japanese.get(row, 1.0) if row is not None else 1.0

    def analysis(self, doc_id: str) -> Analysis:
        """The document's analysis as indexed (KeyError for an unknown id)."""
        row = self._slot[doc_id]
        counts = self._terms[row]
        return Analysis(dict(counts), self._row_words[row], dict(self._written.get(row, {})), self._japanese[row])

    def is_word(self, token: str) -> bool:
        """Whether the token is a noun or a Latin word (not a verb or adjective, whose forms vary)."""
        return token in self._words

    def written(self, doc_id: str, token: str) -> str:
        """The token as the document writes it (NFKC, lower case)."""
        row = self._slot.get(doc_id)
        return self._written.get(row, {}).get(token, token) if row is not None else token
