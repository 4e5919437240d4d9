"""Japanese-aware text normalization and tokenization (SudachiPy), shared by the lexical channels."""

import re
import threading
import unicodedata
from functools import lru_cache

import numpy as np
from sudachipy import Dictionary, SplitMode, Tokenizer

# Function words and light verbs that carry no topic; normalized forms as Sudachi gives them.
STOPWORDS_JA = frozenset(
    "する ある いる なる できる れる られる せる させる ない こと もの ため よう ところ とき 方 など 等 場合 "
    "これ それ あれ この その あの ここ そこ 私 我々 弊社 当社 御社 貴社 さん 様 的 化 性 中 内 上 下 "
    "向け 用 後 前 毎 各 全 約 以上 以下 程度 可能 対応 利用 活用 提供 実施 必要 現在 今回 自社 当方 "
    "よる おく ほしい いう おる くる いく みる しまう くれる もらう 行う 思う 考える 持つ 使う 出す 得る "
    "頂く 致す 下さる".split()
)
STOPWORDS_EN = frozenset(
    "a an the and or of for to in on at by with from as is are be been was were it its this that these those we "
    "our you your they their can could will would should may might into over under per via than then there "
    "here who what which when where how also not no yes do does did done have has had use using used".split()
)
KEEP_POS = ("名詞", "動詞", "形容詞", "形状詞")
LATIN = re.compile(r"[a-z][a-z0-9\-+.]*[a-z0-9+]|[a-z]")
JA_CHAR = re.compile(r"[\u3040-\u30ff\u3400-\u9fff]")
# Japanese shares this close count as the same language: a Japanese text names IoT, AI or PLC in Latin letters.
SAME_LANGUAGE_SLACK = 0.35
_LATIN_WORDS = re.compile(r"[A-Za-z]+")


def normalize(text: str) -> str:
    """NFKC (full-width to half-width, ㎡ to m2 …) and lower case: the form every matcher sees."""
    return unicodedata.normalize("NFKC", text).lower()


def is_japanese(text: str) -> bool:
    """True when the text has any kana or kanji."""
    return bool(JA_CHAR.search(text))


_local = threading.local()


@lru_cache(maxsize=1)
def _dictionary() -> Dictionary:
    return Dictionary(dict="core")


def _tokenizer() -> Tokenizer:
    # Sudachi tokenizers must not be shared across threads; the API serves from a thread pool.
    tokenizer = getattr(_local, "tokenizer", None)
    if tokenizer is None:
        tokenizer = _local.tokenizer = _dictionary().tokenizer(mode=SplitMode.A)
    return tokenizer


def _stem_en(word: str) -> str:
    # A light stemmer: enough to meet plural and -ing forms without a dependency.
    for suffix, repl in (("ies", "y"), ("sses", "ss"), ("xes", "x"), ("ches", "ch"), ("shes", "sh"), ("ing", ""),
                         ("ed", ""), ("s", "")):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3 and not word.endswith("ss"):
            return word[: len(word) - len(suffix)] + repl
    return word


def tokenize(text: str, *, nouns_only: bool = False) -> list[str]:
    """Content-word tokens: Sudachi short units in normalized form plus stemmed Latin words.

    nouns_only keeps Japanese nouns alone: names for topics, without the verbs (知る, 出る) that
    matching needs but that say nothing about a topic.
    """
    return analyze(text, nouns_only=nouns_only)[0]


def analyze(text: str, *, nouns_only: bool = False) -> tuple[list[str], dict[str, str]]:
    """The tokens of `tokenize`, and for the nouns and Latin words among them the word as the text writes it
    (NFKC, lower case) by token: Sudachi's normal form may be a word the text does not contain (うまく → 旨い,
    sensors → sensor), and reasons must quote the texts, not the index."""
    text = normalize(text)
    tokens: list[str] = []
    written: dict[str, str] = {}
    for morpheme in _tokenizer().tokenize(text):
        surface = morpheme.surface()
        if not surface.strip():
            continue
        if LATIN.fullmatch(surface):
            if surface not in STOPWORDS_EN and len(surface) > 1:
                token = _stem_en(surface)
                tokens.append(token)
                written.setdefault(token, surface)
            continue
        pos = morpheme.part_of_speech()
        if pos[0] not in KEEP_POS or pos[1] == "数詞" or pos[1] == "非自立可能":
            continue
        if nouns_only and pos[0] != "名詞":
            continue
        form = morpheme.normalized_form()
        if form in STOPWORDS_JA or (len(form) == 1 and not JA_CHAR.match(form)):
            continue
        tokens.append(form)
        if pos[0] == "名詞":
            written.setdefault(form, surface)
    return tokens, written


def key_terms(text: str) -> set[str]:
    """Distinct content words of two or more characters, for 'shared terms' reasons."""
    return {t for t in tokenize(text) if len(t) >= 2}


def japanese_share(text: str) -> float:
    """Share of a text's words that are Japanese rather than Latin-script (IoT, AI, English); 1 for none.
    Japanese has no spaces: two kana or kanji count as a word, which is about what Japanese words average."""
    japanese = len(JA_CHAR.findall(text)) / 2
    latin = len(_LATIN_WORDS.findall(text))
    return japanese / (japanese + latin) if japanese + latin else 1.0


def language_overlap(a: float, b: float) -> float:
    """How much two texts share a language, from their Japanese shares: 1 when both are mostly Japanese
    (a few Latin words such as IoT or AI change nothing) or both mostly English, 0 across the two."""
    return float(np.clip(1.0 - (abs(a - b) - SAME_LANGUAGE_SLACK) / (1.0 - 2 * SAME_LANGUAGE_SLACK), 0.0, 1.0))


def language_overlaps(a: float, shares: np.ndarray) -> np.ndarray:
    """language_overlap of one text with many."""
    return np.clip(1.0 - (np.abs(shares - a) - SAME_LANGUAGE_SLACK) / (1.0 - 2 * SAME_LANGUAGE_SLACK), 0.0, 1.0)
