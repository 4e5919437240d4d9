"""Garbage collection at safe points, for the long-running server.

CPython 3.11 can collect garbage in the middle of any allocation, including the one that turns an object's
inline attribute values into a real ``__dict__``. If that collection runs a weakref callback that sets an
attribute on the same object, the interrupted code carries on with the attribute values the callback has just
freed, and the heap is corrupted. SQLAlchemy's ``InstanceState`` registers exactly such a callback (it clears
``session_id`` when its instance dies), and ORM objects loaded through a relationship and its backref die in
reference cycles, so under steady writes the server crashed at random a few hundred requests in.

The server therefore turns automatic collection off and collects from one thread of its own, between
bytecodes, where no other thread can be half-way through an allocation: the re-entrant path never runs.
Collections keep their generational rhythm so memory use stays as it was.
"""

import gc
import threading

# (generation, every N ticks): young objects often, the whole heap rarely.
SCHEDULE = ((0, 1), (1, 10), (2, 100))


class SafePointCollector:
    """Owns the process's garbage collection while at least one server is running."""

    def __init__(self, tick_seconds: float = 0.1) -> None:
        self.tick_seconds = tick_seconds
        self._users = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._was_enabled = True
        self.collections = 0

    def start(self) -> None:
        """Disable automatic collection and start collecting from the collector thread."""
        with self._lock:
            self._users += 1
            if self._users > 1:
                return
            self._was_enabled = gc.isenabled()
            gc.disable()
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name="iotmatch-gc", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        """Stop the collector once its last user stops, and give collection back to the interpreter."""
        with self._lock:
            self._users -= 1
            if self._users > 0 or self._thread is None:
                return
            self._stop.set()
            self._thread.join()
            self._thread = None
            gc.collect()
            if self._was_enabled:
                gc.enable()

    def _run(self) -> None:
        tick = 0
        while not self._stop.wait(self.tick_seconds):
            tick += 1
            generation = max(g for g, every in SCHEDULE if tick % every == 0)
            gc.collect(generation)
            self.collections += 1


COLLECTOR = SafePointCollector()
