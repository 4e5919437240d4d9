"""The non-dense channels: vocabulary concepts and structure (roles, industry, region)."""

from dataclasses import dataclass

from matching.documents import Document, OrgInfo
from matching.vocabulary import ConceptStats, Tagging, Vocabulary

KYUSHU = frozenset(("福岡県", "佐賀県", "長崎県", "熊本県", "大分県", "宮崎県", "鹿児島県"))
PROVIDERS = frozenset(("vendor_hw", "vendor_sys", "sier"))
RELATED_WEIGHT = 0.5
TEST_SITE = "test-field"
FIELD_HOLDERS = frozenset(("government", "university", "kosen", "public_research"))
# Role fit of an offer to host trials (a test site) for a need that does not look for one: such an offer
# answers a provider's search for a place to try its product, not an adopter's own trouble.
TEST_SITE_MISFIT = 0.0
# Role fit cap of a technology provider's offer for a need that looks for a test site: it offers no site.
NO_SITE_FIT = 0.5

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


def concept_overlap(query: Tagging, doc: Tagging, vocabulary: Vocabulary, stats: ConceptStats,
                    floor: float = 0.0) -> ConceptOverlap:
    """IDF-weighted overlap of concepts, counting problem→solution links at half weight and concepts found by
    meaning at their weight; divided by the query's concept weight, or `floor` if that is larger."""
    def rarest_first(ids: set[str] | frozenset[str]) -> list[str]:
        # A fixed order (not set order, which varies between processes) keeps reasons the same every run.
        return sorted(ids, key=lambda c: (-stats.idf(c), c))

    shared = tuple(rarest_first(query.ids & doc.ids))
    linked: list[tuple[str, str]] = []
    link_weight: dict[str, float] = {}
    seen = set(shared)
    for q in rarest_first(query.ids):
        for d in rarest_first(vocabulary.related(q) & doc.ids):
            if d in query.ids:
                continue
            link_weight[d] = max(link_weight.get(d, 0.0), RELATED_WEIGHT * query.weight(q))
            if d not in seen:
                seen.add(d)
                linked.append((q, d))
    raw = (sum(query.weight(c) * stats.idf(c) * doc.weight(c) for c in shared)
           + sum(w * stats.idf(d) * doc.weight(d) for d, w in link_weight.items()))
    norm = max(sum(query.weight(c) * stats.idf(c) for c in query.ids), floor) or 1.0
    return ConceptOverlap(shared, tuple(linked), raw / norm)


def support_only(tagging: Tagging, vocabulary: Vocabulary) -> bool:
    """A document that offers only generic support (funding, training, test sites …) and no technology.
    Judged on the concepts the text names: closeness in meaning does not make an offer technical."""
    kinds = {vocabulary.kind(c) for c in tagging.concepts}
    return "support" in kinds and not kinds & {"technology", "application"}


def asks_for_support(tagging: Tagging, vocabulary: Vocabulary) -> bool:
    """The query asks for some kind of generic support."""
    return any(vocabulary.kind(c) == "support" for c in tagging.ids)


def offers_test_site(seed: Document, tagging: Tagging) -> bool:
    """An offer of a place to try things: a user company's own site, or the test field of a body that has
    one (a town, a university). Banks, associations and labs that name 実証先 introduce partners instead."""
    return TEST_SITE in tagging.concepts and ("user" in seed.org.roles or seed.org.support_type in FIELD_HOLDERS)


def seeks_test_site(tagging: Tagging) -> bool:
    """A need that looks for a place to try something."""
    return TEST_SITE in tagging.concepts


def provider_only(org: OrgInfo) -> bool:
    """A member that only provides technology (no user or support role)."""
    return bool(org.roles) and set(org.roles) <= PROVIDERS


def answering_role_fit(base: float, need_adopter: bool, need_seeks_site: bool, seed_offers_site: bool,
                       seed_provider_only: bool) -> float:
    """Role fit knowing what answers what: a test site answers a search for one, not an adopter's own
    trouble; a search for a test site is not answered by another provider's technology."""
    if seed_offers_site:
        if need_seeks_site:
            return 1.0
        return TEST_SITE_MISFIT if need_adopter else base
    if need_seeks_site and seed_provider_only:
        return min(base, NO_SITE_FIT)
    return base


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


def structure_score(need: Document, seed: Document, need_tagging: Tagging | None = None,
                    seed_tagging: Tagging | None = None) -> tuple[float, dict[str, float]]:
    """Roles, industry experience and region, in [0, 1], with the parts for reasons."""
    role = role_fit(need.org, seed.org)
    if need_tagging is not None and seed_tagging is not None:
        role = answering_role_fit(role, "user" in need.org.roles, seeks_test_site(need_tagging),
                                  offers_test_site(seed, seed_tagging), provider_only(seed.org))
    parts = {"role": role, "industry": industry_fit(need.org, seed), "region": region_fit(need.org, seed.org)}
    return 0.5 * parts["role"] + 0.3 * parts["industry"] + 0.2 * parts["region"], parts
