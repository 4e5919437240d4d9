"""Sentence embeddings for iotmatch: the Encoder protocol and its implementations."""

import os

# Before FAISS loads its OpenMP runtime: by default its threads spin on the cores for a while after each search,
# and the numpy work that follows in the same request waits for them (a match at 100k seeds took over twice as
# long). Passive threads sleep at once. A deployment may still set the variable otherwise.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
# OpenMP reads its thread count once, for every thread, from the environment (omp_set_num_threads would cap only
# the thread that calls it): FAISS gets the encoder's share of the cores (IOTMATCH_EMBEDDING_THREADS, default 2).
# A single query's HNSW search runs on one thread whatever the count; adding many vectors uses them all.
os.environ.setdefault("OMP_NUM_THREADS", os.environ.get("IOTMATCH_EMBEDDING_THREADS", "").strip() or "2")


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
