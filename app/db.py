"""Engine, declarative base and session handling shared by every domain."""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import MetaData, create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base whose constraint names are stable across databases."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def utcnow() -> datetime:
    """Timezone-aware now, for timestamps."""
    return datetime.now(UTC)


def as_utc(value: datetime) -> datetime:
    """A stored time as an aware one: SQLite hands back naive datetimes, and every stored time is UTC."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def normalize_url(url: str) -> str:
    """Accept the postgres:// form that hosting providers hand out, and use psycopg 3."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


# How long a SQLite writer waits for another to finish before giving up with "database is locked".
SQLITE_BUSY_TIMEOUT_MS = 30_000
_WROTE = "iotmatch_wrote"
# As many connections as the server has worker threads (anyio's default 40), so a burst of requests waits
# for the database, not for the pool (whose 30 s timeout would answer 500).
POOL = {"pool_size": 10, "max_overflow": 30}


def _configure_sqlite(dbapi_connection: Any, _record: Any) -> None:
    # The driver reads outside transactions and begins one just before the first write, so a transaction's
    # first statement takes the write lock and waits for it (busy_timeout) rather than failing. WAL: readers
    # never wait for the writer, nor it for them. (A :memory: database keeps its own journal mode.)
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def make_engine(url: str) -> Engine:
    """An engine for the URL; SQLite gets foreign keys, WAL, writers that wait their turn, and cross-thread
    use for the API's thread pool."""
    url = normalize_url(url)
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False}, **POOL)
        event.listen(engine, "connect", _configure_sqlite)
        return engine
    return create_engine(url, pool_pre_ping=True, **POOL)


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions that keep loaded objects usable after commit."""
    return sessionmaker(bind=engine, expire_on_commit=False)


def has_written(session: Session) -> bool:
    """Whether the session's open transaction has written rows (and so, on SQLite, holds the write lock:
    another connection of the same request that writes would wait for it forever)."""
    return bool(session.info.get(_WROTE, False))


@event.listens_for(Session, "after_flush")
def _note_flush(session: Session, _context: Any) -> None:
    session.info[_WROTE] = True


@event.listens_for(Session, "do_orm_execute")
def _note_statement(state: Any) -> None:
    if state.is_insert or state.is_update or state.is_delete:
        state.session.info[_WROTE] = True


@event.listens_for(Session, "after_transaction_end")
def _forget_writes(session: Session, transaction: Any) -> None:
    if transaction.parent is None:
        session.info.pop(_WROTE, None)


@contextmanager
def session_scope(factory: sessionmaker[Session]) -> Iterator[Session]:
    """Commit on success, roll back on error: services only flush."""
    session = factory()
    try:
        yield session
        session.commit()
    except Exception:
        session.rollback()
        raise
    finally:
        session.close()
