"""Each indexed text's analysis, kept in the index snapshot so that a start takes it back instead of running
Sudachi over every posting again."""

import json
import logging

from app.matches.vectors import text_hash
from matching.corpus import Corpus
from matching.lexical import Analysis
from matching.text import analyzer_id

log = logging.getLogger(__name__)

# document id -> (hash of the text it was made from, its analysis)
KeptAnalyses = dict[str, tuple[str, Analysis]]


def file_name(kind: str) -> str:
    """The snapshot file that holds one side's analyses."""
    return f"{kind}.analyses.json"


def dump(corpus: Corpus) -> bytes:
    """The corpus's analyses, each with the hash of its text and the analyzer that made it."""
    documents = {}
    for doc_id, doc in corpus.docs.items():
        analysis = corpus.bm25.analysis(doc_id)
        documents[doc_id] = [text_hash(doc.text), analysis.counts, list(analysis.words), analysis.written,
                             analysis.japanese]
    return json.dumps({"analyzer": analyzer_id(), "documents": documents}, ensure_ascii=False).encode("utf-8")


def load(content: bytes | None) -> KeptAnalyses:
    """The analyses in a snapshot file; none when it is absent, unreadable, or made by another analyzer."""
    if content is None:
        return {}
    try:
        data = json.loads(content)
        if data.get("analyzer") != analyzer_id():
            return {}
        return {doc_id: (text, Analysis(counts, tuple(words), written, float(japanese)))
                for doc_id, (text, counts, words, written, japanese) in data["documents"].items()}
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        log.warning("the snapshot's text analyses are unreadable, analyzing again: %s", exc)
        return {}
