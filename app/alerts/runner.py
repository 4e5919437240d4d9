"""The alert pass inside `iotmatch serve`, where the matching engine is: a thread that ranks pending checks, a
batch per transaction. (The daily digest needs no engine: the outbox worker runs it, app/alerts/jobs.py.)"""

import logging
import threading
import time

from sqlalchemy.orm import Session, sessionmaker

from app.alerts import service
from app.config import Settings
from app.db import session_scope
from app.matches.engine import MatchingEngine

log = logging.getLogger(__name__)


def run_once(factory: sessionmaker[Session], engine: MatchingEngine, settings: Settings,
             stop: threading.Event | None = None, cpu_share: float = 1.0) -> int:
    """Rank every pending check, a batch per transaction; returns the checks done.

    A batch that fails (the database gone, a notification another server wrote first) rolls back whole: its
    checks stay and are done again on the next pass. Once `stop` is set no further batch starts: a server
    shutting down after a busy hour leaves the rest to the next start instead of ranking it first. Between
    batches it rests so that ranking takes at most `cpu_share` of the time: a backlog of thousands of checks
    (a roster import) must not slow the members' requests that the same process serves.
    """
    if not 0 < cpu_share <= 1:
        raise ValueError(f"cpu_share must be in (0, 1], not {cpu_share}")
    done = 0
    rest = threading.Event() if stop is None else stop  # a stop asked for during a rest ends it at once
    while not rest.is_set():  # until a batch comes back short
        started = time.monotonic()
        with session_scope(factory) as session:
            batch = service.process_checks(session, engine, settings)
        done += batch
        if batch < settings.alert_batch_size:
            break
        rest.wait((time.monotonic() - started) * (1 - cpu_share) / cpu_share)
    return done


class AlertRunner:
    """Calls run_once every `alert_poll_seconds` until stopped."""

    def __init__(self, factory: sessionmaker[Session], engine: MatchingEngine, settings: Settings) -> None:
        self.factory, self.engine, self.settings = factory, engine, settings
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="iotmatch-alerts", daemon=True)

    def start(self) -> "AlertRunner":
        """Start the thread."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Finish the batch under way and stop."""
        self._stop.set()
        self._thread.join(timeout=60)

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                run_once(self.factory, self.engine, self.settings, self._stop, self.settings.alert_cpu_share)
            except Exception:  # the next pass tries again; the checks are still there
                log.exception("alert pass failed")
            self._stop.wait(self.settings.alert_poll_seconds)
