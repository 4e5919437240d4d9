"""Alembic driven from code, so the installed package migrates without an alembic.ini."""

from pathlib import Path

from alembic import command
from alembic.config import Config

import migrations
from app.db import normalize_url


def alembic_config(database_url: str) -> Config:
    """An Alembic config pointing at the shipped migrations and the given database."""
    config = Config()
    config.set_main_option("script_location", str(Path(migrations.__file__).parent))
    config.set_main_option("sqlalchemy.url", normalize_url(database_url).replace("%", "%%"))
    # New revisions are named by date and slug (2026-12-03_events.py), as the existing ones.
    config.set_main_option("file_template", "%%(year)d-%%(month).2d-%%(day).2d_%%(slug)s")
    return config


def upgrade(database_url: str, revision: str = "head") -> None:
    """Bring the database to the revision (head by default)."""
    command.upgrade(alembic_config(database_url), revision)


def downgrade(database_url: str, revision: str) -> None:
    """Step the database back to the revision ('base' empties it)."""
    command.downgrade(alembic_config(database_url), revision)


def revision(database_url: str, message: str, revision_id: str) -> Path:
    """Write a new revision with the changes autogenerate finds between the models and the database (at head)."""
    script = command.revision(alembic_config(database_url), message=message, rev_id=revision_id, autogenerate=True)
    if script is None or isinstance(script, list):  # one script per call without branches
        raise RuntimeError(f"alembic wrote no single revision for {revision_id}")
    return Path(script.path)
