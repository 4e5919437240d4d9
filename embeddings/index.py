"""A FAISS index keyed by database ids: exact for small collections, HNSW above a threshold.

Each vector is stored once, in the FAISS index's own storage, and addressed by its position: the order it was
added in. An HNSW index loaded from a snapshot maps that storage from the snapshot's file (`restore`), so the
worker processes of a server read one copy in the page cache instead of holding one each. A mapped index cannot grow,
so vectors added after the index was built wait in a small overlay that searches read exactly (`fresh`), and
join the FAISS index (copied into this process's memory first, if it was mapped) once `FOLD_AT` of them have
gathered. Removing or replacing an id retires its position: searches skip it until the next rebuild (an exact
index rebuilds once `FOLD_AT` positions are retired; an HNSW index, whose rebuild takes minutes at 100k, when a
snapshot is saved).
"""

from collections.abc import Iterable, Sequence

import faiss
import numpy as np

FOLD_AT = 2048  # vectors in the overlay before they join the FAISS index


class VectorIndex:
    """Inner-product search over L2-normalized vectors with stable int64 ids.

    Exact (flat) search below `hnsw_threshold` vectors; HNSW above it. Vectors read from the index
    (`vector`, `vectors_at`) are copies: the FAISS storage they come from moves when the index grows.
    """

    def __init__(self, dimension: int, hnsw_threshold: int = 20000) -> None:
        self.dimension = dimension
        self.hnsw_threshold = hnsw_threshold
        self._index: faiss.Index = self._new_index(0)  # positions 0 .. ntotal-1
        self._mapped = False  # the FAISS storage is a snapshot file's pages, which cannot grow
        self._fresh = np.zeros((0, dimension), dtype=np.float32)  # positions ntotal .. size-1, with spare rows
        self._fresh_count = 0
        self._ids = np.zeros(0, dtype=np.int64)  # the id at each position (spare capacity beyond size)
        self._live = np.zeros(0, dtype=bool)  # whether that position still holds its id's vector
        self._position: dict[int, int] = {}  # id -> position of its live vector
        self._sum = np.zeros(dimension, dtype=np.float64)  # of the live vectors, for their mean
        self.layout = 0  # grows whenever positions are renumbered (a rebuild)

    @classmethod
    def restore(cls, faiss_index: faiss.Index, ids: np.ndarray, hnsw_threshold: int, *,
                mapped: bool) -> "VectorIndex":
        """An index from a saved FAISS index (every position live, in `ids` order); `mapped` when its storage
        is a file's pages (faiss.IO_FLAG_MMAP_IFC)."""
        index = cls(faiss_index.d, hnsw_threshold)
        index._index = faiss_index  # as faiss.read_index returns it: its own type, owning the index
        index._mapped = mapped
        index._ids = np.array(ids, dtype=np.int64)
        index._live = np.ones(len(ids), dtype=bool)
        index._position = {int(i): p for p, i in enumerate(index._ids.tolist())}
        index._sum = index._stored().sum(axis=0, dtype=np.float64)
        return index

    @property
    def faiss_index(self) -> faiss.Index:
        """The underlying FAISS index, for saving (call compact() first: its positions are then `position_ids`)."""
        return self._index

    def compact(self) -> None:
        """Make every position live and every vector part of the FAISS index (what a snapshot stores)."""
        if self.retired:
            self.rebuild()
        else:
            self._fold()

    @property
    def kind(self) -> str:
        """'flat' or 'hnsw'."""
        return "hnsw" if self._is_hnsw else "flat"

    @property
    def retired(self) -> int:
        """Positions whose vectors were removed or replaced (a rebuild drops them)."""
        return self.size - len(self._position)

    @property
    def size(self) -> int:
        """Positions in use, live or retired: products() returns this many."""
        return int(self._index.ntotal) + self._fresh_count

    @property
    def _is_hnsw(self) -> bool:
        return isinstance(self._index, faiss.IndexHNSWFlat)

    def _new_index(self, size: int) -> faiss.Index:
        if size > self.hnsw_threshold:
            index = faiss.IndexHNSWFlat(self.dimension, 32, faiss.METRIC_INNER_PRODUCT)
            index.hnsw.efSearch = 128
            index.hnsw.efConstruction = 80
            return index
        return faiss.IndexFlatIP(self.dimension)

    def _stored(self) -> np.ndarray:
        """The FAISS index's vectors by position: a view of its storage, read at once and never kept (adding to
        the index may move the storage)."""
        count = int(self._index.ntotal)
        if not count:
            return np.zeros((0, self.dimension), dtype=np.float32)
        flat = faiss.downcast_index(self._index.storage) if self._is_hnsw else self._index  # type: ignore[attr-defined]
        view = faiss.rev_swig_ptr(flat.get_xb(), count * self.dimension).reshape(count, self.dimension)  # type: ignore[attr-defined]
        view.flags.writeable = False  # a mapped file's pages are read-only: a write would kill the process
        return view

    def __len__(self) -> int:
        return len(self._position)

    def __contains__(self, item_id: int) -> bool:
        return item_id in self._position

    def ids(self) -> list[int]:
        """Every id in the index."""
        return list(self._position)

    def position_ids(self) -> np.ndarray:
        """The id at each position (retired ones included)."""
        return self._ids[:self.size].copy()

    def positions(self, ids: Iterable[int]) -> np.ndarray:
        """The positions of these ids' live vectors."""
        position = self._position
        return np.fromiter((position[int(i)] for i in ids), dtype=np.int64)

    def vector(self, item_id: int) -> np.ndarray:
        """The stored vector of an id (a copy)."""
        return self.vectors_at(np.asarray([self._position[item_id]]))[0]

    def vectors_at(self, positions: np.ndarray) -> np.ndarray:
        """The vectors at these positions (a copy)."""
        positions = np.asarray(positions, dtype=np.int64)
        stored = self._stored()
        in_index = positions < len(stored)
        if in_index.all():
            return stored[positions]
        found = np.empty((len(positions), self.dimension), dtype=np.float32)
        found[in_index] = stored[positions[in_index]]
        found[~in_index] = self._fresh[positions[~in_index] - len(stored)]
        return found

    def products(self, query: np.ndarray) -> np.ndarray:
        """The query's inner product with the vector at every position (retired ones too: callers pick)."""
        query = np.asarray(query, dtype=np.float32).reshape(-1)
        stored = self._stored() @ query
        if not self._fresh_count:
            return stored
        return np.concatenate([stored, self._fresh[:self._fresh_count] @ query])

    def products_at(self, query: np.ndarray, positions: np.ndarray) -> np.ndarray:
        """The query's inner product with the vectors at these positions."""
        return self.vectors_at(positions) @ np.asarray(query, dtype=np.float32).reshape(-1)

    def centroid(self) -> np.ndarray:
        """The mean of the live vectors (a query's mean inner product with them is its product with this)."""
        return (self._sum / max(len(self), 1)).astype(np.float32)

    def upsert(self, ids: Sequence[int], vectors: np.ndarray) -> None:
        """Add vectors, replacing any with the same id."""
        if not len(ids):
            return
        last = {int(item_id): row for row, item_id in enumerate(ids)}  # an id given twice keeps its last vector
        vectors = np.ascontiguousarray(vectors, dtype=np.float32).reshape(len(ids), self.dimension)
        vectors = vectors[list(last.values())] if len(last) < len(ids) else vectors
        self.remove(list(last))
        start, count = self.size, len(last)
        self._reserve(self._fresh_count + count)
        self._fresh[self._fresh_count:self._fresh_count + count] = vectors
        self._fresh_count += count
        self._ids[start:start + count] = list(last)
        self._live[start:start + count] = True
        self._position.update(zip(last, range(start, start + count), strict=True))
        self._sum += vectors.sum(axis=0, dtype=np.float64)
        if not self._is_hnsw and len(self) > self.hnsw_threshold:
            self.rebuild()
        elif self._fresh_count >= FOLD_AT:
            self._fold()

    def _reserve(self, fresh: int) -> None:
        """Room for this many vectors in the overlay, and for their positions."""
        if fresh > len(self._fresh):
            grown = np.zeros((max(fresh, 2 * len(self._fresh), 64), self.dimension), dtype=np.float32)
            grown[:self._fresh_count] = self._fresh[:self._fresh_count]
            self._fresh = grown
        needed = int(self._index.ntotal) + fresh
        if needed > len(self._ids):
            capacity = max(needed, 2 * len(self._ids), 64)
            self._ids = np.concatenate([self._ids, np.full(capacity - len(self._ids), -1, dtype=np.int64)])
            self._live = np.concatenate([self._live, np.zeros(capacity - len(self._live), dtype=bool)])

    def _fold(self) -> None:
        """Add the overlay's vectors to the FAISS index, under the positions they have."""
        if not self._fresh_count:
            return
        if self._mapped:  # a file's pages cannot grow: the index becomes this process's own copy
            self._index = faiss.deserialize_index(faiss.serialize_index(self._index))
            self._mapped = False
        self._index.add(self._fresh[:self._fresh_count])
        self._fresh_count = 0
        if len(self._fresh) > FOLD_AT:
            self._fresh = np.zeros((0, self.dimension), dtype=np.float32)

    def remove(self, ids: Sequence[int]) -> None:
        """Forget ids; unknown ids are ignored."""
        positions = [self._position.pop(int(i)) for i in ids if int(i) in self._position]
        if not positions:
            return
        at = np.asarray(positions, dtype=np.int64)
        self._live[at] = False
        self._sum -= self.vectors_at(at).sum(axis=0, dtype=np.float64)
        if not self._is_hnsw and self.retired >= FOLD_AT:
            self.rebuild()  # cheap for an exact index; every match reads its retired positions too

    def rebuild(self) -> None:
        """Build the FAISS index anew from the live vectors (positions renumbered in their order, retired ones
        dropped)."""
        live = np.flatnonzero(self._live[:self.size])
        vectors, ids = self.vectors_at(live), self._ids[live]
        self._index = self._new_index(len(live))
        self._mapped = False
        self._fresh, self._fresh_count = np.zeros((0, self.dimension), dtype=np.float32), 0
        if len(live):
            self._index.add(vectors)
        self._ids, self._live = ids, np.ones(len(ids), dtype=bool)
        self._position = {int(i): p for p, i in enumerate(ids.tolist())}
        self._sum = vectors.sum(axis=0, dtype=np.float64) if len(live) else np.zeros(self.dimension)
        self.layout += 1

    def search(self, query: np.ndarray, k: int) -> list[tuple[int, float]]:
        """The k nearest ids by inner product, best first."""
        ids, scores = self.search_arrays(query, k)
        return [(int(i), float(s)) for i, s in zip(ids, scores, strict=True)]

    def search_arrays(self, query: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """The k nearest ids and their inner products as arrays, best first."""
        positions, scores = self.search_positions(query, k)
        return self._ids[positions], scores

    def search_positions(self, query: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """The positions of the k nearest live vectors and their inner products, best first: the FAISS index's
        answer (asked for as many more as there are retired positions) merged with the overlay's, read exactly."""
        if not self._position or k <= 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        query = np.asarray(query, dtype=np.float32).reshape(1, -1)
        indexed = int(self._index.ntotal)
        positions, scores = np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        if indexed:
            found_scores, found = self._index.search(query, min(indexed, k + self.retired))
            keep = found[0] >= 0
            positions, scores = found[0][keep], found_scores[0][keep]
        if self._fresh_count:
            positions = np.concatenate([positions, np.arange(indexed, self.size, dtype=np.int64)])
            scores = np.concatenate([scores, self._fresh[:self._fresh_count] @ query[0]])
        live = self._live[positions]
        positions, scores = positions[live], scores[live]
        best = np.argsort(-scores, kind="stable")[:k]
        return positions[best], scores[best]
