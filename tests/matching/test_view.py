"""A view made from the last one after a few changes equals a view built anew, and ranks alike."""

import random
from dataclasses import replace
from typing import Any

import numpy as np
import pytest

from bench.synthetic import synthetic_roster
from matching import corpus as corpus_module
from matching.corpus import Corpus
from matching.documents import Document, OrgInfo
from matching.ranker import Query, Weights, rank
from matching.view import CorpusView
from matching.vocabulary import load_vocabulary
from seed import VOCABULARY

VOCABULARY_LOADED = load_vocabulary(VOCABULARY)


def _documents(n_seeds: int) -> tuple[list[Document], list[Document]]:
    roster = synthetic_roster(n_seeds, n_needs=4, seed=5)
    seeds, needs = [], []
    for org in roster["organizations"]:
        info = OrgInfo(org["id"], org["name"], tuple(org["roles"]), org["prefecture"], org["industry"])
        seeds += [Document(s["id"], "seed", s["title"], s["description"], info, (), tuple(s["industries_served"]))
                  for s in org["seeds"]]
        needs += [Document(n["id"], "need", n["title"], n["description"], info) for n in org["needs"]]
    return seeds, needs


def _rows(view: CorpusView) -> dict[str, tuple[Any, ...]]:
    """Each row's values, codes read back as what they stand for."""
    def decode(index: dict[Any, int], code: int) -> Any:
        return next(value for value, number in index.items() if number == code)

    def bits(index: dict[str, int], mask: int) -> frozenset[str]:
        return frozenset(value for value, bit in index.items() if int(mask) >> bit & 1)

    roles = {k: r for k, r in enumerate(view.role_sets)}
    return {doc_id: (view.docs[r].id, decode(view.org_index, view.org_codes[r]), bool(view.support_only[r]),
                     float(view.japanese[r]), roles[int(view.role_keys[r])],
                     decode(view.prefecture_index, view.prefectures[r]), bool(view.kyushu[r]),
                     decode(view.industry_index, view.industries[r]), bits(view.served_bits, view.served[r]),
                     bool(view.has_served[r]), bool(view.offers_site[r]), bool(view.seeks_site[r]),
                     bool(view.provider_only[r]), bool(view.adopter[r]), bits(view.area_bits, view.area[r]),
                     bool(view.has_area[r]))
            for r, doc_id in enumerate(view.ids)}


def _concepts(view: CorpusView) -> set[tuple[str, str, float]]:
    return {(concept, view.ids[r], float(w)) for concept, (rows, weights) in view.concept_rows.items()
            for r, w in zip(rows, weights, strict=True)}


def test_a_view_updated_after_edits_additions_and_removals_equals_one_built_anew() -> None:
    seeds, needs = _documents(400)
    rng = random.Random(3)
    updated = Corpus(VOCABULARY_LOADED)
    for doc in seeds[:350]:
        updated.add(doc)
    updated.view()  # the view the next one is made from
    # Edits of text, member and service area, removals, additions; one document removed and added back.
    moved = OrgInfo("X-ORG", "移転会員", ("user", "vendor_sys"), "沖縄県", "P")
    for doc in rng.sample(seeds[:350], 6):
        updated.add(replace(doc, description=doc.description + "熊本県内限定で対応します。", org=moved))
    for doc in rng.sample(seeds[:350], 5):
        updated.remove(doc.id)
    for doc in seeds[350:]:
        updated.add(doc)
    back = seeds[0]
    updated.remove(back.id)
    updated.add(back)
    view = updated.view()
    assert view.made_from_last

    anew = Corpus(VOCABULARY_LOADED)
    for doc in rng.sample(list(updated.docs.values()), len(updated.docs)):
        anew.add(doc)
    built = anew.view()
    assert not built.made_from_last
    assert view.ids == built.ids
    assert _rows(view) == _rows(built)
    assert _concepts(view) == _concepts(built)
    vectors = np.random.default_rng(1).normal(size=(len(view.ids), 16))
    cosines = {doc_id: float(v[0] / np.linalg.norm(v)) for doc_id, v in zip(view.ids, vectors, strict=True)}
    for need in needs:
        found = [(m.doc.id, m.score) for m in rank(Query.of(need), updated, cosines, Weights(), limit=10)]
        assert found == [(m.doc.id, m.score) for m in rank(Query.of(need), anew, cosines, Weights(), limit=10)]


def test_many_changes_build_the_view_anew(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(corpus_module, "INCREMENTAL_CHANGES", 50)
    seeds, _ = _documents(300)
    corpus = Corpus(VOCABULARY_LOADED)
    for doc in seeds[:100]:
        corpus.add(doc)
    corpus.view()
    for doc in seeds[100:]:
        corpus.add(doc)
    assert not corpus.view().made_from_last
