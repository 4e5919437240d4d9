"""Why a match was made: structured reasons and one short Japanese sentence built from them."""

from typing import Any

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
PREFECTURE_EN = {
    "福岡県": "Fukuoka", "佐賀県": "Saga", "長崎県": "Nagasaki", "熊本県": "Kumamoto", "大分県": "Oita",
    "宮崎県": "Miyazaki", "鹿児島県": "Kagoshima", "沖縄県": "Okinawa", "山口県": "Yamaguchi", "東京都": "Tokyo",
}
MAX_ITEMS = 3
SIMILARITY_NOTEWORTHY = 0.35


def build_reasons(match: Match, vocabulary: Vocabulary, query_industry: str | None = None) -> list[dict[str, Any]]:
    """The evidence behind a match, strongest first."""
    reasons: list[dict[str, Any]] = []
    overlap = match.overlap
    if overlap.shared:
        reasons.append({"type": "shared_concepts", "concepts": [
            {"id": c, "label": vocabulary.label(c), "label_en": vocabulary.label(c, "en")}
            for c in overlap.shared[:MAX_ITEMS]]})
    if overlap.linked:
        # Links run from the query's concept to the document's; when the document is a need, swap them.
        pairs = [(d, q) if match.doc.kind == "need" else (q, d) for q, d in overlap.linked]
        # A problem of the need met by something the seed offers (a technology, an application, support)
        # explains the match best; links between two offers, or two problems, only say they are related.
        pairs.sort(key=lambda pair: (vocabulary.kind(pair[1]) == "problem", vocabulary.kind(pair[0]) != "problem"))
        reasons.append({"type": "solves", "links": [
            {"need_concept": vocabulary.label(n), "seed_concept": vocabulary.label(sd),
             "need_concept_en": vocabulary.label(n, "en"), "seed_concept_en": vocabulary.label(sd, "en"),
             "need_is_problem": vocabulary.kind(n) == "problem", "seed_offers": vocabulary.kind(sd) != "problem"}
            for n, sd in pairs[:MAX_ITEMS]]})
    if match.shared_terms:
        reasons.append({"type": "shared_terms", "terms": list(match.shared_terms[:5])})
    reasons.append({"type": "semantic_similarity", "similarity": round(match.similarity, 3)})
    if match.structure.get("industry") == 1.0 and query_industry:
        reasons.append({"type": "industry_experience", "industry": query_industry,
                        "label": INDUSTRY_JA.get(query_industry, query_industry),
                        "label_en": INDUSTRY_EN.get(query_industry, query_industry)})
    region = match.structure.get("region")
    if region:
        reasons.append({"type": "region", "same_prefecture": region == 1.0, "prefecture": match.doc.org.prefecture})
    return reasons


def reason_sentence(reasons: list[dict[str, Any]]) -> str:
    """One short Japanese sentence a member reads next to the match."""
    parts: list[str] = []
    by_type = {r["type"]: r for r in reasons}
    link = _leading_link(by_type)
    if link is not None:
        if _answers(link):
            parts.append(f"「{link['need_concept']}」の課題に「{link['seed_concept']}」で応えられます")
        elif link.get("seed_offers", True):
            parts.append(f"「{link['need_concept']}」に関連する「{link['seed_concept']}」を扱っています")
        else:
            parts.append(f"「{link['need_concept']}」と「{link['seed_concept']}」は関連する課題です")
    if "shared_concepts" in by_type:
        labels = "・".join(c["label"] for c in by_type["shared_concepts"]["concepts"])
        parts.append(f"{labels}が共通しています")
    elif "shared_terms" in by_type:
        parts.append(f"「{'」「'.join(by_type['shared_terms']['terms'][:3])}」が共通しています")
    similarity = by_type["semantic_similarity"]["similarity"]
    if not parts or similarity >= SIMILARITY_NOTEWORTHY:
        parts.append(f"内容の意味が近い（類似度{similarity:.2f}）です")
    if "industry_experience" in by_type:
        parts.append(f"{by_type['industry_experience']['label']}での実績があります")
    if "region" in by_type:
        region = by_type["region"]
        parts.append(f"同じ{region['prefecture']}の会員です" if region["same_prefecture"] else "同じ九州の会員です")
    return "。".join(parts) + "。"


def reason_sentence_en(reasons: list[dict[str, Any]]) -> str:
    """The same sentence in English, for the pages' English mode and English-speaking members."""
    parts: list[str] = []
    by_type = {r["type"]: r for r in reasons}
    link = _leading_link(by_type)
    if link is not None:
        need = link.get("need_concept_en", link["need_concept"])
        seed = link.get("seed_concept_en", link["seed_concept"])
        if _answers(link):
            parts.append(f"{seed} answers the problem of {need}")
        elif link.get("seed_offers", True):
            parts.append(f"it offers {seed}, related to {need}")
        else:
            parts.append(f"{need} and {seed} are related problems")
    if "shared_concepts" in by_type:
        labels = ", ".join(c.get("label_en") or c["label"] for c in by_type["shared_concepts"]["concepts"])
        parts.append(f"both are about {labels}")
    elif "shared_terms" in by_type:
        parts.append("both use the words " + ", ".join(f"“{t}”" for t in by_type["shared_terms"]["terms"][:3]))
    similarity = by_type["semantic_similarity"]["similarity"]
    if not parts or similarity >= SIMILARITY_NOTEWORTHY:
        parts.append(f"the texts are close in meaning (similarity {similarity:.2f})")
    if "industry_experience" in by_type:
        experience = by_type["industry_experience"]
        parts.append(f"it has worked in {experience.get('label_en') or experience['label']}")
    if "region" in by_type:
        region = by_type["region"]
        prefecture = PREFECTURE_EN.get(region["prefecture"], region["prefecture"])
        parts.append(f"the member is also in {prefecture}" if region["same_prefecture"]
                     else "the member is also in Kyushu")
    sentences = [p[0].upper() + p[1:] for p in parts]
    return ". ".join(sentences) + "."


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
