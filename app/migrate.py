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
    return config


def upgrade(database_url: str, revision: str = "head") -> None:
    """Bring the database to the revision (head by default)."""
    command.upgrade(alembic_config(database_url), revision)


def downgrade(database_url: str, revision: str) -> None:
    """Step the database back to the revision ('base' empties it)."""
    command.downgrade(alembic_config(database_url), revision)
