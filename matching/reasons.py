"""Why a match was made: structured reasons and one short Japanese sentence built from them."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from matching.areas import KYUSHU as KYUSHU_ORDER
from matching.areas import PREFECTURE_BY_ROMAJI
from matching.ranker import Match
from matching.vocabulary import Vocabulary

INDUSTRY_JA = {
    "A": "農業・林業", "B": "漁業", "C": "鉱業", "D": "建設業", "E": "製造業", "F": "電気・ガス・水道業",
    "G": "情報通信業", "H": "運輸業", "I": "卸売・小売業", "J": "金融・保険業", "K": "不動産・物品賃貸業",
    "L": "学術研究・専門サービス", "M": "宿泊・飲食サービス業", "N": "生活関連サービス業", "O": "教育・学習支援業",
    "P": "医療・福祉", "Q": "複合サービス事業", "R": "サービス業", "S": "公務", "T": "その他",
}
INDUSTRY_EN = {
    "A": "agriculture and forestry", "B": "fisheries", "C": "mining", "D": "construction", "E": "manufacturing",
    "F": "utilities", "G": "information and communications", "H": "transport", "I": "wholesale and retail",
    "J": "finance and insurance", "K": "real estate and leasing", "L": "research and professional services",
    "M": "hotels and restaurants", "N": "personal services", "O": "education", "P": "health and welfare",
    "Q": "compound services", "R": "services", "S": "public administration", "T": "other industries",
}
PREFECTURE_EN = {p: name.capitalize() for name, p in PREFECTURE_BY_ROMAJI.items()}
KYUSHU = frozenset(KYUSHU_ORDER)
MAX_ITEMS = 3
ABOUT_KINDS = ("application", "technology", "problem")
# Standard deviations above the query's mean cosine: on the labelled rosters, half of the seeds that solve a need
# lie above 3, and nine in ten of the unrelated ones below 2.
SIMILARITY_HIGH_Z = 3.0
SIMILARITY_MEDIUM_Z = 2.0


def build_reasons(match: Match, vocabulary: Vocabulary, query_industry: str | None = None) -> list[dict[str, Any]]:
    """The evidence behind a match, strongest first."""
    reasons: list[dict[str, Any]] = []
    overlap = match.overlap
    if overlap.shared:
        reasons.append({"type": "shared_concepts", "concepts": [
            {"id": c, "label": vocabulary.label(c), "label_en": vocabulary.label(c, "en")}
            for c in overlap.shared[:MAX_ITEMS]]})
    # Links run from the query's concept to the document's; when the document is a need, swap them.
    pairs = [(d, q) if match.doc.kind == "need" else (q, d) for q, d in overlap.linked]
    pairs = [pair for pair in pairs if _explains(vocabulary, *pair)]
    # A problem of the need met by something the seed offers (a technology, an application, support)
    # explains the match best; links between two offers, or two problems, only say they are related.
    pairs.sort(key=lambda pair: (vocabulary.kind(pair[1]) == "problem", vocabulary.kind(pair[0]) != "problem"))
    if pairs:
        reasons.append({"type": "solves", "links": [
            {"need_concept": vocabulary.label(n), "seed_concept": vocabulary.label(sd),
             "need_concept_en": vocabulary.label(n, "en"), "seed_concept_en": vocabulary.label(sd, "en"),
             "need_is_problem": vocabulary.kind(n) == "problem", "seed_offers": vocabulary.kind(sd) != "problem"}
            for n, sd in pairs[:MAX_ITEMS]]})
    if match.shared_terms:
        reasons.append({"type": "shared_terms", "terms": list(match.shared_terms[:5])})
    about = [c for c in match.doc_concepts if vocabulary.kind(c) in ABOUT_KINDS][:MAX_ITEMS]
    if match.doc_japanese < 0.5 and about:
        # An English-only text: say in the vocabulary's labels what it is about.
        reasons.append({"type": "document_concepts", "language": "en", "kind": match.doc.kind, "concepts": [
            {"id": c, "label": vocabulary.label(c), "label_en": vocabulary.label(c, "en")} for c in about]})
    reasons.append({"type": "semantic_similarity", "similarity": round(match.similarity, 3),
                    "level": similarity_level(match.similarity_z)})
    if match.structure.get("industry") == 1.0 and query_industry:
        reasons.append({"type": "industry_experience", "industry": query_industry,
                        "label": INDUSTRY_JA.get(query_industry, query_industry),
                        "label_en": INDUSTRY_EN.get(query_industry, query_industry)})
    region = match.structure.get("region")
    if region:
        reasons.append({"type": "region", "same_prefecture": region == 1.0, "prefecture": match.doc.org.prefecture})
    if match.area:
        # Shown with a prefecture filter (or to free text) only: otherwise such seeds are not matched at all.
        reasons.append({"type": "service_area", "prefectures": list(match.area), "stated": match.area_stated,
                        "need_prefecture": match.need_prefecture,
                        "need_inside": None if match.need_prefecture is None else not match.outside_area})
    return reasons


def _explains(vocabulary: Vocabulary, need_concept: str, seed_concept: str) -> bool:
    """Whether a (need concept, seed concept) link says something true to a member: a problem of the need
    and what answers that very problem, two related problems, or two related offers. A seed's problem tells
    nothing of what it offers, and a link made from the offer's side only (IT staff shortage ← security)
    does not answer the problem."""
    need_problem = vocabulary.kind(need_concept) == "problem"
    seed_problem = vocabulary.kind(seed_concept) == "problem"
    if need_problem and not seed_problem:
        return vocabulary.answers(need_concept, seed_concept)
    return need_problem or not seed_problem


def similarity_level(z: float) -> str:
    """How close the two texts are, in a word: high, medium or low. Raw cosines mean nothing to a member and
    differ between languages; the cosine's standing among all documents for this query does not."""
    return "high" if z >= SIMILARITY_HIGH_Z else "medium" if z >= SIMILARITY_MEDIUM_Z else "low"


@dataclass(frozen=True)
class _Phrasing:
    """How one language words each part of the reason sentence."""

    suffix: str  # the language's label keys: "" (label) or "_en" (label_en), falling back to Japanese
    answers: Callable[[str, str], str]  # (need concept, seed concept)
    offers: Callable[[str, str], str]
    related: Callable[[str, str], str]
    shared_concepts: Callable[[list[str]], str]
    about: Callable[[str, list[str]], str] | None  # (kind, labels) of an English-only text; None: not said
    shared_terms: Callable[[list[str]], str]
    similar: Callable[[str], str]  # the level: high, medium or low
    industry: Callable[[str], str]
    region: Callable[[str | None], str]  # the shared prefecture, or None for Kyushu
    area: Callable[[str, str | None], str]  # (where the seed is offered, the need's prefecture when outside it)
    place: Callable[[list[str]], str]  # a service area's name
    join: Callable[[list[str]], str]

    def text(self, item: dict[str, Any], key: str) -> str:
        return str(item.get(key + self.suffix) or item[key])


JA = _Phrasing(
    suffix="",
    answers=lambda need, seed: f"「{need}」の課題に「{seed}」で応えられます",
    offers=lambda need, seed: f"「{need}」に関連する「{seed}」を扱っています",
    related=lambda need, seed: f"「{need}」と「{seed}」は関連する課題です",
    shared_concepts=lambda labels: f"{'・'.join(labels)}が共通しています",
    about=lambda kind, labels: f"英語の{'ニーズ' if kind == 'need' else 'シーズ'}で、{'・'.join(labels)}を扱っています",
    shared_terms=lambda terms: f"「{'」「'.join(terms)}」が共通しています",
    similar=lambda level: {"high": "内容が近いです（近さ：高い）", "medium": "内容が近いです（近さ：中程度）"}.get(
        level, "内容に重なるところがあります"),
    industry=lambda label: f"{label}での実績があります",
    region=lambda prefecture: f"同じ{prefecture}の会員です" if prefecture else "同じ九州の会員です",
    area=lambda where, outside: (f"提供地域は{where}に限られ、{outside}は対象外です" if outside
                                 else f"提供地域は{where}です"),
    place=lambda prefectures: "九州各県" if set(prefectures) == KYUSHU else "・".join(prefectures),
    join=lambda parts: "。".join(parts) + "。",
)
EN = _Phrasing(
    suffix="_en",
    answers=lambda need, seed: f"{seed} answers the problem of {need}",
    offers=lambda need, seed: f"it offers {seed}, related to {need}",
    related=lambda need, seed: f"{need} and {seed} are related problems",
    shared_concepts=lambda labels: f"both are about {', '.join(labels)}",
    about=None,
    shared_terms=lambda terms: "both use the words " + ", ".join(f"“{t}”" for t in terms),
    similar=lambda level: {"high": "the texts are close in meaning (closeness: high)",
                           "medium": "the texts are close in meaning (closeness: medium)"}.get(
        level, "the texts overlap in part"),
    industry=lambda label: f"it has worked in {label}",
    region=lambda prefecture: (f"the member is also in {PREFECTURE_EN.get(prefecture, prefecture)}" if prefecture
                               else "the member is also in Kyushu"),
    area=lambda where, outside: (f"it is offered only in {where}, not in {PREFECTURE_EN.get(outside, outside)}"
                                 if outside else f"it is offered only in {where}"),
    place=lambda prefectures: ("Kyushu" if set(prefectures) == KYUSHU
                               else " and ".join(PREFECTURE_EN.get(p, p) for p in prefectures)),
    join=lambda parts: ". ".join(p[0].upper() + p[1:] for p in parts) + ".",
)


def reason_sentence(reasons: list[dict[str, Any]]) -> str:
    """One short Japanese sentence a member reads next to the match."""
    return _sentence(reasons, JA)


def reason_sentence_en(reasons: list[dict[str, Any]]) -> str:
    """The same sentence in English, for the pages' English mode and English-speaking members."""
    return _sentence(reasons, EN)


def _sentence(reasons: list[dict[str, Any]], say: _Phrasing) -> str:
    parts: list[str] = []
    by_type = {r["type"]: r for r in reasons}
    link = _leading_link(by_type)
    if link is not None:
        need, seed = say.text(link, "need_concept"), say.text(link, "seed_concept")
        phrase = say.answers if _answers(link) else say.offers if link.get("seed_offers", True) else say.related
        parts.append(phrase(need, seed))
    if "shared_concepts" in by_type:
        parts.append(say.shared_concepts([say.text(c, "label") for c in by_type["shared_concepts"]["concepts"]]))
    elif "shared_terms" in by_type:
        parts.append(say.shared_terms(by_type["shared_terms"]["terms"][:3]))
    about = by_type.get("document_concepts")
    if about and say.about is not None and "shared_concepts" not in by_type:
        parts.append(say.about(about.get("kind", "seed"), [say.text(c, "label") for c in about["concepts"]]))
    similarity = by_type["semantic_similarity"]
    level = similarity.get("level") or _level_of_cosine(similarity["similarity"])
    if not parts or level != "low":
        parts.append(say.similar(level))
    if "industry_experience" in by_type:
        parts.append(say.industry(say.text(by_type["industry_experience"], "label")))
    if "region" in by_type:
        region = by_type["region"]
        parts.append(say.region(region["prefecture"] if region["same_prefecture"] else None))
    area = by_type.get("service_area")
    if area and not area.get("need_inside"):  # inside the area there is nothing to warn about
        parts.append(say.area(say.place(area["prefectures"]), None if area.get("need_inside") is None
                              else area.get("need_prefecture")))
    return say.join(parts)


def _level_of_cosine(cosine: float) -> str:
    # Payloads stored before levels existed carry the cosine alone.
    return "high" if cosine >= 0.5 else "medium" if cosine >= 0.35 else "low"


def _answers(link: dict[str, Any]) -> bool:
    """A problem of the need that the seed's offer answers (older payloads lack the flags: assume so)."""
    return bool(link.get("need_is_problem", True) and link.get("seed_offers", True))


def _leading_link(by_type: dict[str, dict[str, Any]]) -> dict[str, Any] | None:
    """The link the sentence opens with: an answered problem always; a weaker link only when the two
    sides share no concept (shared concepts say more than a loose relation)."""
    if "solves" not in by_type:
        return None
    link: dict[str, Any] = by_type["solves"]["links"][0]
    return link if _answers(link) or "shared_concepts" not in by_type else None
