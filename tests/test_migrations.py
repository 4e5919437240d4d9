"""The migrations build the same schema as the models, and run down and up again."""

import re
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect

from app import migrate
from app.db import make_engine
from app.models import Base
from tests.conftest import BACKENDS, new_database


@pytest.mark.parametrize("backend", BACKENDS)
def test_models_and_migrations_agree_and_round_trip(backend: str, tmp_path: Path) -> None:
    url, drop = new_database(backend, tmp_path)
    try:
        migrate.upgrade(url)
        engine = make_engine(url)
        with engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata)
        assert diff == []

        migrate.downgrade(url, "base")
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}

        migrate.upgrade(url)
        assert set(Base.metadata.tables) <= set(inspect(engine).get_table_names())
        engine.dispose()
    finally:
        drop()


def test_one_head_and_files_named_by_date_and_slug() -> None:
    scripts = ScriptDirectory.from_config(migrate.alembic_config("sqlite://"))
    assert len(scripts.get_heads()) == 1, f"several heads {scripts.get_heads()}: chain the newest onto the others"
    for revision in scripts.walk_revisions():
        assert re.fullmatch(r"\d{4}_[a-z0-9_]+", revision.revision), revision.revision
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}_[a-z0-9_]+\.py", Path(revision.path).name), revision.path
