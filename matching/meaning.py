"""Concepts found by meaning: a text's sentences compared with every concept's example phrasings.

The vocabulary's terms find a concept when a text names it (予知保全, 振動センサー). Members who write the
way they talk (「壊れる前に調子の悪さに気付きたい」) name none; their sentences are still close in meaning
to the phrasings the vocabulary gives for each concept. A concept is found when one sentence of the text
is at least `threshold` (cosine) close to one of its phrasings; its weight grows from `floor` at the
threshold to 1 at `threshold + span`, so a near miss counts less than a plain match.
"""

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

# Sentence ends in Japanese and English, line breaks, bullets; a sentence must say something.
_SENTENCE_END = re.compile(r"[。！？!?\n\r]+|(?<=[A-Za-z0-9)])[.;:]\s+|・|•")
MIN_SENTENCE = 4
MAX_SENTENCES = 12


def sentences(title: str, description: str) -> list[str]:
    """The title and the description's sentences (at most MAX_SENTENCES, duplicates dropped)."""
    parts = [title.strip()]
    parts += [p.strip(" 「」()-") for p in _SENTENCE_END.split(unicodedata.normalize("NFKC", description))]
    kept = [p for p in dict.fromkeys(parts) if len(p) >= MIN_SENTENCE]
    return kept[:MAX_SENTENCES] or [title.strip() or description.strip()]


@dataclass(frozen=True)
class ConceptMeaning:
    """Phrasing vectors by concept, and how close a sentence must come to count.

    A sentence counts for at most `per_sentence` concepts, the closest ones, and only for those that stand
    out among all concepts for that sentence (at least `margin` standard deviations above its mean
    closeness): a general sentence (「機械に任せたい」) is close to many concepts and means none of them.
    """

    concept_ids: tuple[str, ...]
    starts: np.ndarray  # first phrasing row of each concept (phrasings are grouped by concept)
    vectors: np.ndarray  # phrasings x dimension, L2-normalized
    threshold: float
    span: float = 0.1
    floor: float = 0.5
    per_sentence: int = 2
    margin: float = 2.0

    @classmethod
    def build(cls, phrasings: Sequence[tuple[str, str]], vectors: np.ndarray, threshold: float,
              **options: float) -> "ConceptMeaning":
        """From (concept id, text) pairs and their vectors in the same order."""
        order = sorted(range(len(phrasings)), key=lambda i: phrasings[i][0])  # stable: groups by concept
        ids = tuple(dict.fromkeys(phrasings[i][0] for i in order))
        grouped = [phrasings[i][0] for i in order]
        starts = np.asarray([grouped.index(c) for c in ids], dtype=np.int64)
        return cls(ids, starts, np.asarray(vectors, dtype=np.float32)[order], threshold, **options)  # type: ignore[arg-type]

    def closeness(self, sentence_vectors: np.ndarray) -> np.ndarray:
        """Sentences x concepts: the best cosine between each sentence and any of the concept's phrasings."""
        vectors = np.asarray(sentence_vectors, dtype=np.float32)
        if not len(vectors) or not len(self.vectors):
            return np.full((len(vectors), len(self.concept_ids)), -1.0, dtype=np.float32)
        return np.maximum.reduceat(vectors @ self.vectors.T, self.starts, axis=1)

    def find(self, sentence_vectors: np.ndarray) -> dict[str, float]:
        """Concepts the sentences mean, with weights in [floor, 1]."""
        return self.found(self.closeness(sentence_vectors))

    def found(self, closeness: np.ndarray) -> dict[str, float]:
        """Concepts from a `closeness` matrix: per sentence the few that reach the threshold and stand out."""
        found: dict[str, float] = {}
        for row in np.atleast_2d(closeness):
            spread = float(row.std()) or 1.0
            best = np.argsort(-row)[: self.per_sentence]
            for i in best:
                value = float(row[i])
                if value < self.threshold or (value - float(row.mean())) / spread < self.margin:
                    continue
                weight = min(1.0, self.floor + (1 - self.floor) * (value - self.threshold) / self.span)
                cid = self.concept_ids[i]
                found[cid] = max(found.get(cid, 0.0), round(weight, 3))
        return found
