"""Sentence embeddings for iotmatch: the Encoder protocol and its implementations."""

from embeddings.encoder import (
    BUILTIN_MODELS,
    DEFAULT_MODEL,
    Encoder,
    SentenceTransformerEncoder,
    configure_threads,
)

__all__ = [
    "BUILTIN_MODELS",
    "DEFAULT_MODEL",
    "Encoder",
    "SentenceTransformerEncoder",
    "configure_threads",
]
