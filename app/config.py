"""Service settings, read from IOTMATCH_* environment variables."""

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Everything a deployment can change without touching code."""

    model_config = SettingsConfigDict(env_prefix="IOTMATCH_", env_file=".env", extra="ignore")

    database_url: str = Field(
        default_factory=lambda: f"sqlite:///{Path.cwd() / 'iotmatch.db'}",
        description="SQLAlchemy URL; SQLite file in the working directory by default.",
    )
    data_dir: Path = Field(default_factory=lambda: Path.cwd() / "var", description="Index snapshots, model cache.")

    embedding_model: str = Field(
        default="use-multilingual-v3",
        description="'use-multilingual-v3', 'all-minilm-l6-v2' or a local sentence-transformers directory.",
    )
    embedding_query_prefix: str = ""
    embedding_document_prefix: str = ""
    embedding_threads: int = 2

    vocabulary_path: Path | None = Field(default=None, description="Domain vocabulary YAML; the shipped one if unset.")

    hnsw_threshold: int = Field(default=20000, description="Collections larger than this use HNSW, else exact.")

    # Fusion weights of the ranking channels (see docs/matching.md); defaults chosen on two labelled
    # rosters written independently, so neither alone decides them.
    weight_dense: float = 1.0
    weight_lexical: float = 0.3
    weight_vocabulary: float = 4.0
    weight_structure: float = 0.8
    weight_support_mismatch: float = 1.0
    max_per_organization: int = 2

    max_body_bytes: int = Field(default=1_048_576, description="Larger request bodies are refused with 413.")
    cors_refresh_seconds: float = Field(default=10.0, description="How long the labs' allowed origins are cached.")

    host: str = "127.0.0.1"
    port: int = 8000
    log_level: str = "info"


@lru_cache
def get_settings() -> Settings:
    """Settings from the environment, read once per process."""
    return Settings()
