"""Ranking metrics on hand-computed cases."""

import math

import pytest

from matching.evaluation import evaluate, mrr_at_k, ndcg_at_k, recall_at_k


def test_perfect_ranking_scores_one() -> None:
    grades = {"s1": 2, "s2": 1}
    assert ndcg_at_k(["s1", "s2", "x"], grades, 10) == pytest.approx(1.0)


def test_ndcg_uses_exponential_gain() -> None:
    grades = {"s1": 2, "s2": 1}
    dcg = 1 / math.log2(2) + 3 / math.log2(3)
    idcg = 3 / math.log2(2) + 1 / math.log2(3)
    assert ndcg_at_k(["s2", "s1"], grades, 10) == pytest.approx(dcg / idcg)


def test_recall_and_mrr() -> None:
    grades = {"s1": 2, "s2": 1, "s3": 1}
    assert recall_at_k(["x", "s2", "s1"], grades, 2) == pytest.approx(1 / 3)
    assert mrr_at_k(["x", "s2"], grades, 10) == pytest.approx(0.5)
    assert mrr_at_k(["x", "y"], grades, 10) == 0.0


def test_unranked_query_counts_as_zero() -> None:
    result = evaluate({"n1": ["s1"]}, {"n1": {"s1": 2}, "n2": {"s9": 1}}, k=10)
    assert result["ndcg@10"] == pytest.approx(0.5)
    assert result["queries"] == 2
