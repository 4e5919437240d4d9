"""One embedding model for the whole test session: it takes seconds to load."""

from pathlib import Path

import pytest

from app.config import Settings


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    """Settings on the test database with a private data folder."""
    return Settings(database_url=database_url, data_dir=tmp_path / "var")
