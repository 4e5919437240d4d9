"""Each indexed text's analysis, kept in the index snapshot so that a start takes it back instead of running
Sudachi over every posting again."""

import hashlib
import json
import logging
import unicodedata
from importlib.metadata import version
from pathlib import Path

from app.matches.vectors import text_hash
from matching import lexical, text
from matching.corpus import Corpus
from matching.lexical import Analysis

log = logging.getLogger(__name__)

FORMAT = 1  # of the kept analyses


def analyzer_id() -> str:
    """Names what made an analysis: Sudachi's engine and dictionary, Unicode's tables (NFKC), and the code that
    analyzes (its rules and word lists). An analysis kept under another id is made again."""
    code = hashlib.sha256(b"".join(Path(m.__file__ or "").read_bytes() for m in (text, lexical))).hexdigest()[:16]
    return (f"format {FORMAT}, sudachipy {version('SudachiPy')}, sudachidict-core {version('sudachidict-core')}, "
            f"unicode {unicodedata.unidata_version}, code {code}")


# Read once, when the service loads its code: a file changed under a running server (an upgrade before its
# restart) must not lend its name to analyses the old code made.
ANALYZER = analyzer_id()

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
    return json.dumps({"analyzer": ANALYZER, "documents": documents}, ensure_ascii=False).encode("utf-8")


def load(content: bytes | None) -> KeptAnalyses:
    """The analyses in a snapshot file; none when it is absent, unreadable, or made by another analyzer."""
    if content is None:
        return {}
    try:
        data = json.loads(content)
        if data.get("analyzer") != ANALYZER:
            return {}
        return {doc_id: (text, Analysis(counts, tuple(words), written, float(japanese)))
                for doc_id, (text, counts, words, written, japanese) in data["documents"].items()}
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        log.warning("the snapshot's text analyses are unreadable, analyzing again: %s", exc)
        return {}
