"""Tells the matching engine that members, needs or seeds changed in this process, the moment the change
is committed, so the next match request syncs without polling the database on every request."""

import itertools
import threading
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

from app.roster.models import Need, Organization, Seed

WATCHED = (Organization, Need, Seed)
_PENDING = "iotmatch_matching_changed"
_lock = threading.Lock()
_counter = itertools.count(1)
_version = 0


def version() -> int:
    """Grows with every committed transaction that touched a member, need or seed in this process."""
    return _version


def _bump() -> None:
    global _version
    with _lock:
        _version = next(_counter)


@event.listens_for(Session, "after_flush")
def _note_changes(session: Session, _context: Any) -> None:
    if any(isinstance(obj, WATCHED) for obj in (*session.new, *session.dirty, *session.deleted)):
        session.info[_PENDING] = True


@event.listens_for(Session, "after_commit")
def _announce(session: Session) -> None:
    if session.info.pop(_PENDING, False):
        _bump()


@event.listens_for(Session, "after_rollback")
def _forget(session: Session) -> None:
    session.info.pop(_PENDING, None)
