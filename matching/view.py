"""A column view of a corpus: one row per document, numpy arrays per channel, so a query scores every
document with a few vectorized operations and only the top few become full matches with evidence."""

import heapq
from dataclasses import dataclass, fields, replace
from typing import Any

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

Rows = np.ndarray | slice  # rows of the view: an index array, or slice(None) for every row
EVERY_ROW = slice(None)


def _codes(values: list[str], index: dict[str, int]) -> np.ndarray:
    """Each value's number in `index` (which grows with new values): compared as integers, not strings."""
    return np.fromiter((index.setdefault(v, len(index)) for v in values), np.int64, len(values))


def _bits(sets: list[tuple[str, ...]], index: dict[str, int]) -> np.ndarray:
    """One bit per value (its number in `index`, which grows) for each row's set of values: a row's membership
    test is then one AND, whatever rows are asked for. The values are JSIC divisions or prefectures (under 64)."""
    masks = np.zeros(len(sets), dtype=np.uint64)
    for r, values in enumerate(sets):
        bits = 0
        for value in values:
            bits |= 1 << index.setdefault(value, len(index))
        masks[r] = bits
    if len(index) > 64:
        raise ValueError(f"at most 64 distinct values fit a row's bit mask, not {len(index)}")
    return masks


def _bit(index: dict[str, int], value: str | None) -> np.uint64:
    return np.uint64(1 << index[value]) if value in index else np.uint64(0)


def _role_fit(need_roles: tuple[str, ...], seed_roles: tuple[str, ...]) -> float:
    return max((ROLE_FIT.get(n, {}).get(s, 0.5) for n in need_roles for s in seed_roles), default=0.5)


@dataclass
class CorpusView:
    """Documents in a fixed row order with their per-row attributes as arrays (made anew, or from the last view
    after a few changes: see `updated`)."""

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
    prefectures: np.ndarray  # the member's prefecture per row, as its number in prefecture_index
    prefecture_index: dict[str, int]
    kyushu: np.ndarray
    industries: np.ndarray  # the member's own JSIC division per row, as its number in industry_index
    industry_index: dict[str, int]
    served: np.ndarray  # per row, a bit for each JSIC division its industries_served include (served_bits)
    served_bits: dict[str, int]
    has_served: np.ndarray
    offers_site: np.ndarray  # seeds: an offer of a place to try things (see channels.offers_test_site)
    seeks_site: np.ndarray  # needs: looking for such a place
    provider_only: np.ndarray  # the member only provides technology
    adopter: np.ndarray  # the member has the user role
    area: np.ndarray  # per row, a bit for each prefecture (area_bits) its seed is available in, 0 anywhere
    area_bits: dict[str, int]
    has_area: np.ndarray  # the seed is available only in some prefectures
    japanese_shares: tuple[np.ndarray, np.ndarray]  # the distinct shares of Japanese words, and how many rows each
    every_row: np.ndarray  # 0 .. n-1
    made_from_last: bool = False  # made by `updated` from the view before it, not built from scratch

    @classmethod
    def build(cls, docs: dict[str, Document], taggings: dict[str, Tagging], bm25: BM25Index,
              vocabulary: Vocabulary, support_only: dict[str, bool],
              areas: dict[str, tuple[str, ...]] | None = None, *, codes_from: "CorpusView | None" = None
              ) -> "CorpusView":
        """The view of the documents as they are now; areas: the limited seeds' prefectures; codes_from: a view
        whose numbering of members, roles, prefectures and industries this one extends (see `updated`)."""
        areas = areas or {}
        ids = sorted(docs)
        rows = [docs[i] for i in ids]
        n = len(ids)
        known = codes_from
        org_index: dict[str, int] = dict(known.org_index) if known else {}
        role_index: dict[tuple[str, ...], int] = {r: k for k, r in enumerate(known.role_sets)} if known else {}
        concept_lists: dict[str, list[tuple[int, float]]] = {}
        prefecture_index: dict[str, int] = dict(known.prefecture_index) if known else {}
        industry_index: dict[str, int] = dict(known.industry_index) if known else {}
        served_bits: dict[str, int] = dict(known.served_bits) if known else {}
        area_bits: dict[str, int] = dict(known.area_bits) if known else {}
        slots = bm25.slots(ids)
        japanese = bm25.japanese_at(slots)
        for r, doc_id in enumerate(ids):
            tagging = taggings[doc_id]
            for concept in tagging.concepts:  # named by its terms: weight 1 (see Tagging.weight)
                concept_lists.setdefault(concept, []).append((r, 1.0))
            for concept, weight in tagging.meaning.items():
                if concept not in tagging.concepts:
                    concept_lists.setdefault(concept, []).append((r, weight))
        return cls(
            ids=ids, docs=rows, row={d: r for r, d in enumerate(ids)}, id_order=np.arange(n),
            org_codes=np.fromiter((org_index.setdefault(d.org.id, len(org_index)) for d in rows), np.int64, n),
            org_index=org_index,
            bm25_slots=slots,
            support_only=np.fromiter((support_only[i] for i in ids), bool, n),
            concept_rows={c: (np.array([r for r, _ in v], dtype=np.int64),
                              np.array([w for _, w in v], dtype=np.float64)) for c, v in concept_lists.items()},
            japanese=japanese,
            role_keys=np.fromiter((role_index.setdefault(d.org.roles, len(role_index)) for d in rows), np.int64, n),
            role_sets=list(role_index),
            prefectures=_codes([d.org.prefecture for d in rows], prefecture_index), prefecture_index=prefecture_index,
            kyushu=np.fromiter((d.org.prefecture in KYUSHU for d in rows), bool, n),
            industries=_codes([d.org.industry for d in rows], industry_index), industry_index=industry_index,
            served=_bits([d.industries_served for d in rows], served_bits), served_bits=served_bits,
            has_served=np.fromiter((bool(d.industries_served) for d in rows), bool, n),
            offers_site=np.fromiter((d.kind == "seed" and offers_test_site(d, taggings[d.id]) for d in rows), bool, n),
            seeks_site=np.fromiter((d.kind == "need" and seeks_test_site(taggings[d.id]) for d in rows), bool, n),
            provider_only=np.fromiter((provider_only(d.org) for d in rows), bool, n),
            adopter=np.fromiter(("user" in d.org.roles for d in rows), bool, n),
            area=_bits([areas.get(i, ()) for i in ids], area_bits), area_bits=area_bits,
            has_area=np.fromiter((bool(areas.get(i)) for i in ids), bool, n),
            japanese_shares=np.unique(japanese, return_counts=True), every_row=np.arange(n),
        )

    def updated(self, docs: dict[str, Document], taggings: dict[str, Tagging], bm25: BM25Index,
                vocabulary: Vocabulary, support_only: dict[str, bool], areas: dict[str, tuple[str, ...]],
                fresh: set[str]) -> "CorpusView":
        """The view of `docs` made from this one, where `fresh` names the documents added or replaced since (the
        mappings need hold only those) and the rest are this view's or gone: only the fresh documents are read,
        the other rows are copied by whole-array operations, so that one edit costs O(n) copying, not O(n)
        work per document."""
        part = CorpusView.build({i: docs[i] for i in fresh}, taggings, bm25, vocabulary, support_only, areas,
                                codes_from=self)
        ids = list(heapq.merge((i for i in self.ids if i in docs and i not in fresh), part.ids))
        n, before = len(ids), len(self.ids)
        source = np.fromiter((before + part.row[i] if i in part.row else self.row[i] for i in ids), np.int64, n)
        target = np.full(before + len(part.ids), -1, dtype=np.int64)  # the new row of each source row
        target[source] = np.arange(n)
        columns: dict[str, Any] = {}
        for column in fields(self):
            mine, theirs = getattr(self, column.name), getattr(part, column.name)
            if isinstance(mine, np.ndarray) and mine.ndim == 1 and len(mine) == before and column.name not in (
                    "id_order", "every_row"):
                columns[column.name] = np.concatenate([mine, theirs])[source]
        concept_rows = {}
        none = (np.zeros(0, np.int64), np.zeros(0))
        for concept in self.concept_rows.keys() | part.concept_rows.keys():
            (old_rows, old_weights), (new_rows, new_weights) = (self.concept_rows.get(concept, none),
                                                                part.concept_rows.get(concept, none))
            rows = target[np.concatenate([old_rows, new_rows + before])]
            weights = np.concatenate([old_weights, new_weights])
            kept = rows >= 0
            if kept.any():
                concept_rows[concept] = (rows[kept], weights[kept])
        every = self.docs + part.docs
        return replace(
            part, **columns, ids=ids, docs=[every[s] for s in source], row={d: r for r, d in enumerate(ids)},
            id_order=np.arange(n), concept_rows=concept_rows, every_row=np.arange(n),
            japanese_shares=np.unique(columns["japanese"], return_counts=True), made_from_last=True)

    def __len__(self) -> int:
        return len(self.ids)

    def row_numbers(self, rows: Rows) -> np.ndarray:
        """The numbers of these rows (0 .. n-1 for every row)."""
        return self.every_row[rows]

    def concept_scores(self, weights: dict[str, float]) -> np.ndarray:
        """Sum of the weights of the concepts each row has, each times how strongly the row has it."""
        scores = np.zeros(len(self.ids), dtype=np.float64)
        for concept, weight in weights.items():
            found = self.concept_rows.get(concept)
            if found is not None:
                scores[found[0]] += weight * found[1]
        return scores

    def structure_scores(self, query: Document, tagging: Tagging | None = None, rows: Rows = EVERY_ROW
                         ) -> np.ndarray:
        """0.5 role + 0.3 industry + 0.2 region fit of the rows (default every row) to a stored need or seed
        (see channels); with the query's tagging, roles fit by what answers what (channels.answering_role_fit)."""
        offers_site, role_keys = self.offers_site[rows], self.role_keys[rows]
        if query.kind == "need":  # rows are seeds answering the need
            role = np.array([_role_fit(query.org.roles, roles) for roles in self.role_sets])[role_keys]
            if tagging is not None:
                seeks = seeks_test_site(tagging)
                if seeks or "user" in query.org.roles:  # see channels.answering_role_fit
                    role = np.where(offers_site, 1.0 if seeks else TEST_SITE_MISFIT, role)
                if seeks:
                    role = np.where(~offers_site & self.provider_only[rows], np.minimum(role, NO_SITE_FIT), role)
            industry = np.where(self.served[rows] & _bit(self.served_bits, query.org.industry), 1.0,
                                np.where(self.has_served[rows], 0.0, 0.5))
        else:  # rows are needs the seed may serve
            role = np.array([_role_fit(roles, query.org.roles) for roles in self.role_sets])[role_keys]
            if tagging is not None:
                seeks_site = self.seeks_site[rows]
                if offers_test_site(query, tagging):
                    role = np.where(seeks_site, 1.0, np.where(self.adopter[rows], TEST_SITE_MISFIT, role))
                elif provider_only(query.org):
                    role = np.where(seeks_site, np.minimum(role, NO_SITE_FIT), role)
            if query.industries_served:
                industry = np.isin(self.industries[rows], self._known(self.industry_index, query.industries_served)
                                   ).astype(np.float64)
            else:
                industry = np.full(len(role), 0.5)
        return 0.5 * role + 0.3 * industry + 0.2 * self.region_scores(query.org, rows)

    @staticmethod
    def _known(index: dict[str, int], values: tuple[str, ...]) -> list[int]:
        return [index[v] for v in values if v in index]

    def outside_area(self, query: Document | None, area: tuple[str, ...] = (), rows: Rows = EVERY_ROW
                     ) -> np.ndarray:
        """Which rows the query cannot be served across: for a need, seeds limited to prefectures other than
        its member's; for a seed limited to `area`, needs of members elsewhere. All False for free text."""
        if query is None:
            return np.zeros(len(self.ids), dtype=bool)[rows]
        if query.kind == "need":
            return self.has_area[rows] & ((self.area[rows] & _bit(self.area_bits, query.org.prefecture)) == 0)
        if area:
            return ~np.isin(self.prefectures[rows], self._known(self.prefecture_index, area))
        return np.zeros(len(self.ids), dtype=bool)[rows]

    def region_scores(self, org: OrgInfo, rows: Rows = EVERY_ROW) -> np.ndarray:
        """1 in the same prefecture, 0.5 both in Kyushu, else 0."""
        same = self.prefectures[rows] == self.prefecture_index.get(org.prefecture, -1)
        both_kyushu = self.kyushu[rows] & (org.prefecture in KYUSHU)
        return np.where(same, 1.0, np.where(both_kyushu, 0.5, 0.0))
