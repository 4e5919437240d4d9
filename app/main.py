"""The FastAPI application: lifespan, error handling, routers."""

import logging
import shutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import Depends, FastAPI, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from app.alerts.pages import pages_router as alert_pages_router
from app.alerts.router import router as alerts_router
from app.alerts.runner import AlertRunner
from app.auth.dependencies import current_key, require_secretariat
from app.auth.router import router as keys_router
from app.collector import COLLECTOR
from app.config import Settings, get_settings
from app.db import make_engine, make_session_factory, normalize_url, session_scope
from app.events.router import router as events_router
from app.events.router import themes_router
from app.feedback.router import router as feedback_router
from app.introductions.router import router as introductions_router
from app.labs.cors import AllowedOrigins, LabCorsMiddleware
from app.labs.router import router as labs_router
from app.matches.engine import MatchingEngine
from app.matches.router import router as matches_router
from app.matches.service import warm_up
from app.notifications.worker import OutboxCollector, WorkerThread
from app.observability import Metrics, RequestContextMiddleware
from app.organizations.router import router as organizations_router
from app.postings.router import needs_router, seeds_router
from app.problems import NoSniffMiddleware, RequestGuardMiddleware, install_problem_handlers
from app.programs.router import admin_router as programs_admin_router
from app.programs.router import router as programs_router
from app.ratelimit import Limiters
from app.web.router import STATIC as web_static
from app.web.router import router as web_router

log = logging.getLogger(__name__)

# Routers that authenticate themselves (each route checks the role it needs).
API_ROUTERS = (keys_router, organizations_router, needs_router, seeds_router, labs_router, feedback_router,
               events_router, themes_router, introductions_router, alerts_router)


class Readiness(BaseModel):
    """Whether the service can answer: its database reachable and its matching index loaded."""

    status: str
    database: str
    index: str
    disk: str = Field(description="'ok', or 'full' when the data folder or the SQLite file's folder has less "
                      "free space than IOTMATCH_MIN_FREE_DISK_MB")


DESCRIPTION = """九州IoTコミュニティのビジネスマッチング API: members, needs, seeds, matches, feedback, labs, programs.

Send your API key as `Authorization: Bearer iotm_…` (or `X-API-Key: iotm_…`). Roles: `secretariat` (everything),
`member` (reads the directory and matches, changes its own organization), `lab` (read-only, defaults to the lab's
prefecture and focus industries). Errors are RFC 9457 problem details in English or Japanese (`Accept-Language`).
"""


def start_matching(settings: Settings, session_factory: sessionmaker[Session]) -> MatchingEngine:
    """The matching engine from its snapshot (or rebuilt), warmed up for the first requests."""
    engine = MatchingEngine.from_settings(settings)
    with session_scope(session_factory) as session:
        log.info("matching index: %s", engine.start(session))
    try:
        with session_scope(session_factory) as session:
            warm_up(session, engine)
    except Exception:  # a slower first request, not a server that does not start
        log.exception("could not warm up the matching engine")
    return engine


def _save_matching(engine: MatchingEngine, session_factory: sessionmaker[Session]) -> None:
    """When the server stops: the index brought up to date and, if it changed, saved, so the next start loads
    it rather than rebuilding."""
    try:
        with session_scope(session_factory) as session:
            engine.sync(session, force=True)  # whatever this process committed, due for a refresh or not
        if engine.save_if_changed():
            log.info("saved the index snapshot for the next start")
    except Exception:  # a full disk, a database gone: the shutdown goes on, and the next start rebuilds
        log.exception("could not save the index snapshot")


def create_app(settings: Settings | None = None, matching: MatchingEngine | None = None, *,
               load_matching: bool = True, owns_matching: bool = False) -> FastAPI:
    """Build the app for the settings; the lifespan opens the database and the matching engine.

    A ready engine may be passed in (tests share one; a forked worker has its own copy of the one its server
    loaded, and owns it: it saves the index when it stops, as an app that loads its engine does); otherwise the
    lifespan loads the model and the index snapshot, rebuilding it when it is missing, stale or corrupt. With
    load_matching=False and no engine the matching routes answer 503, for tests and tools that do not need them.
    """
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        COLLECTOR.start()  # see app.collector: collection at safe points only, never inside an allocation
        engine = make_engine(settings.database_url)
        runner: AlertRunner | None = None
        worker: WorkerThread | None = None
        try:
            app.state.settings = settings
            app.state.engine = engine
            app.state.session_factory = make_session_factory(engine)
            if matching is None and load_matching:
                app.state.matching = await run_in_threadpool(start_matching, settings, app.state.session_factory)
            else:
                app.state.matching = matching
            # Alerts rank changed needs and seeds with the engine, so they run where it is.
            if app.state.matching is not None and settings.alert_poll_seconds > 0:
                runner = AlertRunner(app.state.session_factory, app.state.matching, settings).start()
            if settings.worker == "inline":
                worker = WorkerThread(app.state.session_factory, settings).start()
            yield
        finally:
            if runner is not None:
                await run_in_threadpool(runner.stop)  # the batch under way finishes and commits first
            if worker is not None:
                await run_in_threadpool(worker.stop)  # the message being sent is finished and marked first
            if (matching is None or owns_matching) and getattr(app.state, "matching", None) is not None:
                await run_in_threadpool(_save_matching, app.state.matching, app.state.session_factory)
            engine.dispose()
            COLLECTOR.stop()

    app = FastAPI(title="iotmatch", version="0.1.0", lifespan=lifespan, description=DESCRIPTION)

    install_problem_handlers(app)
    app.state.settings = settings
    limiters = Limiters(settings, lambda: app.state.engine)
    app.state.rate_limiter = limiters.make("key", settings.rate_limit_per_minute, settings.rate_limit_burst)
    app.state.auth_failures = limiters.make("auth", settings.auth_failures_per_minute,
                                            max(1, settings.auth_failures_per_minute))
    app.state.anonymous_searches = limiters.make("search", settings.anonymous_searches_per_minute,
                                                 settings.anonymous_search_burst)
    app.state.sign_in_addresses = limiters.make("sign_in_address", settings.sign_in_links_per_minute,
                                                settings.sign_in_link_burst, private=True)
    app.state.invitations = limiters.make("invitation", settings.invitations_per_hour / 60, settings.invitation_burst)
    app.state.sign_in_clients = limiters.make("sign_in_client", settings.sign_in_requests_per_minute,
                                              max(1, settings.sign_in_requests_per_minute))
    app.state.metrics = Metrics(app.state)
    app.state.metrics.registry.register(OutboxCollector(app.state))
    app.add_middleware(RequestGuardMiddleware, max_bytes=settings.max_body_bytes,
                       body_timeout=settings.body_timeout_seconds)
    app.add_middleware(RequestContextMiddleware, metrics=app.state.metrics)
    # Added after the others, so it wraps them: errors and 413s reach lab sites with their CORS headers too.
    app.state.allowed_origins = AllowedOrigins(settings.cors_refresh_seconds)
    app.add_middleware(LabCorsMiddleware, origins=app.state.allowed_origins)
    app.add_middleware(NoSniffMiddleware)  # outermost of all: on the CORS middleware's own answers too

    app.include_router(matches_router, dependencies=[Depends(current_key)])
    app.include_router(programs_router, dependencies=[Depends(current_key)])
    app.include_router(programs_admin_router, dependencies=[Depends(require_secretariat)])
    for router in API_ROUTERS:
        app.include_router(router)
    _add_operations(app)
    app.include_router(web_router)
    app.include_router(alert_pages_router)
    app.mount("/static", web_static, name="static")
    return app


def disk_has_room(settings: Settings) -> bool:
    """Whether the folders the service writes to (index snapshots, and a SQLite database) have room left."""
    folders = [settings.data_dir]
    url = make_url(normalize_url(settings.database_url))
    if url.drivername.startswith("sqlite") and url.database and url.database != ":memory:":
        folders.append(Path(url.database).parent)
    minimum = settings.min_free_disk_mb * 1024 * 1024
    for folder in folders:
        existing = next((p for p in (folder, *folder.resolve().parents) if p.exists()), None)
        if existing is not None and shutil.disk_usage(existing).free < minimum:
            return False
    return True


def _add_operations(app: FastAPI) -> None:
    """/healthz, /readyz and /metrics: unauthenticated, for load balancers and Prometheus."""

    @app.get("/healthz", tags=["operations"], summary="Process up")
    def healthz() -> dict[str, str]:
        """プロセスが動いていれば 200 を返します。"""
        return {"status": "ok"}

    @app.get("/readyz", tags=["operations"], response_model=Readiness, summary="Ready to serve",
             responses={503: {"model": Readiness, "description": "database unreachable or index not loaded"}})
    def readyz(request: Request) -> JSONResponse:
        """データベースに接続でき、マッチングの索引が読み込まれていれば 200、そうでなければ 503。"""
        try:
            with request.app.state.engine.connect() as connection:
                connection.execute(text("SELECT 1"))
            database = "ok"
        except Exception:  # any failure to reach it means not ready; the reason is the database's log's
            database = "unreachable"
        index = "loaded" if getattr(request.app.state, "matching", None) is not None else "not loaded"
        disk = "ok" if disk_has_room(request.app.state.settings) else "full"
        ready = database == "ok" and index == "loaded" and disk == "ok"
        body = Readiness(status="ready" if ready else "not ready", database=database, index=index, disk=disk)
        return JSONResponse(body.model_dump(), status_code=200 if ready else 503)

    @app.get("/metrics", include_in_schema=False)
    def metrics(request: Request) -> Response:
        """Prometheus text format: requests and latency by route template, index size, outbox backlog."""
        payload, content_type = request.app.state.metrics.exposition()
        return Response(payload, media_type=content_type)
