"""The matching engine for a request, synced with the database first so every change is visible."""

from typing import Annotated

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool

from app.dependencies import SessionDep
from app.errors import AppError
from app.matches.engine import MatchingEngine
from app.messages import error


class IndexNotReady(AppError):
    status_code = 503
    title = "Service unavailable"


async def get_engine(request: Request, session: SessionDep) -> MatchingEngine:
    """The app's engine, synced first if members, needs or seeds changed (see MatchingEngine.refresh).

    Async: most requests find nothing to sync and save a thread-pool trip; a sync reads the database in a
    worker thread.
    """
    engine: MatchingEngine | None = getattr(request.app.state, "matching", None)
    if engine is None:
        raise error(IndexNotReady, "index.loading")
    if engine.refresh_due():
        await run_in_threadpool(engine.refresh, session)
    return engine


EngineDep = Annotated[MatchingEngine, Depends(get_engine)]
