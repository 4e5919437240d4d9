"""Every need or seed created or edited leaves an alert check in the same transaction (see AlertCheck), whether
it came through the API, the pages or a roster import; the alert job ranks it later, outside the request."""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

from app.roster.models import Need, Seed

_QUIET = "iotmatch_alerts_quiet"
_NOTED = "iotmatch_alerts_noted"


@contextmanager
def quiet(session: Session) -> Iterator[Session]:
    """Changes made inside leave no checks: loading the shipped demo roster is nobody's news."""
    session.info[_QUIET] = True
    try:
        yield session
    finally:
        session.info.pop(_QUIET, None)


@event.listens_for(Session, "before_flush")
def _leave_checks(session: Session, _context: Any, _instances: Any) -> None:
    if session.info.get(_QUIET):
        return
    from app.alerts.models import AlertCheck  # here: app.roster.models imports this module, and that one it

    noted: set[tuple[str, str]] = session.info.setdefault(_NOTED, set())
    changed = [*session.new, *(obj for obj in session.dirty if session.is_modified(obj))]
    for obj in changed:
        if isinstance(obj, Need | Seed) and obj.external_id:
            kind = "need" if isinstance(obj, Need) else "seed"
            if (kind, obj.external_id) not in noted:
                noted.add((kind, obj.external_id))
                session.add(AlertCheck(kind=kind, external_id=obj.external_id))


@event.listens_for(Session, "after_commit")
@event.listens_for(Session, "after_rollback")
def _forget(session: Session) -> None:
    session.info.pop(_NOTED, None)
