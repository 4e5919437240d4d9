"""What the lexical index keeps of a text (its analysis), one at a time or as a table of many: the form in
which a snapshot hands analyses back without running Sudachi again. Analyses are named by this module's code
and matching.text's (see app.matches.analyses), so only a change here or there makes them anew."""

import io
import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from matching.text import analyze, japanese_share


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
        counts = Counter(tokens)
        return cls(dict(counts), tuple(t for t in counts if t in written),
                   {t: w for t, w in written.items() if w != t}, japanese_share(text))


@dataclass(frozen=True)
class AnalysisTable:
    """The analyses of many texts as columns: how a snapshot keeps them, and how an index takes them in bulk.

    Text i's entries are starts[i]:starts[i + 1]. An entry names a term (its number in `terms`), how often the
    text has it, whether it is a noun or Latin word there, and how the text writes it (its number in
    `spellings`, -1 when written as the term).
    """

    terms: list[str]
    spellings: list[str]
    starts: np.ndarray  # int64, one more than there are texts
    term: np.ndarray  # int32 per entry
    count: np.ndarray  # int32 per entry
    word: np.ndarray  # bool per entry
    spelling: np.ndarray  # int32 per entry
    japanese: np.ndarray  # float64 per text

    def __len__(self) -> int:
        return len(self.starts) - 1

    @classmethod
    def of(cls, analyses: Sequence[Analysis]) -> "AnalysisTable":
        """The table of these analyses, in their order."""
        terms: dict[str, int] = {}
        spellings: dict[str, int] = {}
        term, count, word, spelling, starts = [], [], [], [], [0]
        for analysis in analyses:
            words = set(analysis.words)
            for token, tf in analysis.counts.items():
                term.append(terms.setdefault(token, len(terms)))
                count.append(tf)
                word.append(token in words)
                written = analysis.written.get(token)
                spelling.append(-1 if written is None else spellings.setdefault(written, len(spellings)))
            starts.append(len(term))
        return cls(list(terms), list(spellings), np.array(starts, dtype=np.int64), np.array(term, dtype=np.int32),
                   np.array(count, dtype=np.int32), np.array(word, dtype=bool), np.array(spelling, dtype=np.int32),
                   np.array([a.japanese for a in analyses], dtype=np.float64))

    def analysis(self, i: int) -> Analysis:
        """Text i's analysis."""
        part = slice(int(self.starts[i]), int(self.starts[i + 1]))
        tokens = [self.terms[t] for t in self.term[part].tolist()]
        written = {token: self.spellings[s] for token, s in zip(tokens, self.spelling[part].tolist(), strict=True)
                   if s >= 0}
        return Analysis(dict(zip(tokens, self.count[part].tolist(), strict=True)),
                        tuple(t for t, w in zip(tokens, self.word[part].tolist(), strict=True) if w), written,
                        float(self.japanese[i]))

    def row(self, i: int) -> "TableRow":
        """A reference to text i's analysis, which an index takes without making it an object."""
        return TableRow(self, i)

    def to_bytes(self, meta: dict[str, object] | None = None) -> bytes:
        """The table as an (uncompressed) npz file, with `meta` (JSON) beside its strings."""
        header = json.dumps({"terms": self.terms, "spellings": self.spellings, "meta": meta or {}},
                            ensure_ascii=False).encode("utf-8")
        out = io.BytesIO()
        np.savez(out, header=np.frombuffer(header, dtype=np.uint8), starts=self.starts, term=self.term,
                 count=self.count, word=self.word, spelling=self.spelling, japanese=self.japanese)
        return out.getvalue()

    @classmethod
    def from_bytes(cls, content: bytes) -> tuple["AnalysisTable", dict[str, object]]:
        """The table `to_bytes` wrote and its meta; ValueError (or KeyError) when the content is not one."""
        with np.load(io.BytesIO(content), allow_pickle=False) as arrays:
            header = json.loads(arrays["header"].tobytes().decode("utf-8"))
            table = cls(list(header["terms"]), list(header["spellings"]), arrays["starts"].astype(np.int64),
                        arrays["term"].astype(np.int32), arrays["count"].astype(np.int32),
                        arrays["word"].astype(bool), arrays["spelling"].astype(np.int32),
                        arrays["japanese"].astype(np.float64))
        n_entries = len(table.term)
        columns = (table.starts, table.term, table.count, table.word, table.spelling, table.japanese)
        if (any(c.ndim != 1 for c in columns) or len(table.starts) < 1 or table.starts[0] != 0
                or table.starts[-1] != n_entries or np.any(np.diff(table.starts) < 0)
                or len(table.japanese) != len(table)
                or not len(table.count) == len(table.word) == len(table.spelling) == n_entries
                or not all(isinstance(t, str) for t in (*table.terms, *table.spellings))
                or (n_entries and (table.term.min() < 0 or table.term.max() >= len(table.terms)
                                   or table.count.min() < 1 or table.spelling.min() < -1
                                   or table.spelling.max() >= len(table.spellings)))):
            raise ValueError("inconsistent analysis table")
        meta = header.get("meta") or {}
        if not isinstance(meta, dict):
            raise ValueError("the analysis table's header is not an object")
        return table, meta


class TableRow(NamedTuple):
    """Text `row` of an analysis table."""

    table: AnalysisTable
    row: int
