"""One side of the matching (all seeds, or all needs) with its lexical and vocabulary indexes."""

from collections.abc import Iterable
from dataclasses import dataclass

from matching.analysis import Analysis, TableRow
from matching.areas import service_area
from matching.channels import support_only
from matching.documents import Document
from matching.lexical import BM25Index
from matching.view import CorpusView
from matching.vocabulary import ConceptStats, Tagging, Vocabulary

# Up to this many documents changed (or a tenth of the corpus), the next view is made from the last one.
INCREMENTAL_CHANGES = 1000


@dataclass(frozen=True)
class Known:
    """What an earlier run derived from a document's very text, taken back instead of derived again: its
    analysis, the concepts its terms name, and the service area read from it for its member's prefecture."""

    analysis: Analysis | TableRow  # a snapshot's are rows of its table, taken in bulk
    named: dict[str, tuple[str, ...]] | None = None  # None: tag the text again
    area: tuple[str, tuple[str, ...]] | None = None  # (home prefecture, area read from the text)


class Corpus:
    """Documents kept current one change at a time: add, replace, remove."""

    def __init__(self, vocabulary: Vocabulary) -> None:
        self.vocabulary = vocabulary
        self.docs: dict[str, Document] = {}
        self.taggings: dict[str, Tagging] = {}
        # Seeds: where the offer is available (stated, else read from its text) and whether it was stated.
        self.areas: dict[str, tuple[tuple[str, ...], bool]] = {}
        self.bm25 = BM25Index()
        self.concept_stats = ConceptStats()
        self._view: CorpusView | None = None
        self._fresh: set[str] = set()  # added or replaced since the view was made
        self._touched: set[str] = set()  # added, replaced or removed since then

    def __len__(self) -> int:
        return len(self.docs)

    def __contains__(self, doc_id: str) -> bool:
        return doc_id in self.docs

    def add(self, doc: Document, meaning: dict[str, float] | None = None, known: Known | None = None) -> None:
        """Index a document, replacing an earlier version with the same id; `meaning`: concepts found by
        meaning (see matching.meaning) with their weights; `known`: what was derived from its text before."""
        self.remove(doc.id)
        tagging = (Tagging(dict(known.named)) if known is not None and known.named is not None
                   else self.vocabulary.tag(doc.text))
        if meaning:
            tagging = tagging.with_meaning(meaning)
        self.docs[doc.id] = doc
        self.taggings[doc.id] = tagging
        if doc.kind == "seed":
            read = known.area if known is not None else None
            self.areas[doc.id] = ((read[1], False) if read is not None and not doc.service_area
                                  and read[0] == doc.org.prefecture
                                  else service_area(doc.service_area, doc.text, doc.org.prefecture))
        self.bm25.add(doc.id, doc.text, known.analysis if known is not None else None)
        self.concept_stats.add(tagging.ids)
        self._fresh.add(doc.id)
        self._touched.add(doc.id)

    def remove(self, doc_id: str) -> None:
        """Forget a document; unknown ids are ignored."""
        if doc_id not in self.docs:
            return
        del self.docs[doc_id]
        self.areas.pop(doc_id, None)
        self.concept_stats.remove(self.taggings.pop(doc_id).ids)
        self.bm25.remove(doc_id)
        self._fresh.discard(doc_id)
        self._touched.add(doc_id)

    def view(self) -> CorpusView:
        """The documents as arrays for vectorized scoring; after a few changes, made from the last view by
        reading only the changed documents (see CorpusView.updated), after many built anew."""
        if self._view is not None and not self._touched:
            return self._view
        if self._view is None or len(self._touched) > max(INCREMENTAL_CHANGES, len(self.docs) // 10):
            chosen = self.docs.keys()
            self._view = CorpusView.build(self.docs, self.taggings, self.bm25, self.vocabulary,
                                          self._support_only(chosen), self._areas(chosen))
        else:
            fresh = self._fresh
            self._view = self._view.updated(self.docs, self.taggings, self.bm25, self.vocabulary,
                                            self._support_only(fresh), self._areas(fresh), fresh)
        self._fresh, self._touched = set(), set()
        return self._view

    def _support_only(self, ids: Iterable[str]) -> dict[str, bool]:
        return {d: support_only(self.taggings[d], self.vocabulary) for d in ids}

    def _areas(self, ids: Iterable[str]) -> dict[str, tuple[str, ...]]:
        """The limited seeds' prefectures."""
        return {d: self.areas[d][0] for d in ids if d in self.areas and self.areas[d][0]}
