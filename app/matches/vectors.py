"""Embedding with a per-text cache in the database, so unchanged text is never embedded twice."""

import hashlib
import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from app.db import has_written
from app.matches.models import EmbeddingCache
from embeddings.encoder import Encoder
from embeddings.ensemble import EnsembleEncoder

log = logging.getLogger(__name__)
LOOKUP_CHUNK = 500  # keeps IN (...) lists well inside every database's limits


@dataclass
class CacheStats:
    """How many texts were found in the vector cache and how many had to be encoded (for /metrics)."""

    hits: int = 0
    misses: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def count(self, hits: int, misses: int) -> None:
        with self._lock:
            self.hits += hits
            self.misses += misses


def text_hash(text: str) -> str:
    """Stable key of a text."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def embed_documents(session: Session, encoder: Encoder, texts: Sequence[str], *,
                    show_progress: bool = False, stats: CacheStats | None = None) -> np.ndarray:
    """Vectors for the texts: cached ones read back, the rest encoded in one batch and stored.

    A session that only reads (a match request) stores them in a short transaction of its own rather than
    becoming a writer (SQLite has one writer at a time). A cache that cannot be written (another process
    stored the same text first, the database is busy) costs a later re-encoding, never the request.

    An ensemble's vectors are cached per encoder, under each one's model id, and joined here.
    """
    if isinstance(encoder, EnsembleEncoder):
        first, second = (embed_documents(session, part, texts, show_progress=show_progress, stats=stats)
                         for part in encoder.parts)
        return encoder.combine(first, second)
    hashes = [text_hash(t) for t in texts]
    cached: dict[str, np.ndarray] = {}
    unique = list(dict.fromkeys(hashes))
    for start in range(0, len(unique), LOOKUP_CHUNK):
        rows = session.execute(
            select(EmbeddingCache.text_hash, EmbeddingCache.vector).where(
                EmbeddingCache.model_id == encoder.model_id,
                EmbeddingCache.text_hash.in_(unique[start : start + LOOKUP_CHUNK]),
            )
        )
        cached.update({h: np.frombuffer(v, dtype=np.float32) for h, v in rows})
    missing = {h: t for h, t in zip(hashes, texts, strict=True) if h not in cached}
    if stats is not None:
        stats.count(hits=len(unique) - len(missing), misses=len(missing))
    if missing:
        vectors = encoder.encode_documents(list(missing.values()), show_progress=show_progress)
        fresh = {h: np.asarray(vec, dtype=np.float32) for h, vec in zip(missing, vectors, strict=True)}
        cached.update(fresh)
        _store(session, encoder.model_id, fresh)
    if not texts:
        return np.zeros((0, encoder.dimension), dtype=np.float32)
    return np.vstack([cached[h] for h in hashes])


def _store(session: Session, model_id: str, vectors: dict[str, np.ndarray]) -> None:
    rows = [EmbeddingCache(model_id=model_id, text_hash=h, dimension=len(v), vector=v.tobytes())
            for h, v in vectors.items()]
    try:
        if has_written(session):
            # The caller writes anyway: the vectors go with its transaction (a savepoint, so that a text
            # another process stored first costs only these rows).
            with session.begin_nested():
                session.add_all(rows)
            return
        with Session(bind=session.get_bind()) as cache_session, cache_session.begin():
            cache_session.add_all(rows)
    except (IntegrityError, OperationalError) as exc:
        log.warning("embedding cache not written (%d vectors): %s", len(rows), exc.__class__.__name__)
