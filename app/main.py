"""The FastAPI application: lifespan, error handling, routers."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI
from starlette.concurrency import run_in_threadpool

from app.auth.dependencies import current_key
from app.auth.router import router as keys_router
from app.config import Settings, get_settings
from app.db import make_engine, make_session_factory, session_scope
from app.feedback.router import router as feedback_router
from app.labs.cors import AllowedOrigins, LabCorsMiddleware
from app.labs.router import router as labs_router
from app.matches.engine import MatchingEngine
from app.matches.router import router as matches_router
from app.organizations.router import router as organizations_router
from app.postings.router import needs_router, seeds_router
from app.problems import RequestGuardMiddleware, install_problem_handlers


def _start_matching(settings: Settings, app: FastAPI) -> MatchingEngine:
    engine = MatchingEngine.from_settings(settings)
    with session_scope(app.state.session_factory) as session:
        engine.start(session)
    return engine


def create_app(settings: Settings | None = None, matching: MatchingEngine | None = None, *,
               load_matching: bool = True) -> FastAPI:
    """Build the app for the settings; the lifespan opens the database and the matching engine.

    A ready engine may be passed in (tests share one); otherwise the lifespan loads the model and the
    index snapshot, rebuilding it when it is missing, stale or corrupt. With load_matching=False and no
    engine the matching routes answer 503, for tests and tools that do not need them.
    """
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = make_engine(settings.database_url)
        app.state.settings = settings
        app.state.engine = engine
        app.state.session_factory = make_session_factory(engine)
        if matching is None and load_matching:
            app.state.matching = await run_in_threadpool(_start_matching, settings, app)
        else:
            app.state.matching = matching
        yield
        engine.dispose()

    app = FastAPI(title="iotmatch", version="0.1.0", lifespan=lifespan,
                  description="九州IoTコミュニティのビジネスマッチング API: needs, seeds, matches, programs, events.")

    install_problem_handlers(app)
    app.add_middleware(RequestGuardMiddleware, max_bytes=settings.max_body_bytes)
    # Added last, so it is outermost: errors and 413s reach lab sites with their CORS headers too.
    app.state.allowed_origins = AllowedOrigins(settings.cors_refresh_seconds)
    app.add_middleware(LabCorsMiddleware, origins=app.state.allowed_origins)

    app.include_router(matches_router, dependencies=[Depends(current_key)])
    for router in (keys_router, organizations_router, needs_router, seeds_router, labs_router, feedback_router):
        app.include_router(router)

    @app.get("/healthz", tags=["operations"])
    def healthz() -> dict[str, str]:
        """The process is up."""
        return {"status": "ok"}

    return app
