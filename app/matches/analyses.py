"""What the corpus derived from each indexed text (its Sudachi analysis, the concepts its terms name, the
service area read from it), kept in the index snapshot so that a start takes it back instead of running Sudachi,
the tagger and the area rules over every posting again."""

import hashlib
import json
import logging
import unicodedata
from importlib.metadata import version
from pathlib import Path

from app.matches.vectors import text_hash
from matching import areas, lexical, text, vocabulary
from matching.corpus import Corpus, Known
from matching.lexical import Analysis
from matching.vocabulary import Vocabulary

log = logging.getLogger(__name__)

FORMAT = 2  # of the kept analyses


def _code(*modules: object) -> str:
    return hashlib.sha256(b"".join(Path(getattr(m, "__file__", "") or "").read_bytes() for m in modules)
                          ).hexdigest()[:16]


def analyzer_id() -> str:
    """Names what made an analysis: Sudachi's engine and dictionary, Unicode's tables (NFKC), and the code that
    analyzes (its rules and word lists). An analysis kept under another id is made again."""
    return (f"format {FORMAT}, sudachipy {version('SudachiPy')}, sudachidict-core {version('sudachidict-core')}, "
            f"unicode {unicodedata.unidata_version}, code {_code(text, lexical)}")


# Read once, when the service loads its code: a file changed under a running server (an upgrade before its
# restart) must not lend its name to analyses the old code made.
ANALYZER = analyzer_id()
TAGGER_CODE = f"unicode {unicodedata.unidata_version}, code {_code(text, vocabulary, areas)}"


def tagger_id(vocabulary: Vocabulary) -> str:
    """Names what found a text's concepts and read its service area: the code, and every concept's terms. Concepts
    kept under another id (a vocabulary edited since) are found again."""
    terms = json.dumps([[c.id, c.label_ja, c.label_en, list(c.terms)] for c in vocabulary.concepts.values()],
                       ensure_ascii=False)
    return f"{TAGGER_CODE}, terms {hashlib.sha256(terms.encode('utf-8')).hexdigest()[:16]}"


# document id -> (hash of the text it was derived from, what was derived)
KeptAnalyses = dict[str, tuple[str, Known]]


def file_name(kind: str) -> str:
    """The snapshot file that holds one side's analyses."""
    return f"{kind}.analyses.json"


def dump(corpus: Corpus) -> bytes:
    """What the corpus derived from each text, with the hash of the text, and the analyzer and tagger that
    derived it."""
    documents = {}
    for doc_id, doc in corpus.docs.items():
        analysis = corpus.bm25.analysis(doc_id)
        area, stated = corpus.areas.get(doc_id, ((), False))
        read = [doc.org.prefecture, list(area)] if doc.kind == "seed" and not stated else None
        documents[doc_id] = [text_hash(doc.text), analysis.counts, list(analysis.words), analysis.written,
                             analysis.japanese, {c: list(t) for c, t in corpus.taggings[doc_id].concepts.items()},
                             read]
    return json.dumps({"analyzer": ANALYZER, "tagger": tagger_id(corpus.vocabulary), "documents": documents},
                      ensure_ascii=False).encode("utf-8")


def load(content: bytes | None, vocabulary: Vocabulary) -> KeptAnalyses:
    """What a snapshot file holds; none when it is absent, unreadable, or made by another analyzer (the
    concepts and areas only when made by the same tagger, with this vocabulary's terms)."""
    if content is None:
        return {}
    try:
        data = json.loads(content)
        if data.get("analyzer") != ANALYZER:
            return {}
        tagged = data.get("tagger") == tagger_id(vocabulary)
        return {doc_id: (text, Known(Analysis(counts, tuple(words), written, float(japanese)),
                                     {c: tuple(t) for c, t in named.items()} if tagged else None,
                                     (read[0], tuple(read[1])) if tagged and read is not None else None))
                for doc_id, (text, counts, words, written, japanese, named, read) in data["documents"].items()}
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        log.warning("the snapshot's text analyses are unreadable, analyzing again: %s", exc)
        return {}
