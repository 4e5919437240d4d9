"""The FastAPI application: lifespan, error handling, routers."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from app.config import Settings, get_settings
from app.db import make_engine, make_session_factory, session_scope
from app.errors import AppError
from app.matches.engine import MatchingEngine
from app.matches.router import router as matches_router


def problem(status: int, title: str, detail: str, field: str | None = None) -> JSONResponse:
    """An RFC 9457 problem-details response."""
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail}
    if field:
        body["field"] = field
    return JSONResponse(body, status_code=status, media_type="application/problem+json")


def _start_matching(settings: Settings, app: FastAPI) -> MatchingEngine:
    engine = MatchingEngine.from_settings(settings)
    with session_scope(app.state.session_factory) as session:
        engine.start(session)
    return engine


def create_app(settings: Settings | None = None, matching: MatchingEngine | None = None) -> FastAPI:
    """Build the app for the settings; the lifespan opens the database and the matching engine.

    A ready engine may be passed in (tests share one); otherwise the lifespan loads the model and the
    index snapshot, rebuilding it when it is missing, stale or corrupt.
    """
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = make_engine(settings.database_url)
        app.state.settings = settings
        app.state.engine = engine
        app.state.session_factory = make_session_factory(engine)
        app.state.matching = matching or await run_in_threadpool(_start_matching, settings, app)
        yield
        engine.dispose()

    app = FastAPI(title="iotmatch", version="0.1.0", lifespan=lifespan,
                  description="九州IoTコミュニティのビジネスマッチング API: needs, seeds, matches, programs, events.")

    @app.exception_handler(AppError)
    async def app_error(_request: Request, exc: AppError) -> JSONResponse:
        return problem(exc.status_code, exc.title, exc.message, exc.field)

    @app.exception_handler(RequestValidationError)
    async def validation_error(_request: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0] if exc.errors() else {}
        field = ".".join(str(p) for p in first.get("loc", ()) if p not in ("body", "query", "path"))
        return problem(422, "Invalid input", f"{field}: {first.get('msg', 'invalid value')}", field or None)

    app.include_router(matches_router)

    @app.get("/healthz", tags=["operations"])
    def healthz() -> dict[str, str]:
        """The process is up."""
        return {"status": "ok"}

    return app
