"""BM25 over Sudachi tokens, and the tokenizer it reads."""

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
