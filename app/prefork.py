"""`iotmatch serve --workers N`: the matching engine is loaded once, then N worker processes are forked from it.

A forked worker shares the loaded engine with the others page by page (the documents, the analyses, the
lexical index, the column views; the mapped model and vectors besides) until it writes to a page. Loading the
engine in each worker cost each one about 0.9 GB and a start of its own at 100k postings. The engine moves its
objects out of the garbage collector's reach once loaded (see MatchingEngine._settle), so collections in the
workers do not touch, and copy, their pages.

Each worker then keeps its copy current from the database, as separate servers do. The server restarts a
worker that dies; it stops them all on SIGTERM or SIGINT, and each saves the index if it changed. A worker whose
server dies gets SIGTERM from the kernel.
"""

import ctypes
import logging
import os
import signal
import socket
import time
from typing import Any

import uvicorn

from app.config import Settings
from app.db import make_engine, make_session_factory
from app.matches.engine import MatchingEngine
from embeddings.encoder import THREADS_ENV, configure_threads

log = logging.getLogger(__name__)
RESTART_PAUSE_SECONDS = 1.0  # before a dead worker's replacement: a worker failing at once must not spin
STOP_SIGNALS = {signal.SIGTERM, signal.SIGINT}
PR_SET_PDEATHSIG = 1  # prctl(2)


def serve_forked(settings: Settings, workers: int, options: dict[str, Any]) -> None:
    """Load the engine, bind the port, fork `workers` processes that serve it (each with the settings'
    embedding threads for numpy) and watch over them until a signal stops the server."""
    from app.main import start_matching

    # OpenMP is not fork-safe once it has started threads: the loading process keeps FAISS, and a second encoder
    # that reads the thread setting from the environment (e5's engine), to one thread, so that no worker inherits
    # a thread pool whose threads did not come along.
    loading = settings.model_copy(update={"embedding_threads": 1})
    before = os.environ.get(THREADS_ENV)
    os.environ[THREADS_ENV] = "1"
    database = make_engine(settings.database_url)
    try:
        matching = start_matching(loading, make_session_factory(database))
    finally:
        database.dispose()  # no connection is shared across the fork
        if before is None:
            del os.environ[THREADS_ENV]
        else:
            os.environ[THREADS_ENV] = before
    # Bound here, before the fork, as uvicorn binds for its own workers: every worker accepts connections on the
    # one socket. (Binding reads only the address; each worker's server gets the app.)
    listener = uvicorn.Config("app.main:create_app", factory=True, host=options["host"], port=options["port"]
                              ).bind_socket()
    server = os.getpid()
    children: dict[int, int] = {}
    stopping = False

    def fork(slot: int) -> None:
        # Signals wait while a worker is forked: the server must know its pid before it can pass one on.
        signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
        pid = os.fork()
        if pid == 0:
            code = 1
            try:
                for signum in STOP_SIGNALS:  # the server's handlers are not the worker's (uvicorn sets its own)
                    signal.signal(signum, signal.SIG_DFL)
                _stop_with(server)
                signal.pthread_sigmask(signal.SIG_UNBLOCK, STOP_SIGNALS)
                _work(settings, matching, listener, options)
                code = 0
            except BaseException:
                log.exception("worker %d failed", slot)
            finally:
                os._exit(code)  # never back into the server's own code (its handlers, its finally blocks)
        children[pid] = slot
        signal.pthread_sigmask(signal.SIG_UNBLOCK, STOP_SIGNALS)

    def stop(signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True
        for pid in list(children):
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass

    for signum in STOP_SIGNALS:
        signal.signal(signum, stop)
    for first in range(workers):
        fork(first)
    log.info("serving with %d forked workers", workers)
    while children:
        try:
            pid, status = os.wait()
        except ChildProcessError:
            break
        slot: int | None = children.pop(pid) if pid in children else None
        if slot is None or stopping:
            continue
        log.warning("worker %d (process %d) stopped with status %d; starting another", slot, pid, status)
        time.sleep(RESTART_PAUSE_SECONDS)
        if not stopping:
            fork(slot)
    listener.close()


def _stop_with(server: int) -> None:
    """Have the kernel send this worker SIGTERM when the server dies (killed, out of memory), so that no worker
    serves on unwatched; Linux only, elsewhere a no-op."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, int(signal.SIGTERM))
    except (OSError, AttributeError):
        return
    if os.getppid() != server:  # it died before the request took effect
        os._exit(0)


def _work(settings: Settings, matching: MatchingEngine, listener: socket.socket, options: dict[str, Any]) -> None:
    """One worker: its own app, database connections and threads around its copy of the engine."""
    from app.main import create_app

    configure_threads(settings.embedding_threads)
    app = create_app(settings, matching, owns_matching=True)
    uvicorn.Server(uvicorn.Config(app, **options)).run(sockets=[listener])
