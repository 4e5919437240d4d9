"""A FAISS index keyed by database ids: exact for small collections, HNSW above a threshold."""

from collections.abc import Sequence

import faiss
import numpy as np


class VectorIndex:
    """Inner-product search over L2-normalized vectors with stable int64 ids (IndexIDMap2).

    Exact (flat) search below `hnsw_threshold` vectors; HNSW above it. A flat index stores each vector
    under its id and deletes in place. HNSW cannot delete, so there every added vector gets a fresh FAISS
    label: replacing or removing an id retires its old label, and searches skip retired labels until
    the next rebuild.
    """

    def __init__(self, dimension: int, hnsw_threshold: int = 20000) -> None:
        self.dimension = dimension
        self.hnsw_threshold = hnsw_threshold
        self._vectors: dict[int, np.ndarray] = {}
        self._label_of: dict[int, int] = {}  # id -> FAISS label of its live vector
        self._id_of: dict[int, int] = {}  # live FAISS label -> id
        self._next_label = 0
        self._labels_are_ids = True  # every live vector sits under its own id (a flat index always)
        self._index = self._new_index(0)

    @classmethod
    def restore(cls, faiss_index: faiss.Index, ids: np.ndarray, vectors: np.ndarray,
                hnsw_threshold: int) -> "VectorIndex":
        """An index from a saved FAISS index (compacted: each vector under its id) and its vectors."""
        index = cls(vectors.shape[1] if vectors.ndim == 2 else faiss_index.d, hnsw_threshold)
        index._index = faiss_index  # type: ignore[assignment]  # an IndexIDMap2 as saved
        index._vectors = {int(i): v for i, v in zip(ids, vectors, strict=True)}
        index._label_of = {i: i for i in index._vectors}
        index._id_of = dict(index._label_of)
        index._next_label = max(index._vectors, default=-1) + 1
        return index

    @property
    def faiss_index(self) -> faiss.Index:
        """The underlying FAISS index, for saving (call compact() first)."""
        return self._index

    def compact(self) -> None:
        """Rebuild if HNSW holds retired vectors or fresh labels, so that each live vector sits under its id
        (what a snapshot stores and restore() expects)."""
        if self.retired or any(label != item_id for item_id, label in self._label_of.items()):
            self.rebuild()

    @property
    def kind(self) -> str:
        """'flat' or 'hnsw'."""
        return "hnsw" if self._is_hnsw else "flat"

    @property
    def retired(self) -> int:
        """Vectors still in the FAISS index that searches skip (HNSW only; a rebuild drops them)."""
        return int(self._index.ntotal) - len(self._id_of)

    @property
    def _is_hnsw(self) -> bool:
        return isinstance(faiss.downcast_index(self._index.index), faiss.IndexHNSWFlat)

    def _new_index(self, size: int) -> faiss.IndexIDMap2:
        if size > self.hnsw_threshold:
            inner: faiss.Index = faiss.IndexHNSWFlat(self.dimension, 32, faiss.METRIC_INNER_PRODUCT)
            inner.hnsw.efSearch = 128  # type: ignore[attr-defined]
            inner.hnsw.efConstruction = 80  # type: ignore[attr-defined]
        else:
            inner = faiss.IndexFlatIP(self.dimension)
        return faiss.IndexIDMap2(inner)

    def __len__(self) -> int:
        return len(self._vectors)

    def __contains__(self, item_id: int) -> bool:
        return item_id in self._vectors

    def ids(self) -> list[int]:
        """Every id in the index."""
        return list(self._vectors)

    def vector(self, item_id: int) -> np.ndarray:
        """The stored vector of an id."""
        return self._vectors[item_id]

    def upsert(self, ids: Sequence[int], vectors: np.ndarray) -> None:
        """Add vectors, replacing any with the same id."""
        if not len(ids):
            return
        ids = [int(i) for i in ids]
        vectors = np.ascontiguousarray(vectors, dtype=np.float32).reshape(len(ids), self.dimension)
        self.remove([i for i in ids if i in self._vectors])
        for item_id, vec in zip(ids, vectors, strict=True):
            self._vectors[item_id] = vec
        if not self._is_hnsw and len(self._vectors) > self.hnsw_threshold:
            self.rebuild()
            return
        if self._is_hnsw:
            labels = list(range(self._next_label, self._next_label + len(ids)))
            self._labels_are_ids = False
        else:
            labels = ids
        self._next_label = max(self._next_label, max(labels) + 1)
        for item_id, label in zip(ids, labels, strict=True):
            self._label_of[item_id] = label
            self._id_of[label] = item_id
        self._index.add_with_ids(vectors, np.asarray(labels, dtype=np.int64))

    def remove(self, ids: Sequence[int]) -> None:
        """Forget ids; unknown ids are ignored."""
        known = [int(i) for i in ids if int(i) in self._vectors]
        if not known:
            return
        labels = [self._label_of.pop(item_id) for item_id in known]
        for item_id, label in zip(known, labels, strict=True):
            del self._vectors[item_id]
            del self._id_of[label]
        if not self._is_hnsw:
            self._index.remove_ids(np.asarray(labels, dtype=np.int64))  # type: ignore[arg-type]

    def rebuild(self) -> None:
        """Build the index anew from the stored vectors, each under its id (drops retired HNSW vectors)."""
        self._index = self._new_index(len(self._vectors))
        self._labels_are_ids = True
        self._label_of = {i: i for i in self._vectors}
        self._id_of = dict(self._label_of)
        self._next_label = max(self._vectors, default=-1) + 1
        if self._vectors:
            ids = np.fromiter(self._vectors.keys(), dtype=np.int64, count=len(self._vectors))
            self._index.add_with_ids(np.vstack(list(self._vectors.values())), ids)

    def search(self, query: np.ndarray, k: int) -> list[tuple[int, float]]:
        """The k nearest ids by inner product, best first."""
        ids, scores = self.search_arrays(query, k)
        return [(int(i), float(s)) for i, s in zip(ids, scores, strict=True)]

    def search_arrays(self, query: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """The k nearest ids and their inner products as arrays, best first."""
        if not self._vectors or k <= 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        retired = self.retired
        fetch = min(len(self._vectors) + retired, k + retired)
        scores, labels = self._index.search(np.asarray(query, dtype=np.float32).reshape(1, -1), fetch)
        if not retired and (self._labels_are_ids or not self._is_hnsw):  # each vector under its id
            keep = labels[0] >= 0
            return labels[0][keep][:k], scores[0][keep][:k]
        found = [(self._id_of[int(label)], score) for label, score in zip(labels[0], scores[0], strict=True)
                 if int(label) in self._id_of][:k]
        return (np.asarray([i for i, _ in found], dtype=np.int64),
                np.asarray([s for _, s in found], dtype=np.float32))

    def scores_for(self, query: np.ndarray, ids: Sequence[int]) -> np.ndarray:
        """Exact inner products with the given ids (for re-scoring candidates from other channels)."""
        if not len(ids):
            return np.zeros(0, dtype=np.float32)
        matrix = np.vstack([self._vectors[int(i)] for i in ids])
        return matrix @ np.asarray(query, dtype=np.float32).reshape(-1)

    def matrix(self) -> tuple[np.ndarray, np.ndarray]:
        """All ids and vectors, for snapshots."""
        if not self._vectors:
            return np.zeros(0, dtype=np.int64), np.zeros((0, self.dimension), dtype=np.float32)
        ids = np.fromiter(self._vectors.keys(), dtype=np.int64, count=len(self._vectors))
        return ids, np.vstack(list(self._vectors.values()))
