"""The shipped domain vocabulary loads, and tags Japanese and English text alike."""

from matching.vocabulary import Concept, Vocabulary, load_vocabulary
from seed import VOCABULARY


def test_shipped_vocabulary_is_consistent() -> None:
    vocabulary = load_vocabulary(VOCABULARY)
    assert len(vocabulary) >= 150
    for concept in vocabulary.concepts.values():
        assert concept.terms, concept.id
        assert set(concept.related) <= set(vocabulary.concepts), concept.id


def test_japanese_and_english_meet_on_one_concept() -> None:
    vocabulary = load_vocabulary(VOCABULARY)
    ja = vocabulary.tag("振動データから故障の予兆をつかむ予知保全").ids
    en = vocabulary.tag("Predictive maintenance from vibration data").ids
    assert ja & en


def test_latin_terms_match_only_whole_words() -> None:
    vocabulary = Vocabulary([Concept("ai", "AI", "AI", "technology", ("AI",))])
    assert vocabulary.tag("画像AIで検査").ids == {"ai"}
    assert vocabulary.tag("we maintain machines").ids == frozenset()


def test_related_links_work_both_ways() -> None:
    vocabulary = Vocabulary(
        [Concept("a", "A", "A", "problem", ("あ",), ("b",)), Concept("b", "B", "B", "application", ("い",))]
    )
    assert vocabulary.related("b") == {"a"}


def test_terms_of_one_two_or_more_characters_are_found_anywhere_in_a_text() -> None:
    vocabulary = Vocabulary([Concept("ayu", "鮎", "sweetfish", "application", ("鮎",)),
                             Concept("nori", "海苔", "nori", "application", ("海苔", "のり養殖")),
                             Concept("kaki", "カキ養殖", "oyster farming", "application", ("牡蠣の養殖",))])
    assert vocabulary.tag("鮎").ids == {"ayu"}
    assert vocabulary.tag("川で鮎を育てる").ids == {"ayu"}
    assert vocabulary.tag("冬は海苔、夏は鮎").ids == {"ayu", "nori"}
    assert vocabulary.tag("有明海でのり養殖").ids == {"nori"}
    assert vocabulary.tag("牡蠣の養殖と牡蠣の加工").concepts == {"kaki": ("牡蠣の養殖",)}
    assert vocabulary.tag("牡蠣の加工").ids == frozenset()
