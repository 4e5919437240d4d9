"""The shipped support-program catalog, parsed once per test session, and the encoder the member's page needs."""

import pytest

from app.programs.catalog import Program
from app.programs.eligibility import load_catalog
from embeddings.encoder import SentenceTransformerEncoder


@pytest.fixture(scope="session")
def catalog() -> list[Program]:
    return load_catalog()


@pytest.fixture(scope="session")
def encoder(tmp_path_factory: pytest.TempPathFactory) -> SentenceTransformerEncoder:
    """The default encoder, loaded once (it takes seconds): my page ranks the member's matches with it."""
    return SentenceTransformerEncoder("use-multilingual-v3", cache_dir=tmp_path_factory.mktemp("models"))
