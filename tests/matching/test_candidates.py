"""Ranking only candidates (an approximate dense index's nearest rows, and the best by words and by concepts)
agrees with scoring every row, and scores far fewer rows."""

import numpy as np

from bench.synthetic import synthetic_roster
from matching.corpus import Corpus
from matching.documents import Document, OrgInfo
from matching.ranker import Dense, Query, Weights, rank
from matching.vocabulary import load_vocabulary
from seed import VOCABULARY


def _corpus(n_seeds: int) -> tuple[Corpus, Document]:
    """Synthetic seeds of the shipped vocabulary, and one need of the same roster."""
    roster = synthetic_roster(n_seeds, n_needs=2, seed=11)
    corpus = Corpus(load_vocabulary(VOCABULARY))
    need = None
    for org in roster["organizations"]:
        info = OrgInfo(org["id"], org["name"], tuple(org["roles"]), org["prefecture"], org["industry"])
        for seed in org["seeds"]:
            corpus.add(Document(seed["id"], "seed", seed["title"], seed["description"], info, (),
                                tuple(seed["industries_served"])))
        for posted in org["needs"]:
            need = Document(posted["id"], "need", posted["title"], posted["description"], info)
    assert need is not None
    return corpus, need


class Vectors:
    """Random unit vectors for the corpus's rows, and a query vector near some of them; records which rows the
    ranking asked for."""

    def __init__(self, corpus: Corpus, seed: int = 3) -> None:
        rng = np.random.default_rng(seed)
        view = corpus.view()
        self.matrix = rng.normal(size=(len(view), 64))
        self.matrix /= np.linalg.norm(self.matrix, axis=1, keepdims=True)
        query = self.matrix[: 5].sum(axis=0) + rng.normal(size=64) * 0.5
        self.query = query / np.linalg.norm(query)
        self.cosines = self.matrix @ self.query
        self.asked: set[int] = set()

    def exact(self) -> Dense:
        return Dense(self.cosines, float(self.cosines.mean()), float(self.cosines.std()))

    def nearest(self, k: int) -> Dense:
        rows = np.argsort(-self.cosines)[:k]

        def cosines_of(wanted: np.ndarray) -> np.ndarray:
            self.asked.update(int(r) for r in wanted)
            return self.cosines[wanted]

        return Dense(self.cosines[rows], float(self.cosines.mean()), float(self.cosines.std()), rows, cosines_of)


def test_candidates_rank_like_every_row_and_score_only_a_few() -> None:
    corpus, need = _corpus(1500)
    vectors = Vectors(corpus)
    weights = Weights(feedback_docs=0)
    exact = rank(Query.of(need), corpus, vectors.exact(), weights, limit=10)
    approximate = rank(Query.of(need), corpus, vectors.nearest(50), weights, limit=10, channel_depth=50)
    assert [m.doc.id for m in approximate] == [m.doc.id for m in exact]
    assert [m.channels for m in approximate] == [m.channels for m in exact]  # z-scores over the whole corpus
    assert [m.score for m in approximate] == [m.score for m in exact]
    assert 50 <= len(vectors.asked) <= 150 < len(corpus)


def test_filters_that_leave_too_few_candidates_score_every_row() -> None:
    corpus, need = _corpus(600)
    vectors = Vectors(corpus)
    rare = sorted(corpus.docs)[-3:]  # not among the nearest rows, nor likely the best by words

    def keep(doc: Document) -> bool:
        return doc.id in rare

    weights = Weights(feedback_docs=0)
    found = rank(Query.of(need), corpus, vectors.nearest(10), weights, limit=3, keep=keep, channel_depth=10)
    exact = rank(Query.of(need), corpus, vectors.exact(), weights, limit=3, keep=keep)
    assert [m.doc.id for m in found] == [m.doc.id for m in exact]
    assert found
    assert {m.doc.id for m in found} <= set(rare)
    assert len(vectors.asked) == len(corpus)  # the candidates ran out: every row was scored


def test_candidates_of_too_few_members_do_not_fill_the_per_member_cap() -> None:
    """Over the cap, the exact ranking takes another member's document first; so do candidates, even when only
    scoring every row finds that member."""
    near, far = (OrgInfo(i, f"{i}社", ("vendor_hw",), "福岡県", "G") for i in ("A", "B"))
    corpus = Corpus(load_vocabulary(VOCABULARY))
    for i, text in enumerate(["観光案内アプリ", "飲食店の予約", "物流の配車", "農園の販売", "学習教材", "保険の見積"]):
        corpus.add(Document(f"A{i}", "seed", text, text, near))
    corpus.add(Document("B0", "seed", "音楽配信", "音楽配信", far))
    view = corpus.view()
    cosines = np.array([0.9 - 0.05 * r if doc.org is near else 0.3 for r, doc in enumerate(view.docs)])
    nearest = np.argsort(-cosines)[:4]
    query = Query(text="夜間に設備が突然止まる")
    weights = Weights(feedback_docs=0, max_per_organization=2)
    exact = rank(query, corpus, Dense(cosines, float(cosines.mean()), float(cosines.std())), weights, limit=3)
    found = rank(query, corpus, Dense(cosines[nearest], float(cosines.mean()), float(cosines.std()), nearest,
                                      lambda rows: cosines[rows]), weights, limit=3, channel_depth=1)
    assert [m.doc.id for m in exact] == ["A0", "A1", "B0"]
    assert [m.doc.id for m in found] == [m.doc.id for m in exact]
