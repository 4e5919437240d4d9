"""The second encoder: multilingual-e5-small beside the first for cached document vectors."""

import os

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.config import Settings
from app.matches.engine import MatchingEngine
from app.matches.models import EmbeddingCache
from app.matches.vectors import embed_documents, text_hash
from embeddings.encoder import Encoder, SentenceTransformerEncoder
from embeddings.ensemble import E5SmallEncoder, EnsembleEncoder, second_encoder, text_encoder

TEXTS = ["工場の古い機械が突然止まって、朝まで誰も直せない",
         "振動センサーで設備の故障予兆を検知するサービス",
         "観光客向けの多言語チャットボット"]


@pytest.fixture(scope="module")
def first(tmp_path_factory: pytest.TempPathFactory) -> SentenceTransformerEncoder:
    return SentenceTransformerEncoder("use-multilingual-v3", cache_dir=tmp_path_factory.mktemp("models"))


@pytest.fixture(scope="module")
def e5() -> E5SmallEncoder:
    return E5SmallEncoder()


def test_e5_small_encodes_normalized_vectors_that_know_japanese(e5: E5SmallEncoder) -> None:
    assert isinstance(e5, Encoder)
    vectors = e5.encode_documents(TEXTS)
    assert vectors.shape == (3, e5.dimension) == (3, 384)
    assert vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    # a breakdown in plain words is closer to predictive maintenance than to a chatbot
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2]
    assert e5.encode_documents([]).shape == (0, 384)
    assert e5.model_id == E5SmallEncoder().model_id  # stable: it keys the vector cache


def test_ensemble_cosine_is_the_weighted_mean_and_queries_use_the_first_only(
        first: SentenceTransformerEncoder, e5: E5SmallEncoder) -> None:
    ensemble = EnsembleEncoder(first, e5, 0.7)
    assert isinstance(ensemble, Encoder)
    assert ensemble.dimension == first.dimension + e5.dimension
    docs = ensemble.encode_documents(TEXTS)
    np.testing.assert_allclose(np.linalg.norm(docs, axis=1), 1.0, atol=1e-5)
    a, b = first.encode_documents(TEXTS), e5.encode_documents(TEXTS)
    np.testing.assert_allclose(docs[0] @ docs[1], 0.3 * (a[0] @ a[1]) + 0.7 * (b[0] @ b[1]), atol=1e-5)

    query = ensemble.encode_queries(["設備の故障を事前に知りたい"])
    assert query.shape == (1, ensemble.dimension)
    assert not query[0, first.dimension:].any()
    np.testing.assert_allclose(query[0, :first.dimension], first.encode_queries(["設備の故障を事前に知りたい"])[0])
    assert text_encoder(ensemble) is first
    assert text_encoder(first) is first
    with pytest.raises(ValueError, match="share"):
        EnsembleEncoder(first, e5, 1.0)


def test_the_cache_keeps_both_encoders_vectors_and_off_gives_the_first_encoders(
        session: Session, first: SentenceTransformerEncoder, e5: E5SmallEncoder) -> None:
    before = embed_documents(session, first, TEXTS)  # cached before the second encoder was switched on
    session.commit()
    ensemble = EnsembleEncoder(first, e5, 0.5)
    joined = embed_documents(session, ensemble, TEXTS)
    session.commit()
    rows = session.execute(select(EmbeddingCache.model_id, EmbeddingCache.text_hash)).all()
    hashes = {text_hash(t) for t in TEXTS}
    assert {h for m, h in rows if m == first.model_id} == hashes
    assert {h for m, h in rows if m == e5.model_id} == hashes
    assert not any(m == ensemble.model_id for m, _ in rows)  # joined on the fly, never stored twice
    np.testing.assert_allclose(joined[:, :first.dimension], before * np.sqrt(0.5), atol=1e-6)

    class Refuses:  # cached vectors are read back, nothing is encoded again
        model_id, dimension = e5.model_id, e5.dimension

        def encode_documents(self, texts: Sequence[str], show_progress: bool = False) -> np.ndarray:
            raise AssertionError(f"encoded again: {texts}")

        def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
            raise AssertionError("not a query")

    again = embed_documents(session, EnsembleEncoder(first, Refuses(), 0.5), TEXTS)
    np.testing.assert_allclose(again, joined)
    np.testing.assert_array_equal(embed_documents(session, first, TEXTS), before)  # switched off again


def test_the_setting_names_the_second_encoder_or_turns_it_off(database_url: str, tmp_path: Path) -> None:
    for off in ("off", "", "none"):
        assert second_encoder(off) is None
    assert isinstance(second_encoder("multilingual-e5-small"), E5SmallEncoder)
    with pytest.raises(ValueError, match="neither"):
        second_encoder(str(tmp_path / "missing"))

    settings = Settings(database_url=database_url, data_dir=tmp_path / "var")
    assert settings.embedding_second_model == "off"
    engine = MatchingEngine.from_settings(settings)
    assert isinstance(engine.encoder, SentenceTransformerEncoder)
    assert engine.text_encoder is engine.encoder

    on = MatchingEngine.from_settings(settings.model_copy(update={"embedding_second_model": "multilingual-e5-small"}))
    assert isinstance(on.encoder, EnsembleEncoder)
    assert isinstance(on.encoder.second, E5SmallEncoder)
    assert on.encoder.share == 0.7
    assert on.text_encoder is on.encoder.first
    assert on.text_encoder.model_id == engine.encoder.model_id
    assert on.vectors["seed"].dimension == engine.encoder.dimension + 384
