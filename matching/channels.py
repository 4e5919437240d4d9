"""The non-dense channels: vocabulary concepts and structure (roles, industry, region)."""

from dataclasses import dataclass

from matching.documents import Document, OrgInfo
from matching.vocabulary import ConceptStats, Tagging, Vocabulary

KYUSHU = frozenset(("福岡県", "佐賀県", "長崎県", "熊本県", "大分県", "宮崎県", "鹿児島県"))
PROVIDERS = frozenset(("vendor_hw", "vendor_sys", "sier"))
RELATED_WEIGHT = 0.5

# How well a seed owner's role answers a need owner's role (adopters look for providers first;
# providers look for trial sites, integrators and support).
ROLE_FIT = {
    "user": {"vendor_hw": 1.0, "vendor_sys": 1.0, "sier": 1.0, "support": 0.6, "user": 0.2},
    "vendor_hw": {"user": 0.8, "support": 0.8, "sier": 0.8, "vendor_sys": 0.7, "vendor_hw": 0.5},
    "vendor_sys": {"user": 0.8, "support": 0.8, "sier": 0.8, "vendor_hw": 0.7, "vendor_sys": 0.5},
    "sier": {"vendor_hw": 1.0, "vendor_sys": 1.0, "support": 0.6, "sier": 0.6, "user": 0.5},
    "support": {"vendor_hw": 0.9, "vendor_sys": 0.9, "sier": 0.9, "support": 0.5, "user": 0.5},
}


@dataclass(frozen=True)
class ConceptOverlap:
    """Concepts both sides mention, and concepts of the document that answer the query's."""

    shared: tuple[str, ...]
    linked: tuple[tuple[str, str], ...]  # (query concept, document concept)
    score: float


def concept_overlap(query: Tagging, doc: Tagging, vocabulary: Vocabulary, stats: ConceptStats) -> ConceptOverlap:
    """IDF-weighted overlap of concepts, counting problem→solution links at half weight."""
    def rarest_first(ids: set[str] | frozenset[str]) -> list[str]:
        # A fixed order (not set order, which varies between processes) keeps reasons the same every run.
        return sorted(ids, key=lambda c: (-stats.idf(c), c))

    shared = tuple(rarest_first(query.ids & doc.ids))
    linked: list[tuple[str, str]] = []
    seen = set(shared)
    for q in rarest_first(query.ids):
        for d in rarest_first(vocabulary.related(q) & doc.ids):
            if d not in seen and d not in query.ids:
                seen.add(d)
                linked.append((q, d))
    raw = sum(stats.idf(c) for c in shared) + RELATED_WEIGHT * sum(stats.idf(d) for _, d in linked)
    norm = sum(stats.idf(c) for c in query.ids) or 1.0
    return ConceptOverlap(shared, tuple(linked), raw / norm)


def support_only(tagging: Tagging, vocabulary: Vocabulary) -> bool:
    """A document that offers only generic support (funding, training, test sites …) and no technology."""
    kinds = {vocabulary.kind(c) for c in tagging.ids}
    return "support" in kinds and not kinds & {"technology", "application"}


def asks_for_support(tagging: Tagging, vocabulary: Vocabulary) -> bool:
    """The query asks for some kind of generic support."""
    return any(vocabulary.kind(c) == "support" for c in tagging.ids)


def role_fit(query_org: OrgInfo, doc_org: OrgInfo) -> float:
    """Best complementarity between any role of the asking member and any role of the offering one."""
    return max((ROLE_FIT.get(q, {}).get(d, 0.5) for q in query_org.roles for d in doc_org.roles), default=0.5)


def region_fit(a: OrgInfo, b: OrgInfo) -> float:
    """1 for the same prefecture, 0.5 within Kyushu, else 0."""
    if a.prefecture == b.prefecture:
        return 1.0
    return 0.5 if a.prefecture in KYUSHU and b.prefecture in KYUSHU else 0.0


def industry_fit(need_org: OrgInfo, seed: Document) -> float:
    """1 when the seed has served the need owner's industry, 0.5 when it does not say."""
    if not seed.industries_served:
        return 0.5
    return 1.0 if need_org.industry in seed.industries_served else 0.0


def structure_score(need: Document, seed: Document) -> tuple[float, dict[str, float]]:
    """Roles, industry experience and region, in [0, 1], with the parts for reasons."""
    parts = {"role": role_fit(need.org, seed.org), "industry": industry_fit(need.org, seed),
             "region": region_fit(need.org, seed.org)}
    return 0.5 * parts["role"] + 0.3 * parts["industry"] + 0.2 * parts["region"], parts
