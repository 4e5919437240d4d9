"""One side of the matching (all seeds, or all needs) with its lexical and vocabulary indexes."""

from matching.areas import service_area
from matching.channels import support_only
from matching.documents import Document
from matching.lexical import Analysis, BM25Index
from matching.view import CorpusView
from matching.vocabulary import ConceptStats, Tagging, Vocabulary


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

    def __len__(self) -> int:
        return len(self.docs)

    def __contains__(self, doc_id: str) -> bool:
        return doc_id in self.docs

    def add(self, doc: Document, meaning: dict[str, float] | None = None, analysis: Analysis | None = None) -> None:
        """Index a document, replacing an earlier version with the same id; `meaning`: concepts found by
        meaning (see matching.meaning) with their weights; `analysis`: its text's, when already known."""
        self.remove(doc.id)
        tagging = self.vocabulary.tag(doc.text)
        if meaning:
            tagging = tagging.with_meaning(meaning)
        self.docs[doc.id] = doc
        self.taggings[doc.id] = tagging
        if doc.kind == "seed":
            self.areas[doc.id] = service_area(doc.service_area, doc.text, doc.org.prefecture)
        self.bm25.add(doc.id, doc.text, analysis)
        self.concept_stats.add(tagging.ids)
        self._view = None

    def remove(self, doc_id: str) -> None:
        """Forget a document; unknown ids are ignored."""
        if doc_id not in self.docs:
            return
        del self.docs[doc_id]
        self.areas.pop(doc_id, None)
        self.concept_stats.remove(self.taggings.pop(doc_id).ids)
        self.bm25.remove(doc_id)
        self._view = None

    def view(self) -> CorpusView:
        """The documents as arrays for vectorized scoring; built on first use after a change."""
        if self._view is None:
            self._view = CorpusView.build(
                self.docs, self.taggings, self.bm25, self.vocabulary,
                {d: support_only(t, self.vocabulary) for d, t in self.taggings.items()},
                {d: area for d, (area, _) in self.areas.items() if area})
        return self._view
