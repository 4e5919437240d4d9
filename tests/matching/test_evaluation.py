"""Ranking metrics on hand-computed cases, and reading qrels with every problem located."""

import math
from pathlib import Path
from typing import Any

import pytest

from matching.evaluation import evaluate, judgments_from_qrels, mrr_at_k, ndcg_at_k, recall_at_k
from matching.qrels import QRELS_FORMAT, QrelsInvalid, qrels_problems, qrels_warnings, read_qrels, unknown_judgments


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


QRELS = {"format": QRELS_FORMAT, "judgments": [{"need": "n1", "seed": "s1", "grade": 2},
                                               {"need": "n1", "seed": "s2", "grade": 0},
                                               {"need": "n2", "seed": "s1", "grade": 1}]}


def test_judgments_from_qrels_groups_grades_by_need() -> None:
    assert judgments_from_qrels(QRELS) == {"n1": {"s1": 2, "s2": 0}, "n2": {"s1": 1}}


@pytest.mark.parametrize(("qrels", "expected"), [
    ({"foo": 1}, ["judgments: missing"]),
    ([], ["must be a JSON object"]),
    ({"format": QRELS_FORMAT, "judgments": {}}, ["judgments: must be a list, not an object"]),
    ({"format": QRELS_FORMAT, "judgments": []}, ["judgments: the list is empty"]),
    ({"format": QRELS_FORMAT, "judgments": [{"need": "n1", "seed": "s1", "grade": True},
                                            {"need": "n1", "seed": "s1", "grade": 1.5},
                                            {"seed": "s1", "grade": 1}]},
     ["judgment 0 / grade: must be an integer ≥ 0, found true", "judgment 1 / grade: must be an integer ≥ 0",
      "judgment 2 / need: missing"]),
], ids=["not-qrels", "list", "judgments-object", "empty", "bad-items"])
def test_qrels_problems_are_all_listed_with_their_location(qrels: Any, expected: list[str]) -> None:
    problems = qrels_problems(qrels)
    for text in expected:
        assert any(text in p for p in problems), problems
    assert len(problems) == len(expected)
    with pytest.raises(QrelsInvalid) as caught:
        judgments_from_qrels(qrels)
    assert caught.value.problems == problems


def test_odd_but_readable_qrels_are_read_with_warnings() -> None:
    qrels = {"judgments": [*QRELS["judgments"], {"need": "n2", "seed": "s1", "grade": 0},
                           {"need": 3, "seed": "s2", "grade": "2"}, {"need": "n1", "seed": "s3", "grade": 1.0}]}
    assert qrels_problems(qrels) == []
    warnings = qrels_warnings(qrels)
    assert any(w.startswith("format: expected") for w in warnings)
    assert "judgment 3 repeats judgment 2 (need n2, seed s1); the higher grade counts" in warnings
    assert judgments_from_qrels(qrels) == {"n1": {"s1": 2, "s2": 0, "s3": 1}, "n2": {"s1": 1}, "3": {"s2": 2}}


def test_read_qrels_reports_an_unreadable_file(tmp_path: Path) -> None:
    path = tmp_path / "qrels.json"
    path.write_text("{oops", encoding="utf-8")
    for target, text in ((path, "qrels.json is not JSON"), (tmp_path / "nope.json", "does not exist"),
                         (tmp_path, "is a folder")):
        with pytest.raises(QrelsInvalid) as caught:
            read_qrels(target)
        assert text in caught.value.problems[0]


def test_unknown_judgments_name_the_missing_side() -> None:
    unknown = unknown_judgments(QRELS, needs={"n1"}, seeds={"s2"})
    assert [str(u) for u in unknown] == [
        "judgment 0 (need n1, seed s1): seed not in the roster",
        "judgment 2 (need n2, seed s1): need and seed not in the roster"]
