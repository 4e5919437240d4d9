"""Ranking quality against relevance judgments: nDCG@k (exponential gain), Recall@k, MRR@k."""

import math
from collections.abc import Mapping, Sequence
from typing import Any

from matching.qrels import QrelsInvalid, grade_of, qrels_problems


def ndcg_at_k(ranked: Sequence[str], grades: Mapping[str, int], k: int) -> float:
    """nDCG with gain 2^grade - 1; 0 when nothing is relevant."""
    dcg = sum((2 ** grades.get(doc, 0) - 1) / math.log2(i + 2) for i, doc in enumerate(ranked[:k]))
    ideal = sorted(grades.values(), reverse=True)[:k]
    idcg = sum((2**g - 1) / math.log2(i + 2) for i, g in enumerate(ideal))
    return dcg / idcg if idcg else 0.0


def recall_at_k(ranked: Sequence[str], grades: Mapping[str, int], k: int) -> float:
    """Share of the relevant documents found in the top k."""
    relevant = {d for d, g in grades.items() if g > 0}
    return len(relevant & set(ranked[:k])) / len(relevant) if relevant else 0.0


def mrr_at_k(ranked: Sequence[str], grades: Mapping[str, int], k: int) -> float:
    """Reciprocal rank of the first relevant document within the top k."""
    for i, doc in enumerate(ranked[:k]):
        if grades.get(doc, 0) > 0:
            return 1.0 / (i + 1)
    return 0.0


def evaluate(rankings: Mapping[str, Sequence[str]], judgments: Mapping[str, Mapping[str, int]],
             k: int = 10) -> dict[str, Any]:
    """Mean metrics over every judged query (a judged query with no ranking counts as zero)."""
    queries = [q for q, grades in judgments.items() if any(g > 0 for g in grades.values())]
    if not queries:
        return {f"ndcg@{k}": 0.0, f"recall@{k}": 0.0, f"mrr@{k}": 0.0, "queries": 0}
    totals = {"ndcg": 0.0, "recall": 0.0, "mrr": 0.0}
    for q in queries:
        ranked, grades = rankings.get(q, ()), judgments[q]
        totals["ndcg"] += ndcg_at_k(ranked, grades, k)
        totals["recall"] += recall_at_k(ranked, grades, k)
        totals["mrr"] += mrr_at_k(ranked, grades, k)
    return {f"{name}@{k}": round(value / len(queries), 4) for name, value in totals.items()} | {
        "queries": len(queries)}


def judgments_from_qrels(qrels: Any) -> dict[str, dict[str, int]]:
    """{need: {seed: grade}} from a kyushu-iot-community/qrels-v1 document; raises QrelsInvalid if it is not one."""
    problems = qrels_problems(qrels)
    if problems:
        raise QrelsInvalid(problems)
    out: dict[str, dict[str, int]] = {}
    for j in qrels["judgments"]:
        grades = out.setdefault(str(j["need"]), {})
        seed, grade = str(j["seed"]), grade_of(j["grade"])
        grades[seed] = max(grade, grades.get(seed, 0))  # a repeated pair counts with its higher grade
    return out
