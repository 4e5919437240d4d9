"""BM25 over Sudachi tokens, updated one document at a time, its postings kept in arrays.

Each document's terms are a run of entries in append-only columns (the forward index); the postings (the
inverted index) are the same entries sorted by term, made in one vectorized pass when a query first needs them.
Documents added after that pass are scored from their own entries until there are enough of them to make the
postings anew; a removed document's entries count zero. A Python object per document and per posting cost
hundreds of megabytes, and seconds to load, at 100k documents.
"""

import math
from collections.abc import Iterable, Sequence

import numpy as np

from matching.analysis import Analysis, AnalysisTable, TableRow
from matching.text import tokenize

# Documents added since the postings were made that are scored from their own entries; beyond this many (or an
# eighth of the indexed ones, if fewer) the postings are made anew (a fraction of a second per 100k documents).
FRESH_ROWS = 2048


class _Column:
    """A growable one-dimensional array (doubling, so n appends cost O(n))."""

    def __init__(self, dtype: type, fill: float = 0) -> None:
        self.data: np.ndarray = np.full(16, fill, dtype=dtype)
        self.size = 0
        self._fill = fill

    def extend(self, values: np.ndarray | Sequence[float]) -> None:
        end = self.size + len(values)
        if end > len(self.data):
            grown = np.full(max(end, 2 * len(self.data)), self._fill, dtype=self.data.dtype)
            grown[:self.size] = self.data[:self.size]
            self.data = grown
        self.data[self.size:end] = values
        self.size = end

    def grow_to(self, size: int) -> None:
        """At least `size` elements (new ones filled)."""
        if size > self.size:
            self.extend(np.full(size - self.size, self._fill, dtype=self.data.dtype))

    def replace(self, values: np.ndarray) -> None:
        self.data = np.array(values, dtype=self.data.dtype)
        self.size = len(values)
        if not len(self.data):
            self.data = np.full(16, self._fill, dtype=self.data.dtype)

    @property
    def values(self) -> np.ndarray:
        return self.data[:self.size]


def _runs(starts: np.ndarray, sizes: np.ndarray) -> np.ndarray:
    """The indices of the runs starts[i] : starts[i] + sizes[i], one after another."""
    return np.repeat(starts - np.cumsum(sizes) + sizes, sizes) + np.arange(int(sizes.sum()))


class _Numbering:
    """Strings numbered in the order they were first met."""

    def __init__(self) -> None:
        self.number: dict[str, int] = {}
        self.strings: list[str] = []

    def __len__(self) -> int:
        return len(self.strings)

    def add(self, value: str) -> int:
        """The string's number, a new one if it is new."""
        found = self.number.get(value)
        if found is None:
            found = self.number[value] = len(self.strings)
            self.strings.append(value)
        return found


class BM25Index:
    """Okapi BM25 with incremental add/remove; scoring is vectorized per query term."""

    def __init__(self, k1: float = 1.2, b: float = 0.75) -> None:
        self.k1, self.b = k1, b
        self._slot: dict[str, int] = {}  # document id -> row
        self._ids: list[str | None] = []
        self._terms = _Numbering()  # every term met, by number
        self._df = _Column(np.int32)  # live documents with the term, by term number
        self._is_word = _Column(np.bool_)  # a noun or Latin word in some document, by term number
        self._spellings = _Numbering()  # how documents write terms, where not as the term
        # The forward index: each row's run of entries (a removed row's count zero).
        self._starts = _Column(np.int64)
        self._ends = _Column(np.int64)
        self._lengths = _Column(np.float32)  # token count per row (0 for removed rows)
        self._japanese = _Column(np.float64, 1.0)  # share of Japanese words per row (see text.japanese_share)
        self._entry_term = _Column(np.int32)
        self._entry_count = _Column(np.float32)
        self._entry_word = _Column(np.bool_)
        self._entry_spelling = _Column(np.int32, -1)
        # Rows taken from analysis tables by `add` and not yet copied into the columns: (table, its row).
        self._pending: list[tuple[AnalysisTable, int]] = []
        # The postings: rows and counts by term, over the rows before `_indexed_rows`.
        self._offsets = np.zeros(1, dtype=np.int64)
        self._posting_rows = np.zeros(0, dtype=np.int32)
        self._posting_counts = np.zeros(0, dtype=np.float32)
        self._indexed_rows = 0
        self._total_length = 0

    def __len__(self) -> int:
        return len(self._slot)

    def add(self, doc_id: str, text: str, analysis: Analysis | TableRow | None = None) -> None:
        """Index (or re-index) one document; `analysis`: the text's, when already known (a table's row is
        copied in bulk with the rows added next to it)."""
        self.remove(doc_id)
        row = len(self._ids)
        self._slot[doc_id] = row
        self._ids.append(doc_id)
        if isinstance(analysis, TableRow):
            self._pending.append((analysis.table, analysis.row))
            return
        self._flush()
        analysis = analysis or Analysis.of(text)
        terms = np.fromiter((self._terms.add(t) for t in analysis.counts), np.int32, len(analysis.counts))
        spellings = [self._spellings.add(analysis.written[t]) if t in analysis.written else -1 for t in analysis.counts]
        words = set(analysis.words)
        self._append_rows(terms, np.fromiter(analysis.counts.values(), np.float32, len(terms)),
                          np.fromiter((t in words for t in analysis.counts), bool, len(terms)),
                          np.array(spellings, dtype=np.int32), np.array([len(terms)]),
                          np.array([analysis.japanese]))

    def _append_rows(self, terms: np.ndarray, counts: np.ndarray, words: np.ndarray, spellings: np.ndarray,
                     sizes: np.ndarray, japanese: np.ndarray) -> None:
        """Entries of the rows at the end of `_ids` not yet in the columns, `sizes` entries each."""
        ends = self._entry_term.size + np.cumsum(sizes)
        self._starts.extend(ends - sizes)
        self._ends.extend(ends)
        self._lengths.extend(np.bincount(np.repeat(np.arange(len(sizes)), sizes), weights=counts,
                                         minlength=len(sizes)))
        self._japanese.extend(japanese)
        self._entry_term.extend(terms)
        self._entry_count.extend(counts)
        self._entry_word.extend(words)
        self._entry_spelling.extend(spellings)
        self._df.grow_to(len(self._terms))
        self._is_word.grow_to(len(self._terms))
        self._df.data[:len(self._terms)] += np.bincount(terms, minlength=len(self._terms)).astype(np.int32)
        self._is_word.data[terms[words]] = True
        self._total_length += int(counts.sum())

    def _flush(self) -> None:
        """Copy the rows pending from analysis tables into the columns, one vectorized copy per table."""
        if not self._pending:
            return
        pending, self._pending = self._pending, []
        numberings: dict[int, tuple[np.ndarray, np.ndarray]] = {}  # each table's numbers in this index, by id
        start = 0
        while start < len(pending):
            table = pending[start][0]
            end = start
            while end < len(pending) and pending[end][0] is table:
                end += 1
            if id(table) not in numberings:
                numberings[id(table)] = self._numbering(table)
            self._copy_rows(table, np.array([r for _, r in pending[start:end]], dtype=np.int64), *numberings[id(table)])
            start = end

    def _numbering(self, table: AnalysisTable) -> tuple[np.ndarray, np.ndarray]:
        """This index's number of each of the table's terms and spellings (a spelling of -1, written as the term,
        stays -1: it picks the appended last element)."""
        terms = np.fromiter((self._terms.add(t) for t in table.terms), np.int32, len(table.terms))
        spellings = np.fromiter((self._spellings.add(s) for s in table.spellings), np.int32, len(table.spellings))
        return terms, np.append(spellings, -1).astype(np.int32)

    def _copy_rows(self, table: AnalysisTable, rows: np.ndarray, term_map: np.ndarray, spelling_map: np.ndarray
                   ) -> None:
        sizes = table.starts[rows + 1] - table.starts[rows]
        entries = _runs(table.starts[rows], sizes)
        self._append_rows(term_map[table.term[entries]], table.count[entries].astype(np.float32),
                          table.word[entries], spelling_map[table.spelling[entries]], sizes, table.japanese[rows])

    def add_many(self, docs: Iterable[tuple[str, str]]) -> None:
        """Index several documents."""
        for doc_id, text in docs:
            self.add(doc_id, text)

    def remove(self, doc_id: str) -> None:
        """Forget a document; unknown ids are ignored."""
        row = self._slot.pop(doc_id, None)
        if row is None:
            return
        self._flush()
        self._ids[row] = None
        start, end = int(self._starts.data[row]), int(self._ends.data[row])
        terms = self._entry_term.data[start:end]
        self._df.data[terms] -= 1
        self._entry_count.data[start:end] = 0
        self._total_length -= int(self._lengths.data[row])
        self._lengths.data[row] = 0
        if row < self._indexed_rows:  # its postings count zero from now on
            for term in terms.tolist():
                first, last = int(self._offsets[term]), int(self._offsets[term + 1])
                found = first + int(np.searchsorted(self._posting_rows[first:last], row))
                self._posting_counts[found] = 0

    def _index(self) -> None:
        """Make the postings anew from the live entries (and drop the removed rows' entries)."""
        live = self._entry_count.values > 0
        rows = np.repeat(np.arange(len(self._ids), dtype=np.int32), self._ends.values - self._starts.values)
        terms, counts = self._entry_term.values[live], self._entry_count.values[live]
        sizes = np.bincount(rows[live], minlength=len(self._ids))
        ends = np.cumsum(sizes)
        self._starts.replace(ends - sizes)
        self._ends.replace(ends)
        self._entry_term.replace(terms)
        self._entry_count.replace(counts)
        self._entry_word.replace(self._entry_word.values[live])
        self._entry_spelling.replace(self._entry_spelling.values[live])
        order = np.argsort(terms, kind="stable")  # rows stay ascending within a term
        self._offsets = np.concatenate([[0], np.cumsum(np.bincount(terms, minlength=len(self._terms)))])
        self._posting_rows = rows[live][order]
        self._posting_counts = counts[order]
        self._indexed_rows = len(self._ids)

    def slot(self, doc_id: str) -> int:
        """The document's position in the arrays score_array returns."""
        return self._slot[doc_id]

    def slots(self, doc_ids: Sequence[str]) -> np.ndarray:
        """The documents' slots (KeyError for an unknown id)."""
        return np.fromiter((self._slot[d] for d in doc_ids), np.int64, len(doc_ids))

    def japanese_at(self, slots: np.ndarray) -> np.ndarray:
        """The share of Japanese words of the documents in these slots."""
        self._flush()
        return self._japanese.data[slots].astype(np.float64)

    def score_tokens(self, tokens: Iterable[str], weights: dict[str, float] | None = None) -> dict[str, float]:
        """BM25 score of every document that shares a token with the query (query terms counted once)."""
        scores = self.score_array(tokens, weights)
        hits = np.nonzero(scores)[0]
        return {self._ids[i]: float(scores[i]) for i in hits if self._ids[i] is not None}  # type: ignore[misc]

    def score_array(self, tokens: Iterable[str], weights: dict[str, float] | None = None) -> np.ndarray:
        """BM25 scores by slot (see `slot`); zero for documents sharing no token and for freed slots."""
        self._flush()
        n_docs = len(self._slot)
        scores = np.zeros(len(self._ids), dtype=np.float32)
        if not n_docs:
            return scores
        if len(self._ids) - self._indexed_rows > min(FRESH_ROWS, max(16, self._indexed_rows // 8)):
            self._index()
        avg_length = max(self._total_length / n_docs, 1.0)
        lengths = self._lengths.values
        # Terms in their text's order: float sums must depend neither on the process's string hashing nor on the
        # order the index met the terms in.
        query = [self._terms.number[t] for t in sorted(set(tokens)) if t in self._terms.number]

        def add(term_weight: float, rows: np.ndarray, tf: np.ndarray) -> None:
            norm = self.k1 * (1 - self.b + self.b * lengths[rows] / avg_length)
            scores[rows] += term_weight * tf * (self.k1 + 1) / (tf + norm)

        fresh_from = int(self._starts.data[self._indexed_rows]) if self._indexed_rows < len(self._ids) else None
        fresh_terms = self._entry_term.values[fresh_from:] if fresh_from is not None else np.zeros(0, np.int32)
        fresh = np.nonzero(np.isin(fresh_terms, query))[0] + (fresh_from or 0)
        fresh_rows = np.searchsorted(self._starts.values, fresh, side="right") - 1
        for term in query:
            df = int(self._df.data[term])
            if not df:
                continue
            idf = math.log(1 + (n_docs - df + 0.5) / (df + 0.5))
            weight = (weights or {}).get(self._terms.strings[term], 1.0) * idf
            if term + 1 < len(self._offsets):
                first, last = int(self._offsets[term]), int(self._offsets[term + 1])
                add(weight, self._posting_rows[first:last], self._posting_counts[first:last])
            mine = self._entry_term.data[fresh] == term if len(fresh) else None
            if mine is not None and mine.any():
                add(weight, fresh_rows[mine], self._entry_count.data[fresh[mine]])
        return scores

    def score(self, text: str) -> dict[str, float]:
        """BM25 scores for a free-text query."""
        return self.score_tokens(tokenize(text))

    def _entries(self, doc_id: str) -> slice | None:
        row = self._slot.get(doc_id)
        if row is None:
            return None
        self._flush()
        return slice(int(self._starts.data[row]), int(self._ends.data[row]))

    def terms_of(self, doc_id: str) -> set[str]:
        """The indexed tokens of a document (for reasons)."""
        entries = self._entries(doc_id)
        if entries is None:
            return set()
        return {self._terms.strings[t] for t in self._entry_term.data[entries].tolist()}

    def japanese(self, doc_id: str) -> float:
        """The document's share of Japanese words."""
        row = self._slot.get(doc_id)
        if row is None:
            return 1.0
        self._flush()
        return float(self._japanese.data[row])

    def analysis(self, doc_id: str) -> Analysis:
        """The document's analysis as indexed (KeyError for an unknown id)."""
        return self.table([doc_id]).analysis(0)

    def table(self, doc_ids: Sequence[str]) -> AnalysisTable:
        """The documents' analyses as indexed, as a table in their order (KeyError for an unknown id)."""
        self._flush()
        rows = self.slots(doc_ids)
        starts = self._starts.data[rows]
        sizes = self._ends.data[rows] - starts
        entries = _runs(starts, sizes)
        used_terms, terms = np.unique(self._entry_term.data[entries], return_inverse=True)
        spelled = self._entry_spelling.data[entries]
        used_spellings, spellings = np.unique(spelled[spelled >= 0], return_inverse=True)
        spelling = np.full(len(entries), -1, dtype=np.int32)
        spelling[spelled >= 0] = spellings
        return AnalysisTable([self._terms.strings[t] for t in used_terms.tolist()],
                             [self._spellings.strings[s] for s in used_spellings.tolist()],
                             np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64), terms.astype(np.int32),
                             self._entry_count.data[entries].astype(np.int32), self._entry_word.data[entries].copy(),
                             spelling, self._japanese.data[rows].copy())

    def is_word(self, token: str) -> bool:
        """Whether the token is a noun or a Latin word (not a verb or adjective, whose forms vary)."""
        self._flush()
        term = self._terms.number.get(token)
        return term is not None and term < self._is_word.size and bool(self._is_word.data[term])

    def written(self, doc_id: str, token: str) -> str:
        """The token as the document writes it (NFKC, lower case)."""
        entries = self._entries(doc_id)
        term = self._terms.number.get(token)
        if entries is None or term is None:
            return token
        found = np.nonzero(self._entry_term.data[entries] == term)[0]
        spelling = int(self._entry_spelling.data[entries.start + found[0]]) if len(found) else -1
        return self._spellings.strings[spelling] if spelling >= 0 else token
