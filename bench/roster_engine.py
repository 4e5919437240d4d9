"""A roster loaded into a fresh SQLite database with the matching engine started on it, for the event benchmarks."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session, sessionmaker


@dataclass
class Loaded:
    engine: Any  # app.matches.engine.MatchingEngine, imported lazily
    sessions: sessionmaker[Session]
    database_url: str


@contextmanager
def roster_engine(roster: dict[str, Any]) -> Iterator[Loaded]:
    """The roster in a migrated temporary SQLite database, and the matching engine started on it."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from app import migrate
    from app.config import Settings
    from app.db import make_engine, make_session_factory, session_scope
    from app.matches.engine import MatchingEngine
    from app.roster.exchange import import_roster

    with tempfile.TemporaryDirectory(prefix="iotmatch-bench-") as tmp:
        settings = Settings(database_url=f"sqlite:///{Path(tmp) / 'bench.db'}", data_dir=Path(tmp) / "var")
        migrate.upgrade(settings.database_url)
        db = make_engine(settings.database_url)
        factory = make_session_factory(db)
        with session_scope(factory) as session:
            import_roster(session, roster)
        engine = MatchingEngine.from_settings(settings)
        with session_scope(factory) as session:
            engine.start(session)
        try:
            yield Loaded(engine, factory, settings.database_url)
        finally:
            db.dispose()
