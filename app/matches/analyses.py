"""What the corpus derived from each indexed text (its Sudachi analysis, the concepts its terms name, the
service area read from it), kept in the index snapshot so that a start takes it back instead of running Sudachi,
the tagger and the area rules over every posting again."""

import hashlib
import json
import logging
import unicodedata
from importlib.metadata import version
from pathlib import Path
from typing import Any

from app.matches.vectors import text_hash
from matching import analysis, areas, text, vocabulary
from matching.analysis import AnalysisTable
from matching.corpus import Corpus, Known
from matching.vocabulary import Vocabulary

log = logging.getLogger(__name__)

FORMAT = 3  # of the kept analyses (3: a table of arrays)


def _code(*modules: object) -> str:
    return hashlib.sha256(b"".join(Path(getattr(m, "__file__", "") or "").read_bytes() for m in modules)
                          ).hexdigest()[:16]


def analyzer_id() -> str:
    """Names what made an analysis: Sudachi's engine and dictionary, Unicode's tables (NFKC), and the code that
    analyzes (its rules and word lists). An analysis kept under another id is made again."""
    return (f"format {FORMAT}, sudachipy {version('SudachiPy')}, sudachidict-core {version('sudachidict-core')}, "
            f"unicode {unicodedata.unidata_version}, code {_code(text, analysis)}")


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
    return f"{kind}.analyses.npz"


def dump(corpus: Corpus) -> bytes:
    """What the corpus derived from each text, with the hash of the text, and the analyzer and tagger that
    derived it: the analyses as a table of arrays (see matching.analysis), the rest in its JSON header."""
    ids = list(corpus.docs)
    hashes, named, read = [], [], []
    for doc_id in ids:
        doc = corpus.docs[doc_id]
        area, stated = corpus.areas.get(doc_id, ((), False))
        hashes.append(text_hash(doc.text))
        named.append({c: list(t) for c, t in corpus.taggings[doc_id].concepts.items()})
        read.append([doc.org.prefecture, list(area)] if doc.kind == "seed" and not stated else None)
    return corpus.bm25.table(ids).to_bytes({"analyzer": ANALYZER, "tagger": tagger_id(corpus.vocabulary),
                                            "ids": ids, "hashes": hashes, "named": named, "read": read})


def _column(meta: dict[str, object], name: str, length: int) -> list[Any]:
    """One list of the header, a value per analysis."""
    values = meta[name]
    if not isinstance(values, list) or len(values) != length:
        raise ValueError(f"the analyses' {name} do not match their table")
    return values


def load(content: bytes | None, vocabulary: Vocabulary) -> KeptAnalyses:
    """What a snapshot file holds; none when it is absent, unreadable, or made by another analyzer (the
    concepts and areas only when made by the same tagger, with this vocabulary's terms). The analyses stay
    rows of one table, which the lexical index takes in bulk."""
    if content is None:
        return {}
    try:
        table, meta = AnalysisTable.from_bytes(content)
        if meta.get("analyzer") != ANALYZER:
            return {}
        tagged = meta.get("tagger") == tagger_id(vocabulary)
        ids, hashes, named, read = (_column(meta, name, len(table)) for name in ("ids", "hashes", "named", "read"))
        # Documents name concepts with the same few terms: one tuple for each list, not one per document.
        shared: dict[tuple[str, ...], tuple[str, ...]] = {}

        def terms(values: list[str]) -> tuple[str, ...]:
            key = tuple(values)
            return shared.setdefault(key, key)

        return {doc_id: (text, Known(table.row(i),
                                     {c: terms(t) for c, t in concepts.items()} if tagged else None,
                                     (area[0], terms(area[1])) if tagged and area is not None else None))
                for i, (doc_id, text, concepts, area) in enumerate(zip(ids, hashes, named, read, strict=True))}
    except Exception as exc:  # only a cache: whatever is wrong with it, the texts are analyzed again
        log.warning("the snapshot's text analyses are unreadable, analyzing again: %s", exc)
        return {}
