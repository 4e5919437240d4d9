"""Fusion, exclusion of the asking member, diversification and reasons, without any server."""

import pytest

from matching.channels import concept_overlap, structure_score
from matching.corpus import Corpus
from matching.documents import Document, OrgInfo
from matching.ranker import Query, Weights, rank
from matching.reasons import build_reasons, reason_sentence, reason_sentence_en
from matching.vocabulary import Concept, Vocabulary

VOCAB = Vocabulary(
    [
        Concept(
            "predictive-maintenance",
            "予知保全",
            "predictive maintenance",
            "application",
            ("予知保全", "故障予測", "止まる前に"),
            ("vibration-sensing",),
        ),
        Concept("vibration-sensing", "振動センシング", "vibration sensing", "technology", ("振動センサー",)),
        Concept(
            "sudden-stop",
            "突発停止",
            "unplanned downtime",
            "problem",
            ("突然止まる", "突発停止"),
            ("predictive-maintenance",),
        ),
        Concept("subsidy", "補助金", "subsidy", "support", ("補助金",)),
    ]
)
USER = OrgInfo("U", "ユーザー精機", ("user",), "福岡県", "E")
VENDOR = OrgInfo("V", "ベンダー", ("vendor_hw",), "福岡県", "G")
OTHER = OrgInfo("W", "別ベンダー", ("vendor_sys",), "熊本県", "G")
BANK = OrgInfo("B", "銀行", ("support",), "福岡県", "J", "financial")


def _corpus(*docs: Document) -> Corpus:
    corpus = Corpus(VOCAB)
    for doc in docs:
        corpus.add(doc)
    return corpus


def _seed(doc_id: str, org: OrgInfo, title: str, served: tuple[str, ...] = ()) -> Document:
    return Document(doc_id, "seed", title, title, org, (), served)


NEED = Document("N1", "need", "夜間に設備が突然止まる", "設備が突然止まると納期が遅れる", USER)


def test_vocabulary_links_a_problem_to_its_solution_and_explains_it() -> None:
    corpus = _corpus(_seed("S1", VENDOR, "振動センサーによる予知保全", ("E",)), _seed("S2", OTHER, "観光案内アプリ"))
    matches = rank(Query.of(NEED), corpus, {"S1": 0.2, "S2": 0.2}, Weights(), limit=5)
    assert matches[0].doc.id == "S1"
    reasons = build_reasons(matches[0], VOCAB, "E")
    types = {r["type"] for r in reasons}
    assert {"solves", "industry_experience", "region"} <= types
    sentence = reason_sentence(reasons)
    assert "突発停止" in sentence
    assert "予知保全" in sentence
    assert sentence.endswith("。")


def test_a_seed_side_match_names_the_needs_problem_and_the_seeds_answer() -> None:
    seed = _seed("S1", VENDOR, "振動センサーによる予知保全", ("E",))
    matches = rank(Query.of(seed), _corpus(NEED), {"N1": 0.2}, Weights(), limit=5)
    link = next(r for r in build_reasons(matches[0], VOCAB, "E") if r["type"] == "solves")["links"][0]
    assert (link["need_concept"], link["seed_concept"]) == ("突発停止", "予知保全")
    assert "「突発停止」の課題に「予知保全」で応えられます" in reason_sentence(build_reasons(matches[0], VOCAB, "E"))
    english = reason_sentence_en(build_reasons(matches[0], VOCAB, "E"))
    assert english.startswith("Predictive maintenance answers the problem of unplanned downtime.")
    assert "It has worked in manufacturing." in english
    assert english.endswith("The member is also in Fukuoka.")


def test_a_link_between_two_offers_is_called_related_not_an_answer() -> None:
    need = Document("N2", "need", "予知保全を導入したい", "予知保全の仕組みを探しています", USER)
    matches = rank(Query.of(need), _corpus(_seed("S1", VENDOR, "振動センサー")), {"S1": 0.2}, Weights(), limit=5)
    reasons = build_reasons(matches[0], VOCAB, "E")
    assert reason_sentence(reasons).startswith("「予知保全」に関連する「振動センシング」を扱っています。")
    assert reason_sentence_en(reasons).startswith("It offers vibration sensing, related to predictive maintenance.")
    # With a concept in common, the shared concept leads instead of the loose link.
    both = rank(Query.of(need), _corpus(_seed("S2", VENDOR, "振動センサーで予知保全")), {"S2": 0.2}, Weights(),
                limit=5)
    assert reason_sentence(build_reasons(both[0], VOCAB, "E")).startswith("予知保全が共通しています。")


def test_own_organization_is_never_returned() -> None:
    own = _seed("S-own", USER, "振動センサーによる予知保全")
    corpus = _corpus(own, _seed("S1", VENDOR, "観光案内アプリ"))
    matches = rank(Query.of(NEED), corpus, {"S-own": 0.9, "S1": 0.1}, Weights(), limit=5)
    assert [m.doc.id for m in matches] == ["S1"]


def test_one_member_cannot_fill_the_top() -> None:
    seeds = [_seed(f"S{i}", VENDOR, f"振動センサーによる予知保全 その{i}") for i in range(5)]
    corpus = _corpus(*seeds, _seed("X", OTHER, "予知保全サービス"))
    dense = {s.id: 0.9 for s in seeds} | {"X": 0.1}
    top = rank(Query.of(NEED), corpus, dense, Weights(max_per_organization=2), limit=3)
    assert [m.doc.org.id for m in top].count("V") == 2
    assert top[2].doc.id == "X"


def test_support_only_offers_wait_unless_support_is_asked_for() -> None:
    corpus = _corpus(_seed("L", BANK, "設備投資の補助金申請"), _seed("S1", OTHER, "振動センサー"))
    dense = {"L": 0.5, "S1": 0.5}
    assert rank(Query.of(NEED), corpus, dense, Weights(), limit=2)[0].doc.id == "S1"
    money = Document("N2", "need", "補助金を使って更新したい", "設備更新の補助金を探している", USER)
    assert rank(Query.of(money), corpus, dense, Weights(), limit=2)[0].doc.id == "L"


def test_ablation_weights_keep_only_the_named_channel() -> None:
    only_dense = Weights().only(["dense"])
    assert (only_dense.lexical, only_dense.vocabulary, only_dense.structure) == (0.0, 0.0, 0.0)
    assert only_dense.dense == Weights().dense
    assert only_dense.support_mismatch == 0.0


def test_fused_channels_agree_with_the_per_document_evidence() -> None:
    """The vectorized scores equal what the channel functions say for each match, in both directions."""
    seeds = [_seed("S1", VENDOR, "振動センサーによる予知保全", ("E",)), _seed("S2", OTHER, "予知保全の補助金", ("A",)),
             _seed("S3", BANK, "補助金の申請支援"), _seed("S4", OTHER, "観光案内アプリ", ("E", "G"))]
    corpus = _corpus(*seeds)
    dense = {"S1": 0.6, "S3": 0.3, "S4": 0.1}  # S2 not retrieved, as from an approximate index
    matches = {m.doc.id: m for m in rank(Query.of(NEED), corpus, dense, Weights(), limit=10)}
    assert matches["S2"].channels["dense"] == pytest.approx(min(matches[i].channels["dense"] for i in dense))
    for match in matches.values():
        structure, parts = structure_score(NEED, match.doc, corpus.vocabulary.tag(NEED.text),
                                           corpus.taggings[match.doc.id])
        assert match.channels["structure"] == pytest.approx(structure)
        assert match.structure == parts
        overlap = concept_overlap(corpus.vocabulary.tag(NEED.text), corpus.taggings[match.doc.id], VOCAB,
                                  corpus.concept_stats, Weights().concept_floor)
        assert match.channels["vocabulary"] == pytest.approx(overlap.score)

    needs = _corpus(NEED, Document("N2", "need", "観光客を増やしたい", "観光", VENDOR))
    seed = seeds[0]
    for match in rank(Query.of(seed), needs, {"N1": 0.5, "N2": 0.1}, Weights(), limit=10):
        assert match.doc.org.id != seed.org.id
        structure, _ = structure_score(match.doc, seed, needs.taggings[match.doc.id], needs.vocabulary.tag(seed.text))
        assert match.channels["structure"] == pytest.approx(structure)


def _all_reason_words(reasons: list[dict[str, object]]) -> list[str]:
    return [str(t) for r in reasons if r["type"] == "shared_terms" for t in r["terms"]]  # type: ignore[attr-defined]


def test_reasons_quote_words_as_both_texts_write_them_never_a_normal_form() -> None:
    # Sudachi reads うまく as 旨い and センサ as センサー; neither text writes 旨い.
    need = Document("N3", "need", "乾燥機の温度がうまく保てない", "乾燥機の温度センサで測るがうまく制御できない",
                    USER)
    seed = _seed("S1", VENDOR, "乾燥機の温度をうまく制御するIoTセンサー")
    matches = rank(Query.of(need), _corpus(seed), {"S1": 0.5}, Weights(), limit=5)
    reasons = build_reasons(matches[0], VOCAB, "E")
    words = _all_reason_words(reasons)
    assert "乾燥" in words
    assert "旨い" not in words
    for word in words:
        assert word.lower() in need.text.lower()
        assert word.lower() in seed.text.lower()
    assert "旨い" not in reason_sentence(reasons)


def test_latin_words_are_quoted_in_the_texts_case_and_whole() -> None:
    need = Document("N4", "need", "IoT sensors for the barn", "We want sensors that maintain the barn climate.", USER)
    seed = _seed("S1", VENDOR, "IoT sensor kit for barns")
    matches = rank(Query.of(need), _corpus(seed), {"S1": 0.5}, Weights(), limit=5)
    words = _all_reason_words(build_reasons(matches[0], VOCAB, "E"))
    assert "IoT" in words  # as the texts write it, not the index's lower case
    assert "sensor" in words  # one text writes its plural
    assert "barn" in words
    assert "maintain" not in words  # only one text has it


LINKS = Vocabulary([
    Concept("it-talent-shortage", "IT人材がいない", "lack of IT skills", "problem", ("詳しい人がいない",),
            ("training",)),
    Concept("training", "研修", "training", "support", ("研修",)),
    # Security is linked from its own side: it matters where IT staff are short, but does not answer that.
    Concept("cybersecurity", "サイバーセキュリティ", "cybersecurity", "application", ("ウイルス対策",),
            ("it-talent-shortage",)),
])


def test_a_problem_is_said_to_be_answered_only_by_what_answers_that_problem() -> None:
    corpus = Corpus(LINKS)
    for seed in (_seed("S1", VENDOR, "ウイルス対策の導入"), _seed("S2", OTHER, "社員向けの研修")):
        corpus.add(seed)
    need = Document("N5", "need", "社内に詳しい人がいない", "パソコンに詳しい人がいない", USER)
    matches = {m.doc.id: m for m in rank(Query.of(need), corpus, {"S1": 0.3, "S2": 0.3}, Weights(), limit=5)}
    security = build_reasons(matches["S1"], LINKS, "E")
    assert not [r for r in security if r["type"] == "solves"]
    assert "サイバーセキュリティ" not in reason_sentence(security)
    training = reason_sentence(build_reasons(matches["S2"], LINKS, "E"))
    assert training.startswith("「IT人材がいない」の課題に「研修」で応えられます。")


def test_closeness_of_content_is_said_in_plain_levels_not_as_a_cosine() -> None:
    seeds = [_seed(f"S{i}", OTHER, f"観光案内アプリ その{i}") for i in range(12)]
    dense = {s.id: 0.1 for s in seeds} | {"S0": 0.9}
    matches = rank(Query.of(NEED), _corpus(*seeds), dense, Weights(), limit=12)
    top = build_reasons(matches[0], VOCAB)
    assert next(r for r in top if r["type"] == "semantic_similarity")["level"] == "high"
    sentence = reason_sentence(top)
    assert "内容が近いです（近さ：高い）" in sentence
    assert "類似度" not in sentence
    assert not any(ch.isdigit() for ch in sentence)
    assert "closeness: high" in reason_sentence_en(top)
    low = build_reasons(matches[-1], VOCAB)
    assert next(r for r in low if r["type"] == "semantic_similarity")["level"] == "low"
    assert "近さ：高い" not in reason_sentence(low)


def test_an_english_only_seed_is_explained_to_a_japanese_member_in_japanese_labels() -> None:
    english = _seed("S1", VENDOR, "Vibration sensors for predictive maintenance of presses")
    matches = rank(Query.of(NEED), _corpus(english), {"S1": 0.5}, Weights(), limit=5)
    sentence = reason_sentence(build_reasons(matches[0], VOCAB, "E"))
    assert "「突発停止」の課題に「予知保全」で応えられます" in sentence
    # Nothing shared but a loose relation: the Japanese sentence still says what the English seed is about.
    other = Document("N9", "need", "予知保全を導入したい", "予知保全の仕組みを探しています", USER)
    tourism = _seed("S2", VENDOR, "Vibration sensing kit for presses")
    found = rank(Query.of(other), _corpus(tourism), {"S2": 0.5}, Weights(), limit=5)
    sentence = reason_sentence(build_reasons(found[0], VOCAB, "E"))
    assert "英語のシーズで、振動センシングを扱っています" in sentence
    assert "Vibration" not in sentence
    assert "英語" not in reason_sentence(build_reasons(rank(Query.of(other), _corpus(
        _seed("S3", VENDOR, "振動センサー")), {"S3": 0.5}, Weights(), limit=5)[0], VOCAB, "E"))


@pytest.mark.parametrize("query_text", ["Patriot社のIoTゲートウェイで集めたい", "İzmir工場のIoTゲートウェイで集めたい"])
def test_a_shared_word_is_quoted_as_the_query_writes_it_where_it_stands_as_a_word(query_text: str) -> None:
    seed = _seed("S1", VENDOR, "iot gateway for factories")
    found = rank(Query(query_text), _corpus(seed), {"S1": 0.5}, Weights())
    assert "IoT" in found[0].shared_terms  # not "iot" (the index's form) nor the "iot" inside "Patriot"
