"""Counters that grow once a transaction that wrote to certain tables has committed in this process.

Caches of database state (the matching engine's index, the program catalog) read a counter instead of
querying the database on every request; changes made by other processes are found by a periodic check.
"""

import itertools
import threading
from typing import Any

from sqlalchemy import Delete, Insert, Update, event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import ORMExecuteState, Session
from sqlalchemy.pool import Pool


class CommitSignal:
    """Grows once a transaction of this process that wrote rows of the given models has committed.

    Every INSERT, UPDATE or DELETE that SQLAlchemy sends counts, whether an ORM flush, a bulk statement or
    Core (raw SQL text does not). `pending` tells whether a session has flushed such a write that its
    transaction has not committed yet.
    """

    def __init__(self, name: str, models: tuple[type, ...]) -> None:
        self._models = models
        self._tables = {model.__table__ for model in models}  # type: ignore[attr-defined]
        self._written = f"iotmatch_wrote_{name}"
        self._committed = f"iotmatch_committed_{name}"
        self._lock = threading.Lock()
        self._counter = itertools.count(1)
        self._version = 0
        event.listen(Engine, "after_execute", self._note_statement)
        event.listen(Engine, "commit", self._note_commit)
        event.listen(Engine, "rollback", self._forget)
        event.listen(Pool, "checkin", self._announce)
        event.listen(Session, "after_flush", self._note_flush)
        event.listen(Session, "do_orm_execute", self._note_session_statement)
        event.listen(Session, "after_transaction_end", self._end_session_transaction)

    def version(self) -> int:
        """Grows with every committed write to the models in this process."""
        return self._version

    def pending(self, session: Session) -> bool:
        """Whether the session's open transaction has flushed a write to the models (not yet committed)."""
        return bool(session.info.get(self._written, False))

    def _note_statement(self, conn: Connection, statement: Any, *_args: Any) -> None:
        if isinstance(statement, Insert | Update | Delete) and statement.table in self._tables:
            conn.info[self._written] = True

    def _note_commit(self, conn: Connection) -> None:
        # This event comes before the database has committed: a reader that looked now would find the old
        # rows under the new count. The count grows when the connection goes back to the pool, after it.
        if conn.info.pop(self._written, False):
            conn.info[self._committed] = True

    def _forget(self, conn: Connection) -> None:
        conn.info.pop(self._written, None)

    def _announce(self, _dbapi_connection: Any, record: Any) -> None:
        if record is None:
            return
        record.info.pop(self._written, None)  # never committed (the pool rolls it back)
        if record.info.pop(self._committed, False):
            with self._lock:
                self._version = next(self._counter)

    def _note_flush(self, session: Session, _context: Any) -> None:
        if any(isinstance(obj, self._models) for obj in (*session.new, *session.dirty, *session.deleted)):
            session.info[self._written] = True

    def _note_session_statement(self, state: ORMExecuteState) -> None:
        if isinstance(state.statement, Insert | Update | Delete) and state.statement.table in self._tables:
            state.session.info[self._written] = True

    def _end_session_transaction(self, session: Session, transaction: Any) -> None:
        if transaction.parent is None:
            session.info.pop(self._written, None)
