"""BM25 over Sudachi tokens, and the tokenizer it reads."""

import math
import random
from collections import Counter

import pytest

from matching.analysis import Analysis, AnalysisTable
from matching.lexical import BM25Index
from matching.text import normalize, tokenize


def test_tokenize_keeps_content_words_in_normalized_form() -> None:
    tokens = tokenize("プレス機の突発故障を減らしたい。センサを付けてAIで予兆を知りたい")
    assert {"プレス", "故障", "予兆", "ai"} <= set(tokens)
    assert "センサー" in tokens  # Sudachi normalizes センサ to センサー
    assert "の" not in tokens
    assert "を" not in tokens


def test_english_words_are_lowercased_and_stemmed() -> None:
    assert tokenize("Satellites monitor crops") == tokenize("satellite monitors crop")


def test_normalize_folds_width_and_case() -> None:
    assert normalize("ＩｏＴ　ＬＰＷＡ") == "iot lpwa"


def test_bm25_ranks_the_document_sharing_rare_terms_first() -> None:
    index = BM25Index()
    index.add("a", "振動センサーで予知保全")
    index.add("b", "温度センサーで温室を監視")
    index.add("c", "観光客向けの多言語案内")
    scores = index.score("振動から故障の予兆を知りたい")
    assert max(scores, key=lambda k: scores[k]) == "a"
    assert "c" not in scores


def test_bm25_updates_incrementally() -> None:
    index = BM25Index()
    index.add("a", "ドローン測量")
    index.add("b", "ドローン点検")
    index.remove("a")
    assert set(index.score("ドローン")) == {"b"}
    index.add("b", "養殖いけすの水温監視")
    assert index.score("ドローン") == {}
    assert len(index) == 1


def _reference_scores(texts: dict[str, str], query: str, k1: float = 1.2, b: float = 0.75) -> dict[str, float]:
    """BM25 computed from scratch over the documents as they are."""
    counts = {doc_id: Counter(tokenize(text)) for doc_id, text in texts.items()}
    average = max(sum(sum(c.values()) for c in counts.values()) / len(counts), 1.0)
    scores: dict[str, float] = {}
    for term in set(tokenize(query)):
        df = sum(term in c for c in counts.values())
        if not df:
            continue
        idf = math.log(1 + (len(counts) - df + 0.5) / (df + 0.5))
        for doc_id, c in counts.items():
            if term in c:
                norm = k1 * (1 - b + b * sum(c.values()) / average)
                scores[doc_id] = scores.get(doc_id, 0.0) + idf * c[term] * (k1 + 1) / (c[term] + norm)
    return scores


WORDS = ["ドローン", "測量", "センサー", "水温", "養殖", "IoT", "AI", "予知保全", "振動", "温室", "観光",
         "多言語", "LoRaWAN", "カメラ", "画像解析", "在庫", "物流", "介護", "見守り", "農業"]


def test_bm25_scores_like_a_fresh_count_through_many_edits_and_bulk_loads() -> None:
    """Adds, replacements and removals, some taken from analysis tables in bulk, cross the points where the
    postings are made anew; every score stays what BM25 over the current documents gives."""
    rng = random.Random(7)
    index = BM25Index()
    texts: dict[str, str] = {}
    freed: set[int] = set()  # slots of documents removed or replaced
    for step in range(400):
        doc_id = f"d{rng.randrange(120)}"
        if rng.random() < 0.25 and texts:
            gone = rng.choice(sorted(texts))
            freed.add(index.slot(gone))
            index.remove(gone)
            del texts[gone]
        elif rng.random() < 0.3:
            batch = {f"d{rng.randrange(120)}": "、".join(rng.sample(WORDS, rng.randrange(1, 6)))
                     for _ in range(rng.randrange(1, 30))}
            table = AnalysisTable.of([Analysis.of(t) for t in batch.values()])
            for i, (key, text) in enumerate(batch.items()):
                if key in texts:
                    freed.add(index.slot(key))
                index.add(key, text, table.row(i))
            texts.update(batch)
        else:
            if doc_id in texts:
                freed.add(index.slot(doc_id))
            texts[doc_id] = "、".join(rng.sample(WORDS, rng.randrange(1, 6)))
            index.add(doc_id, texts[doc_id])
        if step % 20 == 0 and texts:
            query = " ".join(rng.sample(WORDS, 3))
            expected = _reference_scores(texts, query)
            found = index.score(query)
            assert found.keys() == expected.keys()
            for key, value in expected.items():
                assert found[key] == pytest.approx(value, rel=1e-5)
            assert not index.score_array(tokenize(query))[sorted(freed)].any()
            assert len(index) == len(texts)
            for key, text in texts.items():
                assert index.analysis(key) == Analysis.of(text)


def test_an_analysis_table_survives_its_bytes_and_rejects_others() -> None:
    analyses = [Analysis.of("Sensors と センサ で水温を測る"), Analysis.of(""), Analysis.of("AI camera")]
    table = AnalysisTable.of(analyses)
    again, meta = AnalysisTable.from_bytes(table.to_bytes({"made": "here"}))
    assert [again.analysis(i) for i in range(len(again))] == analyses
    assert meta == {"made": "here"}
    with pytest.raises((ValueError, KeyError, OSError)):
        AnalysisTable.from_bytes(b"not a table")
    broken = AnalysisTable(table.terms, table.spellings, table.starts, table.term, table.count * 0, table.word,
                           table.spelling, table.japanese)
    with pytest.raises(ValueError, match="inconsistent"):  # a count of zero would unbalance the statistics
        AnalysisTable.from_bytes(broken.to_bytes())
