"""Concepts found by meaning, languages told apart, and roles that answer: the pure parts, without an encoder."""

from dataclasses import replace

import numpy as np
import pytest

from matching.channels import answering_role_fit, offers_test_site
from matching.corpus import Corpus
from matching.documents import Document, OrgInfo
from matching.meaning import ConceptMeaning, sentences
from matching.ranker import Query, Weights, rank
from matching.text import japanese_share, language_overlap
from matching.vocabulary import Concept, Tagging, Vocabulary, load_vocabulary
from seed import VOCABULARY


def _unit(*values: float) -> np.ndarray:
    vector = np.asarray(values, dtype=np.float32)
    return vector / np.linalg.norm(vector)


def test_every_concept_but_an_industry_has_a_description_and_everyday_phrasings() -> None:
    vocabulary = load_vocabulary(VOCABULARY)
    for concept in vocabulary.concepts.values():
        if concept.kind != "industry":
            assert concept.description, concept.id
            assert len(concept.examples_ja) >= 2, concept.id
            assert len(concept.examples_en) >= 1, concept.id
    texts = [text for _, text in vocabulary.phrasings()]
    assert len(texts) == len(set(texts)), "a phrasing belongs to one concept"


def test_sentences_are_the_title_and_the_descriptions_sentences() -> None:
    assert sentences("夜に機械が止まる", "朝まで誰も気付かない。直せる人もいない！\n・材料：鉄") == [
        "夜に機械が止まる", "朝まで誰も気付かない", "直せる人もいない", "材料:鉄"]
    assert sentences("Trial site", "We need a floor. About 500 m2; a contact person.") == [
        "Trial site", "We need a floor", "About 500 m2", "a contact person."]


MEANING = ConceptMeaning.build(
    [("remote-monitoring", "見に行かなくても様子が分かる"), ("predictive-maintenance", "壊れる前に気付きたい"),
     ("predictive-maintenance", "know before it breaks"), ("labor-shortage", "人が足りない")],
    np.vstack([_unit(1, 0, 0, 0), _unit(0, 1, 0, 0), _unit(0, 1, 0.2, 0), _unit(0, 0, 0, 1)]), threshold=0.6,
    margin=1.0)  # three concepts: a real vocabulary has hundreds, against which a sentence must stand out


def test_a_sentence_close_to_a_concepts_phrasing_finds_it_with_a_weight_that_grows_with_closeness() -> None:
    found = MEANING.find(np.vstack([_unit(0, 1, 0.05, 0.05), _unit(0.65, 0, 0.76, 0)]))
    assert set(found) == {"predictive-maintenance", "remote-monitoring"}
    assert found["predictive-maintenance"] == 1.0
    assert 0.5 <= found["remote-monitoring"] < 1.0
    assert MEANING.find(np.vstack([_unit(1, 1, 1, 1)])) == {}  # half-close to everything: means nothing
    # Each sentence counts for its closest concepts only.
    assert len(replace(MEANING, per_sentence=1, margin=0).find(np.vstack([_unit(0.75, 0.66, 0, 0)]))) == 1


def test_concepts_found_by_meaning_count_in_the_vocabulary_channel_with_their_weight() -> None:
    vocabulary = Vocabulary([Concept("remote-monitoring", "遠隔監視", "remote monitoring", "application",
                                     ("遠隔監視",))])
    user = OrgInfo("U", "農園", ("user",), "佐賀県", "A")
    vendor = OrgInfo("V", "ベンダー", ("vendor_sys",), "佐賀県", "G")
    corpus = Corpus(vocabulary)
    corpus.add(Document("S1", "seed", "遠隔監視サービス", "遠隔監視を提供します", vendor))
    corpus.add(Document("S2", "seed", "観光アプリ", "観光案内のアプリです", vendor))
    need = Document("N1", "need", "畑を見に行かなくても様子が分かるようにしたい", "毎日通うのが大変", user)
    plain = rank(Query.of(need), corpus, {"S1": 0.3, "S2": 0.3}, Weights(), limit=2)
    assert plain[0].channels["vocabulary"] == 0.0
    tagging = Tagging().with_meaning({"remote-monitoring": 0.8})
    meant = rank(Query.of(need, tagging), corpus, {"S1": 0.3, "S2": 0.3}, Weights(concept_floor=0), limit=2)
    assert meant[0].doc.id == "S1"
    assert meant[0].channels["vocabulary"] == 1.0  # it has all the query's concepts
    assert "remote-monitoring" in meant[0].overlap.shared
    # One concept found, at weight 0.8, is weak evidence: the floor keeps it from deciding alone.
    idf = corpus.concept_stats.idf("remote-monitoring")
    floored = rank(Query.of(need, tagging), corpus, {"S1": 0.3, "S2": 0.3}, Weights(concept_floor=10), limit=2)
    assert floored[0].channels["vocabulary"] == pytest.approx(0.8 * idf / 10)


def test_languages_are_told_apart_by_their_words_and_two_japanese_texts_share_fully() -> None:
    japanese = japanese_share("IoTとAIで工場の設備の稼働を見える化したい")
    english = japanese_share("We want to see how our machines run")
    assert japanese > 0.7
    assert english == 0.0
    assert language_overlap(japanese, japanese_share("設備の稼働監視サービス")) == 1.0
    assert language_overlap(japanese, english) == 0.0


def test_an_english_query_over_a_japanese_corpus_weighs_its_few_lexical_hits_little() -> None:
    vendor = OrgInfo("V", "ベンダー", ("vendor_sys",), "福岡県", "G")
    corpus = Corpus(Vocabulary([]))
    for i in range(6):
        corpus.add(Document(f"S{i}", "seed", f"工場の設備監視 その{i}", "設備の稼働を監視します", vendor))
    corpus.add(Document("E1", "seed", "Data platform", "We sell a data platform for shops", vendor))
    query = Query(text="We want data on our machines")
    dense = {d: 0.3 for d in corpus.docs}
    with_lexical = rank(query, corpus, dense, Weights(lexical_across_languages=1.0, feedback_docs=0), limit=3)
    by_language = rank(query, corpus, dense, Weights(feedback_docs=0), limit=3)
    full = next(m for m in with_lexical if m.doc.id == "E1").channels["lexical"]
    assert full > 0
    # One document in seven is in the query's language: its z-score counts for 1/7 ÷ 1/2 of itself.
    assert next(m for m in by_language if m.doc.id == "E1").channels["lexical"] == pytest.approx(full * 2 / 7)
    assert all(m.channels["lexical"] == 0 for m in by_language if m.doc.id != "E1")  # Japanese texts: none


def test_an_offer_to_host_trials_answers_a_search_for_a_test_site_not_an_adopters_trouble() -> None:
    farm = OrgInfo("F", "農園", ("user",), "宮崎県", "A")
    bank = OrgInfo("B", "銀行", ("support",), "宮崎県", "J", "financial")
    site = Document("S1", "seed", "ハウスを実証の場として提供", "センサーの実証に協力します", farm)
    tagging = Tagging({"test-field": ("実証の場",)})
    assert offers_test_site(site, tagging)
    assert not offers_test_site(Document("S2", "seed", "ビジネスマッチング", "実証先もご紹介", bank), tagging)
    assert answering_role_fit(0.8, need_adopter=False, need_seeks_site=True, seed_offers_site=True,
                              seed_provider_only=False) == 1.0
    assert answering_role_fit(0.2, need_adopter=True, need_seeks_site=False, seed_offers_site=True,
                              seed_provider_only=False) == 0.0
    # A provider's search for a site is not answered by another provider's technology.
    assert answering_role_fit(1.0, need_adopter=False, need_seeks_site=True, seed_offers_site=False,
                              seed_provider_only=True) == 0.5
