"""The migrations build the same schema as the models, and run down and up again."""

import re
from datetime import date
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import insert, inspect, select
from sqlalchemy.orm import Session

from app import migrate
from app.db import make_engine
from app.models import Base
from app.roster import ids
from app.roster.ids import IdCounter
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


@pytest.mark.parametrize("backend", BACKENDS)
def test_id_counters_start_past_every_id_a_record_names(backend: str, tmp_path: Path) -> None:
    url, drop = new_database(backend, tmp_path)
    try:
        migrate.upgrade(url, "0006_event_schedule_edits")  # the revision before the id counters
        engine = make_engine(url)
        member = {"name": "会員", "member_type": "corporate", "roles": ["user"], "prefecture": "福岡県",
                  "industry": "E", "description": "会員です。"}
        tables = Base.metadata.tables
        posting = {"title": "t", "description": "d", "position": 0}
        with engine.begin() as conn:
            conn.execute(insert(tables["organizations"]), [{"id": 1, "external_id": "ORG-0007", **member},
                                                           {"id": 2, "external_id": "ORG-0002", **member}])
            conn.execute(insert(tables["needs"]), [{"external_id": "N-0003", "organization_id": 1, **posting}])
            conn.execute(insert(tables["seeds"]), [{"external_id": "S-0011", "organization_id": 2, **posting}])
            conn.execute(insert(tables["events"]), [{"id": 1, "code": "E1", "name": "商談会", "venue": "博多",
                                                     "date": date(2026, 12, 1), "tables": 4,
                                                     "default_max_meetings": 6, "min_value": 4.0}])
            # A meeting outlives the need that made it: N-0040 and ORG-0031 were deleted since.
            conn.execute(insert(tables["event_meetings"]), [{
                "event_id": 1, "slot_code": "A", "table_no": 1, "a_org_id": 1, "b_org_id": 2, "value": 1.0,
                "published": True, "detail": [{"need": "N-0040", "seed": "S-0004", "need_member": "ORG-0031",
                                               "seed_member": "ORG-0002"}]}])
        migrate.upgrade(url)
        with Session(engine) as session:
            assert {c.prefix: c.last for c in session.scalars(select(IdCounter))} == {"ORG": 31, "N": 40, "S": 11}
            assert [ids.allocate(session, p) for p in ("ORG", "N", "S")] == ["ORG-0032", "N-0041", "S-0012"]
        engine.dispose()
    finally:
        drop()
