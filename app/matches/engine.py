"""The matching engine of a running service: encoder, FAISS indexes and lexical corpora kept in step
with the database, and the ranking calls the routes and the CLI make."""

import gc
import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, cast

import numpy as np
from sqlalchemy import String, func, select, type_coerce
from sqlalchemy.orm import Session

from app.config import Settings
from app.errors import NotFound
from app.matches import analyses, changes
from app.matches.vectors import CacheStats, embed_documents, text_hash
from app.roster.models import Need, Organization, Seed
from embeddings.encoder import Encoder, SentenceTransformerEncoder, configure_threads
from embeddings.ensemble import EnsembleEncoder, second_encoder, text_encoder
from embeddings.index import VectorIndex
from embeddings.snapshot import (
    FORMAT as SNAPSHOT_FORMAT,
)
from embeddings.snapshot import (
    Manifest,
    SnapshotError,
    building,
    load_snapshot_and_extras,
    read_manifest,
    save_snapshot,
)
from matching.corpus import Corpus, Known
from matching.documents import Document, OrgInfo
from matching.meaning import ConceptMeaning, sentences
from matching.ranker import Dense, Match, Query, Weights, rank
from matching.view import CorpusView
from matching.vocabulary import Tagging, Vocabulary, load_vocabulary

log = logging.getLogger(__name__)
KINDS: dict[str, type[Need] | type[Seed]] = {"seed": Seed, "need": Need}
# Rows whose cosines estimate the corpus's mean and spread for an approximate (HNSW) search: the z-score of
# the nearest documents needs the whole corpus as reference, not only the few the search returned.
SPREAD_SAMPLE = 2048


@dataclass(frozen=True)
class Filters:
    """Restrictions on the documents returned."""

    prefecture: str | None = None
    role: str | None = None
    industry: str | None = None

    @property
    def respect_area(self) -> bool:
        """Seeds limited to other prefectures stay out unless the asker chose a prefecture to look in."""
        return self.prefecture is None

    def keep(self, doc: Document) -> bool:
        """True when the document's member passes every filter."""
        return ((self.prefecture is None or doc.org.prefecture == self.prefecture)
                and (self.role is None or self.role in doc.org.roles)
                and (self.industry is None or doc.org.industry == self.industry))


@dataclass(frozen=True)
class _Posting:
    """A need or seed as the engine loads it: its row id and the ranking's document."""

    id: int
    document: Document

    @property
    def external_id(self) -> str:
        return self.document.id

    @property
    def text(self) -> str:
        """Title and description, the text that gets embedded (as the roster's models give it)."""
        return f"{self.document.title}\n{self.document.description}"


BATCH = 5000  # ids per IN list


def _batches(ids: list[int]) -> list[list[int]]:
    ordered = sorted(ids)
    return [ordered[start:start + BATCH] for start in range(0, len(ordered), BATCH)]


class _Lists:
    """JSON lists of strings as tuples, each distinct value decoded once: tags, roles and areas repeat across
    postings, and decoding them row by row was a good part of a start. (The column is read as text; a driver
    that decodes JSON itself hands over the list.)"""

    def __init__(self) -> None:
        self._decoded: dict[str, tuple[str, ...]] = {}

    def __call__(self, value: object) -> tuple[str, ...]:
        if value is None:
            return ()
        if not isinstance(value, str):
            return tuple(cast(list[str], value))
        found = self._decoded.get(value)
        if found is None:
            found = self._decoded[value] = tuple(json.loads(value) or ())
        return found


def _as_text(column: Any) -> Any:
    return type_coerce(column, String)


def _members(session: Session, ids: set[int], lists: _Lists) -> dict[int, OrgInfo]:
    """The ranking's view of these members, by row id: one object per member, shared by its postings."""
    columns = select(Organization.id, Organization.external_id, Organization.name, _as_text(Organization.roles),
                     Organization.prefecture, Organization.industry, Organization.support_type)
    rows: list[Any] = []
    for batch in _batches(list(ids)):
        rows.extend(session.execute(columns.where(Organization.id.in_(batch))).all())
    return {i: OrgInfo(external_id, name, lists(roles), prefecture, industry, support_type)
            for i, external_id, name, roles, prefecture, industry, support_type in rows}


def _postings(session: Session, kind: str, ids: list[int]) -> list[_Posting]:
    """The needs or seeds with these ids, in id order, read as columns: only what the ranking uses, without
    the ORM's objects (at 100k seeds they were most of a start's time)."""
    model = KINDS[kind]
    columns = [model.id, model.external_id, model.title, model.description, _as_text(model.tags).label("tags"),
               model.organization_id]
    if model is Seed:
        columns += [_as_text(Seed.industries_served).label("served"), _as_text(Seed.service_area).label("area")]
    rows: list[Any] = []
    for batch in _batches(ids):
        rows.extend(session.execute(select(*columns).where(model.id.in_(batch)).order_by(model.id)).all())
    lists = _Lists()
    members = _members(session, {r.organization_id for r in rows}, lists)
    postings = []
    for row in rows:
        served, area = (lists(row.served), lists(row.area)) if model is Seed else ((), ())
        postings.append(_Posting(row.id, Document(row.external_id, kind, row.title, row.description,
                                                  members[row.organization_id], lists(row.tags), served, area)))
    return postings


def _reusable(kept: analyses.KeptAnalyses, docs: list[Document]) -> dict[str, Known]:
    """What was kept from these very texts, by document id."""
    reusable = {}
    for doc in docs:
        known = kept.get(doc.id)
        if known is not None and known[0] == text_hash(doc.text):
            reusable[doc.id] = known[1]
    return reusable


def database_watermark(session: Session) -> str:
    """Changes whenever a need, seed or member is added, edited or deleted.

    One statement of scalar subqueries, each a lone aggregate: a database answers a lone max from its index
    (updated_at and id are indexed), where max and count together in one select read every row.
    """
    aggregates = [select(aggregate).select_from(model).scalar_subquery()
                  for model in (Organization, Need, Seed)
                  for aggregate in (func.count(), func.max(model.updated_at), func.max(model.id))]
    values = session.execute(select(*aggregates)).one()
    return "|".join(":".join(v.isoformat() if isinstance(v, datetime) else str(v) for v in values[i:i + 3])
                    for i in range(0, len(values), 3))


def weights_from(settings: Settings) -> Weights:
    """Fusion weights from the settings."""
    return Weights(dense=settings.weight_dense, lexical=settings.weight_lexical,
                   vocabulary=settings.weight_vocabulary, structure=settings.weight_structure,
                   support_mismatch=settings.weight_support_mismatch,
                   max_per_organization=settings.max_per_organization,
                   dense_temperature=settings.dense_temperature, concept_floor=settings.concept_floor,
                   lexical_across_languages=settings.weight_lexical_across_languages,
                   feedback_docs=settings.feedback_docs, feedback_weight=settings.feedback_weight)


@dataclass(frozen=True)
class _RowMap:
    """How a vector index lines up with a corpus view: each row's position in the index, each position's row
    (-1 for none), the mean of the vectors and an even sample of them for the cosine's spread."""

    view: CorpusView
    index: VectorIndex
    layout: int  # the index's layout the positions are of
    positions: np.ndarray  # the index position of each view row
    rows: np.ndarray  # the view row of each index position, or -1
    centroid: np.ndarray  # the query's mean cosine over the corpus is its product with this
    sample: np.ndarray  # vectors of SPREAD_SAMPLE rows spread evenly over the view

    @classmethod
    def build(cls, view: CorpusView, index: VectorIndex, external: dict[str, int]) -> "_RowMap":
        """The map for the current view and index."""
        positions = index.positions(external[i] for i in view.ids)
        rows = np.full(index.size, -1, dtype=np.int64)
        rows[positions] = np.arange(len(positions))
        sampled = np.unique(np.linspace(0, len(positions) - 1, SPREAD_SAMPLE).astype(np.int64)) if len(positions) \
            else np.zeros(0, dtype=np.int64)
        return cls(view, index, index.layout, positions, rows, index.centroid(), index.vectors_at(positions[sampled]))

    def current(self, view: CorpusView, index: VectorIndex) -> bool:
        """Whether the map still describes this view and index (a rebuild renumbers the index's positions)."""
        return (self.view is view and self.index is index and self.layout == index.layout
                and len(self.rows) == index.size)


class MatchingEngine:
    """Holds what ranking needs in memory; `sync` brings it up to date with the database incrementally."""

    def __init__(self, settings: Settings, encoder: Encoder, vocabulary: Vocabulary) -> None:
        self.settings = settings
        self.encoder = encoder
        self.text_encoder = text_encoder(encoder)  # free text, concept phrasings and the sentences they meet
        self.vocabulary = vocabulary
        self.weights = weights_from(settings)
        self.corpora = {kind: Corpus(vocabulary) for kind in KINDS}
        self.vectors = {kind: VectorIndex(encoder.dimension, settings.hnsw_threshold) for kind in KINDS}
        self.embedding_cache = CacheStats()
        # id -> (external id, its stamp and its member's, as the driver returns them)
        self._versions: dict[str, dict[int, tuple[str, object, object]]] = {k: {} for k in KINDS}
        self._external: dict[str, dict[str, int]] = {k: {} for k in KINDS}
        self._row_maps: dict[str, _RowMap] = {}
        self.meaning: ConceptMeaning | None = None  # set up with the first documents (it embeds the phrasings)
        self.watermark = ""
        # Grows whenever the documents change: what is derived from them (program facts) is kept per generation.
        self.generation = 0
        self._saved_generation = -1  # the generation the newest snapshot holds
        self._synced_version = -1
        self._checked_at = 0.0
        self._lock = threading.RLock()

    @classmethod
    def from_settings(cls, settings: Settings) -> "MatchingEngine":
        """The engine with the configured model and the shipped vocabulary."""
        from seed import VOCABULARY

        encoder: Encoder = SentenceTransformerEncoder(settings.embedding_model, settings.embedding_query_prefix,
                                                      settings.embedding_document_prefix,
                                                      cache_dir=settings.data_dir / "models")
        second = second_encoder(settings.embedding_second_model)
        if second is not None:
            encoder = EnsembleEncoder(encoder, second, settings.embedding_second_share)
        configure_threads(settings.embedding_threads)  # the constructors only read the environment
        return cls(settings, encoder, load_vocabulary(settings.vocabulary_path or VOCABULARY))

    @property
    def snapshot_dir(self) -> Path:
        """Where index snapshots live."""
        return self.settings.data_dir / "index"

    # --- keeping current -------------------------------------------------------------------------

    def start(self, session: Session) -> str:
        """Load the snapshot if it matches the database and model, else rebuild; returns what happened."""
        # This process's commits counted before the load: any made during it are synced by the first refresh,
        # which otherwise has nothing to do (at 100k seeds it read every row's stamps, 0.8 s of the first request).
        seen = changes.version()
        watermark = database_watermark(session)
        try:
            manifest, indexes, extras = self._current_snapshot(watermark)
        except SnapshotError:
            # Workers (and servers sharing the folder) starting together: one rebuilds, the others wait for
            # it and load what it saved rather than each embedding the whole corpus again.
            with building(self.snapshot_dir):
                watermark = database_watermark(session)
                try:
                    manifest, indexes, extras = self._current_snapshot(watermark)
                except SnapshotError as exc:
                    log.info("rebuilding the index: %s", exc)
                    self.rebuild(session)
                    self._settle(seen)
                    return f"rebuilt ({exc})"
        with self._lock:
            self.vectors = {kind: indexes[kind] if kind in indexes
                            else VectorIndex(self.encoder.dimension, self.settings.hnsw_threshold) for kind in KINDS}
            kept = {kind: analyses.load(extras.get(analyses.file_name(kind)), self.vocabulary) for kind in KINDS}
            derived = self._load_documents(session, embed=False, kept=kept)
            for kind in KINDS:  # vectors of rows the database no longer holds (none, unless it changed unseen)
                self.vectors[kind].remove([i for i in self.vectors[kind].ids() if i not in self._versions[kind]])
            self.watermark = watermark
            self.generation += 1
            self._saved_generation = self.generation
            if derived:
                # A new analyzer or vocabulary (an upgrade), or texts changed unseen: what was derived again is
                # saved now, or every start would derive it again (at 100k seeds, tagging anew took 25 s).
                try:
                    self.save()
                except OSError as exc:  # a full or read-only data folder: serve anyway, derive again next time
                    log.warning("could not save the index snapshot after deriving %d texts again: %s", derived, exc)
        self._settle(seen)
        return "loaded snapshot"

    def _current_snapshot(self, watermark: str) -> tuple[Manifest, dict[str, VectorIndex], dict[str, bytes]]:
        manifest, indexes, extras = load_snapshot_and_extras(self.snapshot_dir, model_id=self.encoder.model_id,
                                                             hnsw_threshold=self.settings.hnsw_threshold,
                                                             mapped=self.settings.index_mapped)
        if manifest.watermark != watermark:
            raise SnapshotError("snapshot is older than the database")
        return manifest, indexes, extras

    def _settle(self, seen: int) -> None:
        """Count the engine as synced up to this process's commit `seen`, build the column views now rather
        than on the first request, and move the loaded corpus out of the garbage collector's way: full
        collections walking its many long-lived objects showed up as the slowest requests (p99)."""
        with self._lock:
            self._synced_version, self._checked_at = seen, time.monotonic()
            for kind in KINDS:
                self._dense(kind, np.zeros(self.encoder.dimension, dtype=np.float32))
        gc.collect()
        gc.freeze()

    def rebuild(self, session: Session, *, show_progress: bool = False) -> None:
        """Rebuild every index from the database (vectors from the cache where present) and save a snapshot."""
        with self._lock:
            self.corpora = {kind: Corpus(self.vocabulary) for kind in KINDS}
            self.vectors = {kind: VectorIndex(self.encoder.dimension, self.settings.hnsw_threshold)
                            for kind in KINDS}
            self._versions = {k: {} for k in KINDS}
            self._external = {k: {} for k in KINDS}
            self.watermark = database_watermark(session)
            self._load_documents(session, embed=True, show_progress=show_progress)
            self.generation += 1
            self.save()

    def save(self) -> None:
        """Write the current vectors, and the analyses of the texts, as a snapshot."""
        with self._lock:
            save_snapshot(self.snapshot_dir, self.vectors, model_id=self.encoder.model_id, watermark=self.watermark,
                          extras={analyses.file_name(kind): analyses.dump(self.corpora[kind]) for kind in KINDS})
            self._saved_generation = self.generation

    def save_if_changed(self) -> bool:
        """Write a snapshot if the documents changed since the last one; True if it did.

        A server saves when it stops, so that its next start loads the index rather than rebuilding it (a
        start takes only a snapshot whose watermark is the database's).
        """
        with self._lock:
            if self.generation == self._saved_generation or self._current_snapshot_is(self.watermark):
                return False
            self.save()
            return True

    def _current_snapshot_is(self, watermark: str) -> bool:
        """Whether the folder's current snapshot was saved at this watermark by this model (another worker
        of the same server, stopping at the same time, saved the same index)."""
        try:
            _, manifest = read_manifest(self.snapshot_dir)
        except SnapshotError:
            return False
        return (manifest.watermark == watermark and manifest.model_id == self.encoder.model_id
                and manifest.format == SNAPSHOT_FORMAT
                and set(manifest.extras) >= {analyses.file_name(kind) for kind in KINDS})

    def refresh(self, session: Session) -> bool:
        """Sync when this process committed a change to members, needs or seeds since the last sync, or
        when the last check is older than `index_poll_seconds` (changes made by other processes, such as
        an import from the command line); cheap otherwise. True if anything changed."""
        seen = changes.version()
        if not self.refresh_due():
            return False
        committed_here = seen != self._synced_version
        self._synced_version = seen  # before syncing: a commit during the sync bumps the version again
        # After a commit of this process, look row by row even if the watermark stayed: two transactions that
        # commit out of the order of their updated_at leave the later one's edit below the newest timestamp.
        changed = self.sync(session, force=committed_here)
        self._checked_at = time.monotonic()
        return changed

    def refresh_due(self) -> bool:
        """Whether refresh would look at the database now: a change committed in this process since the last
        sync, or the last check older than `index_poll_seconds`."""
        return (changes.version() != self._synced_version
                or time.monotonic() - self._checked_at >= self.settings.index_poll_seconds)

    def sync(self, session: Session, *, force: bool = False) -> bool:
        """Apply whatever changed in the database since the last sync; True if anything did.

        Without force, an unchanged watermark is taken to mean that nothing changed.
        """
        watermark = database_watermark(session)
        if watermark == self.watermark and not force:
            return False
        with self._lock:
            if watermark == self.watermark and not force:
                return False
            before = self.generation
            self._load_documents(session, embed=True)
            self.watermark = watermark
            return self.generation != before

    def _load_documents(self, session: Session, *, embed: bool, show_progress: bool = False,
                        kept: dict[str, analyses.KeptAnalyses] | None = None) -> int:
        """Take in what changed in the database; returns how many documents were analyzed or tagged anew."""
        derived = 0
        self._set_up_meaning(session)
        for kind, model in KINDS.items():
            # What changed is told by ids and timestamps alone; only the changed rows are loaded whole, so a
            # sync after one edit costs one row, not the corpus.
            # The timestamps as the driver returns them (SQLite: text): they are only compared with the same
            # query's, and parsing them was most of a sync's time at 100k rows.
            stamps = session.execute(select(model.id, model.external_id,
                                            type_coerce(model.updated_at, String).label("stamp"),
                                            type_coerce(Organization.updated_at, String).label("member_stamp"))
                                     .join(Organization, model.organization_id == Organization.id)).all()
            versions: dict[int, tuple[str, object, object]] = {
                i: (external_id, updated, org_updated) for i, external_id, updated, org_updated in stamps}
            known = self._versions[kind]
            changed = _postings(session, kind, [i for i, v in versions.items() if known.get(i) != v])
            # A row deleted between the two queries is gone, not kept with its old version. A row edited in
            # between keeps the older stamps with its newer content, so the next sync loads it once more.
            versions = {i: v for i, v in versions.items() if known.get(i) == v} | {
                r.id: (r.external_id, *versions[r.id][1:]) for r in changed}
            gone = [i for i in known if i not in versions]
            # Vectors and meanings first: if embedding fails, nothing below has run and the indexes are as
            # they were, so a document is never searchable without its vector.
            docs = [r.document for r in changed]
            analyzed = (kept or {}).get(kind, {})
            reusable = _reusable(analyzed, docs)
            derived += sum(1 for doc in docs if doc.id not in reusable or reusable[doc.id].named is None)
            # A text other than the one the snapshot analyzed may have a vector of the old text: embed it.
            embedded = [r for r, doc in zip(changed, docs, strict=True) if embed or r.id not in self.vectors[kind]
                        or (doc.id in analyzed and doc.id not in reusable)]
            vectors = (embed_documents(session, self.encoder, [r.text for r in embedded],
                                       show_progress=show_progress, stats=self.embedding_cache)
                       if embedded else None)
            meanings = self._meanings(session, kind, changed, show_progress)
            self._remove(kind, gone)
            self._upsert(kind, changed, docs, meanings, reusable)
            if vectors is not None:
                self.vectors[kind].upsert([r.id for r in embedded], vectors)
            self._versions[kind] = versions
            if changed or gone:
                self.generation += 1
        return derived

    def _remove(self, kind: str, ids: list[int]) -> None:
        self.vectors[kind].remove(ids)
        for i in ids:
            external_id = self._versions[kind][i][0]
            self.corpora[kind].remove(external_id)
            self._external[kind].pop(external_id, None)

    def _set_up_meaning(self, session: Session) -> None:
        """Embed the vocabulary's phrasings once (cached like any text), unless meaning is switched off."""
        phrasings = self.vocabulary.phrasings()
        if self.meaning is not None or self.settings.concept_threshold >= 1 or not phrasings:
            return
        vectors = embed_documents(session, self.text_encoder, [text for _, text in phrasings],
                                  stats=self.embedding_cache)
        self.meaning = ConceptMeaning.build(phrasings, vectors, self.settings.concept_threshold)

    def _meanings(self, session: Session, kind: str, rows: list[_Posting], show_progress: bool
                  ) -> list[dict[str, float]]:
        """Concepts each need's sentences mean (sentence vectors come from the cache after the first time).

        Needs only: they are written in the member's everyday words, the way the phrasings are; seeds name
        their technology, and closeness in meaning added to them blurred more than it found.
        """
        if self.meaning is None or kind != "need":
            return [{} for _ in rows]
        split = [sentences(r.document.title, r.document.description) for r in rows]
        vectors = embed_documents(session, self.text_encoder, [s for parts in split for s in parts],
                                  show_progress=show_progress, stats=self.embedding_cache)
        found, start = [], 0
        for parts in split:
            found.append(self.meaning.find(vectors[start:start + len(parts)]))
            start += len(parts)
        return found

    def _upsert(self, kind: str, rows: list[_Posting], docs: list[Document], meanings: list[dict[str, float]],
                reusable: dict[str, Known]) -> None:
        for row, doc, meaning in zip(rows, docs, meanings, strict=True):
            old = self._versions[kind].get(row.id)
            if old and old[0] != row.external_id:
                self.corpora[kind].remove(old[0])
            self.corpora[kind].add(doc, meaning, reusable.get(doc.id))
            self._external[kind][row.external_id] = row.id

    # --- ranking ---------------------------------------------------------------------------------

    def document(self, kind: str, external_id: str) -> Document:
        """A stored need or seed, or NotFound."""
        doc = self.corpora[kind].docs.get(external_id)
        if doc is None:
            raise NotFound(f"No {kind} with id {external_id!r}.")
        return doc

    def _dense(self, target: str, query_vector: np.ndarray, *, search: bool = True) -> Dense:
        """The query vector's cosines with the corpus view's rows.

        An exact (flat) index scores every document anyway, so it is one matrix product over the stored
        vectors, read in row order. An HNSW index is searched for the nearest `dense_candidates`; their z-scores
        take the cosine's mean over the corpus (exact, from the mean vector) and its spread over an even sample
        of the corpus, and the ranking scores the candidates other channels bring with the same vectors.
        Without `search`, no HNSW search is made: the ranking scores the candidates it has (the pseudo-relevance
        feedback's moved vector is near the first one).
        """
        index = self.vectors[target]
        view = self.corpora[target].view()
        cached = self._row_maps.get(target)
        if cached is None or not cached.current(view, index):
            cached = _RowMap.build(view, index, self._external[target])
            self._row_maps[target] = cached
        query = np.asarray(query_vector, dtype=np.float32)
        if index.kind == "flat":
            cosines = index.products(query)[cached.positions].astype(np.float64)
            return Dense(cosines, float(cosines.mean()) if len(cosines) else 0.0,
                         float(cosines.std()) if len(cosines) else 0.0)
        found, scores = index.search_positions(query, self.settings.dense_candidates if search else 0)
        rows = cached.rows[found]
        known = rows >= 0
        mean = float(cached.centroid @ query)  # exact: the mean of the products is the product with the mean
        spread = (cached.sample @ query).astype(np.float64) - mean if len(cached.sample) else np.zeros(1)
        positions = cached.positions
        return Dense(scores[known].astype(np.float64), mean, float(np.sqrt(np.mean(spread * spread))), rows[known],
                     lambda wanted: index.products_at(query, positions[wanted]).astype(np.float64))

    def _rank(self, query: Query, target: str, vector: np.ndarray, limit: int, filters: Filters,
              weights: Weights | None, exclude: Callable[[Document], bool] | None = None) -> list[Match]:
        def keep(doc: Document) -> bool:
            return filters.keep(doc) and not (exclude and exclude(doc))

        weights = weights or self.weights

        def feedback(best: list[Document]) -> Dense:
            # Pseudo-relevance feedback: the best documents of the first ranking pull the query vector toward
            # the words the corpus uses for the same thing (a need in everyday words, or in English, meets
            # seeds written in technical Japanese). Only the dense channel is computed again.
            index, ids = self.vectors[target], self._external[target]
            centroid = np.mean([index.vector(ids[d.id]) for d in best], axis=0)
            moved = vector + weights.feedback_weight * centroid
            return self._dense(target, (moved / (np.linalg.norm(moved) or 1.0)).astype(np.float32), search=False)

        with self._lock:
            return rank(query, self.corpora[target], self._dense(target, vector), weights, limit=limit, keep=keep,
                        respect_area=filters.respect_area, feedback=feedback,
                        channel_depth=self.settings.channel_candidates)

    def match_need(self, need_id: str, *, limit: int = 10, filters: Filters = Filters(),
                   weights: Weights | None = None, exclude: Callable[[Document], bool] | None = None) -> list[Match]:
        """Seeds of other members that can solve the need, best first."""
        with self._lock:
            need = self.document("need", need_id)
            vector = self.vectors["need"].vector(self._external["need"][need_id])
            tagging = self.corpora["need"].taggings.get(need_id)
        return self._rank(Query.of(need, tagging), "seed", vector, limit, filters, weights, exclude)

    def match_seed(self, seed_id: str, *, limit: int = 10, filters: Filters = Filters(),
                   weights: Weights | None = None, exclude: Callable[[Document], bool] | None = None) -> list[Match]:
        """Needs of other members that the seed can serve, best first."""
        with self._lock:
            seed = self.document("seed", seed_id)
            vector = self.vectors["seed"].vector(self._external["seed"][seed_id])
            tagging = self.corpora["seed"].taggings.get(seed_id)
        return self._rank(Query.of(seed, tagging), "need", vector, limit, filters, weights, exclude)

    def search(self, text: str, *, target: str = "seed", limit: int = 10, filters: Filters = Filters(),
               exclude: Callable[[Document], bool] | None = None) -> list[Match]:
        """Free-text search over seeds or needs."""
        first = self.text_encoder.encode_queries([text])[0]
        vector = first if self.text_encoder is self.encoder else self._as_query(first)
        return self._rank(Query(text=text, tagging=self._tag_text(text, first)), target, vector, limit, filters,
                          None, exclude)

    def _as_query(self, first: np.ndarray) -> np.ndarray:
        """A free-text query's vector in an ensemble's space: the first encoder's, the second part zero."""
        return np.concatenate([first, np.zeros(self.encoder.dimension - len(first), dtype=np.float32)])

    def _tag_text(self, text: str, vector: np.ndarray) -> Tagging:
        """Concepts of a free text, by terms and by meaning (its sentences; a one-sentence text is its vector)."""
        tagging = self.vocabulary.tag(text)
        if self.meaning is None:
            return tagging
        parts = sentences("", text)
        encoder = self.text_encoder
        same_encoding = getattr(encoder, "query_prefix", "") == getattr(encoder, "document_prefix", "")
        if len(parts) == 1 and same_encoding:
            vectors = vector[None, :]
        else:
            vectors = encoder.encode_documents(parts)
        return tagging.with_meaning(self.meaning.find(vectors))
