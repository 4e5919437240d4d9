"""The domain vocabulary: concepts of IoT in regional industries, with synonyms across ja/en.

It tags texts with concepts and links a problem to what solves it, so a need written in everyday words
meets a seed written in technical ones.
"""

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from matching.text import normalize

KINDS = ("technology", "application", "problem", "support", "industry")
_WORD = re.compile(r"[a-z0-9]+")


@dataclass(frozen=True)
class Concept:
    """One concept with its surface forms and the concepts it answers or is answered by."""

    id: str
    label_ja: str
    label_en: str
    kind: str
    terms: tuple[str, ...]
    related: tuple[str, ...] = ()
    industries: tuple[str, ...] = ()
    description: str = ""
    # How people who have the problem (or want the thing) say it, in everyday words: matched by meaning.
    examples_ja: tuple[str, ...] = ()
    examples_en: tuple[str, ...] = ()


@dataclass(frozen=True)
class Tagging:
    """Concepts found in a text: by their terms, each with the surface forms that signalled it, and by
    meaning only (close to the concept's example phrasings), each with a weight in (0, 1]."""

    concepts: dict[str, tuple[str, ...]] = field(default_factory=dict)
    meaning: dict[str, float] = field(default_factory=dict)

    @property
    def ids(self) -> frozenset[str]:
        """The concept ids, found either way."""
        return frozenset(self.concepts) | frozenset(self.meaning)

    def weight(self, concept_id: str) -> float:
        """1 for a concept the text names, the meaning weight for one found by meaning, else 0."""
        return 1.0 if concept_id in self.concepts else self.meaning.get(concept_id, 0.0)

    def with_meaning(self, found: dict[str, float]) -> "Tagging":
        """The tagging with concepts found by meaning added (those the text names keep their terms)."""
        return Tagging(self.concepts, {c: w for c, w in found.items() if c not in self.concepts})


class Vocabulary:
    """Concept lookup over normalized text."""

    def __init__(self, concepts: Iterable[Concept]) -> None:
        self.concepts = {c.id: c for c in concepts}
        self._plain: list[tuple[str, str]] = []  # (term, concept id), longest first
        # Latin terms by their first word: a text is only searched for terms whose first word it contains.
        self._words: dict[str, list[tuple[re.Pattern[str], str, str]]] = {}
        for concept in self.concepts.values():
            for term in {normalize(t) for t in concept.terms + (concept.label_ja, concept.label_en) if t}:
                if re.fullmatch(r"[a-z0-9][a-z0-9 .\-+/]*", term):
                    # Latin terms only at word boundaries: 'ai' must not fire inside 'maintain'.
                    pattern = re.compile(rf"(?<![a-z0-9]){re.escape(term)}(?:s|es)?(?![a-z0-9])")
                    first = _WORD.match(term).group()  # type: ignore[union-attr]  # fullmatch above
                    self._words.setdefault(first, []).append((pattern, term, concept.id))
                else:
                    self._plain.append((term, concept.id))
        self._plain.sort(key=lambda pair: -len(pair[0]))
        # positions in _plain by their first two characters (the one of a one-character term): a text is only
        # searched for the terms whose start it contains
        self._by_start: dict[str, list[int]] = {}
        for position, (term, _) in enumerate(self._plain):
            self._by_start.setdefault(term[:2], []).append(position)
        self._related = {c.id: set(c.related) for c in self.concepts.values()}
        for concept in self.concepts.values():  # links work both ways
            for other in concept.related:
                if other in self._related:
                    self._related[other].add(concept.id)

    def __len__(self) -> int:
        return len(self.concepts)

    def tag(self, text: str) -> Tagging:
        """The concepts a text mentions."""
        norm = normalize(text)
        found: dict[str, list[str]] = {}
        covered: list[tuple[int, int]] = []
        starts = {norm[i:i + 2] for i in range(len(norm))} | set(norm)
        positions = sorted({p for start in starts for p in self._by_start.get(start, ())})
        for term, concept_id in (self._plain[p] for p in positions):  # still longest first
            start = norm.find(term)
            while start >= 0:
                end = start + len(term)
                # A shorter term inside a longer one already matched does not count again.
                if not any(s <= start and end <= e for s, e in covered):
                    covered.append((start, end))
                    found.setdefault(concept_id, []).append(term)
                    break
                start = norm.find(term, start + 1)
        words: set[str] = set()
        for word in _WORD.findall(norm):  # 'sensors' may be the plural of the term 'sensor'
            words.update((word, word[:-1] if word.endswith("s") else word, word[:-2] if word.endswith("es") else word))
        for word in sorted(words):
            for pattern, term, concept_id in self._words.get(word, ()):
                if pattern.search(norm):
                    found.setdefault(concept_id, []).append(term)
        return Tagging({cid: tuple(dict.fromkeys(terms)) for cid, terms in found.items()})

    def related(self, concept_id: str) -> set[str]:
        """Concepts linked to this one, in either direction."""
        return self._related.get(concept_id, set())

    def answers(self, problem_id: str, concept_id: str) -> bool:
        """Whether the concept answers the problem: the problem itself names it among its links. A link made
        only from the other side says the two meet (security matters where IT staff are short), not that one
        solves the other."""
        concept = self.concepts.get(problem_id)
        return concept is not None and concept_id in concept.related

    def phrasings(self) -> list[tuple[str, str]]:
        """(concept id, text) for every description and example phrasing: what concepts are matched by meaning."""
        return [(c.id, text) for c in self.concepts.values()
                for text in (c.description, *c.examples_ja, *c.examples_en) if text]

    def kind(self, concept_id: str) -> str:
        """The concept's kind."""
        return self.concepts[concept_id].kind

    def label(self, concept_id: str, lang: str = "ja") -> str:
        """The concept's label in Japanese or English."""
        concept = self.concepts[concept_id]
        return concept.label_ja if lang == "ja" else concept.label_en


def load_vocabulary(path: Path) -> Vocabulary:
    """Read and check the vocabulary YAML; ValueError says which concept is wrong."""
    # libyaml's parser where PyYAML was built with it: the pure-Python one took a tenth of a server's start.
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    data: dict[str, Any] = yaml.load(path.read_text(encoding="utf-8"), Loader=loader) or {}
    concepts = []
    for i, raw in enumerate(data.get("concepts") or []):
        try:
            concepts.append(Concept(
                id=str(raw["id"]), label_ja=str(raw.get("label_ja") or raw["id"]),
                label_en=str(raw.get("label_en") or raw["id"]), kind=str(raw.get("kind", "application")),
                terms=tuple(str(t) for t in raw.get("terms") or ()), related=tuple(raw.get("related") or ()),
                industries=tuple(raw.get("industries") or ()), description=str(raw.get("description") or ""),
                examples_ja=tuple(str(t) for t in (raw.get("examples") or {}).get("ja") or ()),
                examples_en=tuple(str(t) for t in (raw.get("examples") or {}).get("en") or ()),
            ))
        except (KeyError, TypeError) as exc:
            raise ValueError(f"{path.name}: concept #{i} is malformed: {exc}") from exc
    ids = [c.id for c in concepts]
    if len(ids) != len(set(ids)):
        raise ValueError(f"{path.name}: concept ids must be unique")
    return Vocabulary(concepts)


class ConceptStats:
    """Document frequencies of concepts in a corpus, for weighting rare concepts above common ones."""

    def __init__(self) -> None:
        self._df: dict[str, int] = {}
        self._docs = 0

    def add(self, concepts: Iterable[str]) -> None:
        """Count one document's concepts."""
        self._docs += 1
        for cid in set(concepts):
            self._df[cid] = self._df.get(cid, 0) + 1

    def remove(self, concepts: Iterable[str]) -> None:
        """Uncount one document's concepts."""
        self._docs = max(0, self._docs - 1)
        for cid in set(concepts):
            self._df[cid] = max(0, self._df.get(cid, 0) - 1)

    def idf(self, concept_id: str) -> float:
        """Smoothed inverse document frequency."""
        return math.log(1 + (self._docs + 1) / (self._df.get(concept_id, 0) + 1))
