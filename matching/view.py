"""A column view of a corpus: one row per document, numpy arrays per channel, so a query scores every
document with a few vectorized operations and only the top few become full matches with evidence."""

from dataclasses import dataclass

import numpy as np

from matching.channels import (
    KYUSHU,
    NO_SITE_FIT,
    ROLE_FIT,
    TEST_SITE_MISFIT,
    offers_test_site,
    provider_only,
    seeks_test_site,
)
from matching.documents import Document, OrgInfo
from matching.lexical import BM25Index
from matching.vocabulary import Tagging, Vocabulary


def _role_fit(need_roles: tuple[str, ...], seed_roles: tuple[str, ...]) -> float:
    return max((ROLE_FIT.get(n, {}).get(s, 0.5) for n in need_roles for s in seed_roles), default=0.5)


@dataclass
class CorpusView:
    """Documents in a fixed row order with their per-row attributes as arrays (rebuilt after any change)."""

    ids: list[str]
    docs: list[Document]
    row: dict[str, int]
    id_order: np.ndarray  # rank of each id in sorted order: the tie-break of equal scores
    org_codes: np.ndarray
    org_index: dict[str, int]
    bm25_slots: np.ndarray
    support_only: np.ndarray
    concept_rows: dict[str, tuple[np.ndarray, np.ndarray]]  # concept id -> rows that have it, and how strongly
    japanese: np.ndarray  # share of Japanese words per row
    role_keys: np.ndarray
    role_sets: list[tuple[str, ...]]
    prefectures: np.ndarray  # prefecture per row (object array of str)
    kyushu: np.ndarray
    industries: np.ndarray  # the member's own JSIC division per row
    served: dict[str, np.ndarray]  # industry letter -> rows whose industries_served include it
    has_served: np.ndarray
    offers_site: np.ndarray  # seeds: an offer of a place to try things (see channels.offers_test_site)
    seeks_site: np.ndarray  # needs: looking for such a place
    provider_only: np.ndarray  # the member only provides technology
    adopter: np.ndarray  # the member has the user role
    area_rows: dict[str, np.ndarray]  # prefecture -> rows of seeds available there (only seeds with an area)
    has_area: np.ndarray  # the seed is available only in some prefectures

    @classmethod
    def build(cls, docs: dict[str, Document], taggings: dict[str, Tagging], bm25: BM25Index,
              vocabulary: Vocabulary, support_only: dict[str, bool],
              areas: dict[str, tuple[str, ...]] | None = None) -> "CorpusView":
        """The view of the documents as they are now; areas: the limited seeds' prefectures."""
        areas = areas or {}
        ids = sorted(docs)
        rows = [docs[i] for i in ids]
        n = len(ids)
        org_index: dict[str, int] = {}
        role_index: dict[tuple[str, ...], int] = {}
        concept_lists: dict[str, list[tuple[int, float]]] = {}
        served_lists: dict[str, list[int]] = {}
        area_lists: dict[str, list[int]] = {}
        for r, doc_id in enumerate(ids):
            for prefecture in areas.get(doc_id, ()):
                area_lists.setdefault(prefecture, []).append(r)
            tagging = taggings[doc_id]
            for concept in tagging.ids:
                concept_lists.setdefault(concept, []).append((r, tagging.weight(concept)))
            for letter in rows[r].industries_served:
                served_lists.setdefault(letter, []).append(r)
        return cls(
            ids=ids, docs=rows, row={d: r for r, d in enumerate(ids)}, id_order=np.arange(n),
            org_codes=np.fromiter((org_index.setdefault(d.org.id, len(org_index)) for d in rows), np.int64, n),
            org_index=org_index,
            bm25_slots=np.fromiter((bm25.slot(i) for i in ids), np.int64, n),
            support_only=np.fromiter((support_only[i] for i in ids), bool, n),
            concept_rows={c: (np.fromiter((r for r, _ in v), np.int64, len(v)),
                               np.fromiter((w for _, w in v), np.float64, len(v))) for c, v in concept_lists.items()},
            japanese=np.fromiter((bm25.japanese(i) for i in ids), np.float64, n),
            role_keys=np.fromiter((role_index.setdefault(d.org.roles, len(role_index)) for d in rows), np.int64, n),
            role_sets=list(role_index),
            prefectures=np.array([d.org.prefecture for d in rows], dtype=object),
            kyushu=np.fromiter((d.org.prefecture in KYUSHU for d in rows), bool, n),
            industries=np.array([d.org.industry for d in rows], dtype=object),
            served={k: np.asarray(v, dtype=np.int64) for k, v in served_lists.items()},
            has_served=np.fromiter((bool(d.industries_served) for d in rows), bool, n),
            offers_site=np.fromiter((d.kind == "seed" and offers_test_site(d, taggings[d.id]) for d in rows), bool, n),
            seeks_site=np.fromiter((d.kind == "need" and seeks_test_site(taggings[d.id]) for d in rows), bool, n),
            provider_only=np.fromiter((provider_only(d.org) for d in rows), bool, n),
            adopter=np.fromiter(("user" in d.org.roles for d in rows), bool, n),
            area_rows={k: np.asarray(v, dtype=np.int64) for k, v in area_lists.items()},
            has_area=np.fromiter((bool(areas.get(i)) for i in ids), bool, n),
        )

    def __len__(self) -> int:
        return len(self.ids)

    def concept_scores(self, weights: dict[str, float]) -> np.ndarray:
        """Sum of the weights of the concepts each row has, each times how strongly the row has it."""
        scores = np.zeros(len(self.ids), dtype=np.float64)
        for concept, weight in weights.items():
            found = self.concept_rows.get(concept)
            if found is not None:
                scores[found[0]] += weight * found[1]
        return scores

    def structure_scores(self, query: Document, tagging: Tagging | None = None) -> np.ndarray:
        """0.5 role + 0.3 industry + 0.2 region fit of every row to a stored need or seed (see channels);
        with the query's tagging, roles fit by what answers what (channels.answering_role_fit)."""
        if query.kind == "need":  # rows are seeds answering the need
            role = np.array([_role_fit(query.org.roles, roles) for roles in self.role_sets])[self.role_keys]
            if tagging is not None:
                seeks = seeks_test_site(tagging)
                if seeks or "user" in query.org.roles:  # see channels.answering_role_fit
                    role = np.where(self.offers_site, 1.0 if seeks else TEST_SITE_MISFIT, role)
                if seeks:
                    role = np.where(~self.offers_site & self.provider_only, np.minimum(role, NO_SITE_FIT), role)
            industry = np.where(self.has_served, 0.0, 0.5)
            rows = self.served.get(query.org.industry)
            if rows is not None:
                industry[rows] = 1.0
        else:  # rows are needs the seed may serve
            role = np.array([_role_fit(roles, query.org.roles) for roles in self.role_sets])[self.role_keys]
            if tagging is not None:
                if offers_test_site(query, tagging):
                    role = np.where(self.seeks_site, 1.0, np.where(self.adopter, TEST_SITE_MISFIT, role))
                elif provider_only(query.org):
                    role = np.where(self.seeks_site, np.minimum(role, NO_SITE_FIT), role)
            if query.industries_served:
                industry = np.isin(self.industries, list(query.industries_served)).astype(np.float64)
            else:
                industry = np.full(len(self.ids), 0.5)
        return 0.5 * role + 0.3 * industry + 0.2 * self.region_scores(query.org)

    def outside_area(self, query: Document | None, area: tuple[str, ...] = ()) -> np.ndarray:
        """Rows the query cannot be served across: for a need, seeds limited to prefectures other than its
        member's; for a seed limited to `area`, needs of members elsewhere. All False for free text."""
        outside = np.zeros(len(self.ids), dtype=bool)
        if query is None:
            return outside
        if query.kind == "need":
            outside = self.has_area.copy()
            rows = self.area_rows.get(query.org.prefecture)
            if rows is not None:
                outside[rows] = False
        elif area:
            outside = ~np.isin(self.prefectures, list(area))
        return outside

    def region_scores(self, org: OrgInfo) -> np.ndarray:
        """1 in the same prefecture, 0.5 both in Kyushu, else 0."""
        same = self.prefectures == org.prefecture
        both_kyushu = self.kyushu & (org.prefecture in KYUSHU)
        return np.where(same, 1.0, np.where(both_kyushu, 0.5, 0.0))
