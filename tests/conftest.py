"""Databases for the tests: SQLite always, PostgreSQL when IOTMATCH_TEST_PG_URL is set.

Each backend gets a fresh database built by the migrations; every test starts from empty tables.
"""

import json
import os
import uuid
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import Session

from app import migrate
from app.config import get_settings
from app.db import make_engine, make_session_factory, normalize_url
from app.models import Base
from embeddings.encoder import SentenceTransformerEncoder
from tests.mail import Mailbox

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
DEV_ROSTER = SHARED / "data" / "dev" / "roster.json"
DEV_QRELS = SHARED / "data" / "dev" / "qrels.json"
PG_URL = os.environ.get("IOTMATCH_TEST_PG_URL")
BACKENDS = ["sqlite"] + (["postgresql"] if PG_URL else [])


class RememberingEncoder(SentenceTransformerEncoder):
    """The default encoder, remembering each document's vector for the run: the engines that tests build anew
    embed the vocabulary's phrasings and the same small communities again, on tables emptied in between (the
    vectors do not depend on the batch they come in). The database's vector cache is still asked first."""

    _vectors: ClassVar[dict[tuple[str, str], np.ndarray]] = {}

    def encode_documents(self, texts: Sequence[str], show_progress: bool = False) -> np.ndarray:
        new = [t for t in dict.fromkeys(texts) if (self.model_id, t) not in self._vectors]
        if new:
            encoded = super().encode_documents(new, show_progress=show_progress)
            self._vectors.update({(self.model_id, t): v for t, v in zip(new, encoded, strict=True)})
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        return np.vstack([self._vectors[self.model_id, t] for t in texts])


@pytest.fixture(scope="session")
def encoder(tmp_path_factory: pytest.TempPathFactory) -> SentenceTransformerEncoder:
    """The default encoder, loaded once (it takes seconds)."""
    return RememberingEncoder("use-multilingual-v3", cache_dir=tmp_path_factory.mktemp("models"))


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Say plainly which databases the run covered: a run without PostgreSQL is not the whole suite."""
    if PG_URL:
        terminalreporter.write_line("databases: SQLite and PostgreSQL")
    else:
        terminalreporter.write_line("databases: SQLite only; the PostgreSQL runs were skipped. Set "
                                    "IOTMATCH_TEST_PG_URL=postgresql://postgres@127.0.0.1:5432/test to include them.",
                                    yellow=True)


def _fresh_postgres_database() -> tuple[str, str]:
    """Create an empty database beside the one in IOTMATCH_TEST_PG_URL; returns (url, name)."""
    assert PG_URL
    admin_url = make_url(normalize_url(PG_URL))
    name = f"iotmatch_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return admin_url.set(database=name).render_as_string(hide_password=False), name


def _drop_postgres_database(name: str) -> None:
    assert PG_URL
    admin = create_engine(make_url(normalize_url(PG_URL)), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def new_database(backend: str, tmp_path: Path) -> tuple[str, Any]:
    """An empty database URL for the backend and a function that removes it."""
    if backend == "sqlite":
        return f"sqlite:///{tmp_path / f'{uuid.uuid4().hex[:8]}.db'}", lambda: None
    url, name = _fresh_postgres_database()
    return url, lambda: _drop_postgres_database(name)


@pytest.fixture(scope="session", params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A migrated database per backend, shared by the session's tests."""
    url, drop = new_database(request.param, tmp_path_factory.mktemp("db"))
    migrate.upgrade(url)
    yield url
    drop()


@pytest.fixture(scope="session")
def engine(database_url: str) -> Iterator[Engine]:
    """One engine per backend."""
    eng = make_engine(database_url)
    yield eng
    eng.dispose()


def _empty_tables(eng: Engine) -> None:
    with eng.begin() as conn:
        for table in reversed(Base.metadata.sorted_tables):
            conn.execute(table.delete())


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    """A session on empty tables; whatever the test wrote is deleted afterwards."""
    _empty_tables(engine)
    factory = make_session_factory(engine)
    db_session = factory()
    try:
        yield db_session
    finally:
        db_session.rollback()
        db_session.close()
        _empty_tables(engine)


@pytest.fixture
def cli_env(database_url: str, engine: Engine, monkeypatch: pytest.MonkeyPatch,
            tmp_path: Path) -> Iterator[dict[str, str]]:
    """Environment for CLI runs against the test database, from empty tables."""
    _empty_tables(engine)
    monkeypatch.setenv("IOTMATCH_DATABASE_URL", database_url)
    monkeypatch.setenv("IOTMATCH_DATA_DIR", str(tmp_path / "var"))
    get_settings.cache_clear()
    yield {"IOTMATCH_DATABASE_URL": database_url}
    get_settings.cache_clear()
    _empty_tables(engine)


@pytest.fixture(scope="session")
def dev_roster() -> dict[str, Any]:
    """The labelled dev roster in the exchange format."""
    if not DEV_ROSTER.exists():
        pytest.fail(f"the labelled dev roster is read from {DEV_ROSTER}: put shared/ beside the checkout")
    return json.loads(DEV_ROSTER.read_text(encoding="utf-8"))


@pytest.fixture
def smtp_server(monkeypatch: pytest.MonkeyPatch) -> Iterator[Mailbox]:
    """A real SMTP server (aiosmtpd) on 127.0.0.1 and a free port, collecting what it receives (tests/mail.py).

    The IOTMATCH_SMTP_* settings point at it for the test; pass `smtp_server.env` to a subprocess.
    """
    mailbox = Mailbox().start()
    for name, value in mailbox.env.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    try:
        yield mailbox
    finally:
        mailbox.stop()
        get_settings.cache_clear()
