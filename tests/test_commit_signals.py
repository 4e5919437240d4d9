"""Change counters that let caches skip the database: a write counts once it has committed, and only then."""

import pytest
from sqlalchemy import event, text, update
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session

from app.db import make_session_factory, session_scope, utcnow
from app.programs.models import ProgramRecord
from app.programs.service import CATALOG_CHANGES


@pytest.fixture
def program(session: Session) -> None:
    """One committed program row (the `session` fixture empties the tables afterwards)."""
    session.add(ProgramRecord(id="p-1", document={"id": "p-1"}))
    session.commit()


def test_a_committed_write_counts_and_a_rolled_back_one_does_not(engine: Engine, program: None) -> None:
    factory = make_session_factory(engine)
    before = CATALOG_CHANGES.version()
    with factory() as writer:
        writer.get_one(ProgramRecord, "p-1").document = {"id": "p-1", "name": "x"}
        writer.flush()
        assert CATALOG_CHANGES.pending(writer)
        writer.rollback()
        assert not CATALOG_CHANGES.pending(writer)
    assert CATALOG_CHANGES.version() == before

    with session_scope(factory) as writer:
        writer.execute(update(ProgramRecord).values(updated_at=utcnow()))  # a bulk statement counts too
        assert CATALOG_CHANGES.pending(writer)
    assert CATALOG_CHANGES.version() > before


def test_core_statements_count_and_sql_text_does_not(engine: Engine, program: None) -> None:
    before = CATALOG_CHANGES.version()
    with engine.begin() as conn:
        conn.execute(text("UPDATE programs SET updated_at = :now"), {"now": utcnow()})
    assert CATALOG_CHANGES.version() == before  # as if another process had written
    with engine.begin() as conn:
        conn.execute(update(ProgramRecord).values(updated_at=utcnow()))
    assert CATALOG_CHANGES.version() > before


def test_the_count_grows_only_after_the_database_has_committed(engine: Engine, program: None) -> None:
    seen_while_committing: list[int] = []

    def committing(_conn: Connection) -> None:  # runs before the database commits
        seen_while_committing.append(CATALOG_CHANGES.version())

    before = CATALOG_CHANGES.version()
    event.listen(engine, "commit", committing)
    try:
        with engine.begin() as conn:
            conn.execute(update(ProgramRecord).values(updated_at=utcnow()))
    finally:
        event.remove(engine, "commit", committing)
    assert seen_while_committing == [before]
    assert CATALOG_CHANGES.version() > before
