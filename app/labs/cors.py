"""CORS for the labs' web sites: the origins come from each lab's allowed_origins, not from configuration.

A preflight cannot carry the key, so it is answered for any registered origin; the actual response gets
CORS headers only when its key is a lab key registered for that origin (or when no key was accepted, so
the site can read the 401). Member and secretariat keys never get them: they are not for browsers of
other sites.
"""

import threading
import time

from anyio import to_thread
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from starlette.datastructures import Headers, MutableHeaders
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.labs.models import Lab
from app.messages import negotiate, render
from app.problems import problem

ALLOW_METHODS = "GET, POST, PATCH, DELETE, OPTIONS"
ALLOW_HEADERS = "Authorization, X-API-Key, Content-Type, Accept, Accept-Language, X-Request-ID"
EXPOSE_HEADERS = "Content-Language, Location, Retry-After, X-Request-ID"
PREFLIGHT_MAX_AGE = "600"


class AllowedOrigins:
    """The labs' origins, read from the database at most every `refresh_seconds` (at once after invalidate).

    Labs change through the CLI in another process too, so a short expiry, not only invalidation, picks them up.
    """

    def __init__(self, refresh_seconds: float) -> None:
        self.refresh_seconds = refresh_seconds
        self._origins: dict[str, frozenset[str]] = {}  # origin -> the labs that registered it
        self._loaded_at: float | None = None
        self._lock = threading.Lock()

    @property
    def stale(self) -> bool:
        """Whether the next lookup reads the database."""
        loaded_at = self._loaded_at
        return loaded_at is None or time.monotonic() - loaded_at >= self.refresh_seconds

    def invalidate(self) -> None:
        """Re-read on the next request, e.g. right after a lab's origins changed."""
        self._loaded_at = None

    def load(self, factory: sessionmaker[Session]) -> dict[str, frozenset[str]]:
        """Read every lab's origins (blocking: call off the event loop)."""
        with factory() as session:
            rows = session.execute(select(Lab.id, Lab.allowed_origins)).all()
        labs: dict[str, set[str]] = {}
        for lab_id, origins_of_lab in rows:
            for origin in origins_of_lab or []:
                if isinstance(origin, str):
                    labs.setdefault(origin.rstrip("/"), set()).add(lab_id)
        origins = {origin: frozenset(ids) for origin, ids in labs.items()}
        with self._lock:
            self._origins, self._loaded_at = origins, time.monotonic()
        return origins

    async def get(self, factory: sessionmaker[Session] | None) -> dict[str, frozenset[str]]:
        """The current origins, re-read when stale."""
        if factory is not None and self.stale:
            return await to_thread.run_sync(self.load, factory)
        return self._origins


class LabCorsMiddleware:
    """Adds CORS headers for registered lab origins and answers their preflights; other origins get none."""

    def __init__(self, app: ASGIApp, origins: AllowedOrigins) -> None:
        self.app = app
        self.origins = origins

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = Headers(scope=scope) if scope["type"] == "http" else None
        origin = headers.get("origin") if headers else None
        if headers is None or origin is None:
            await self.app(scope, receive, send)
            return
        factory = getattr(scope["app"].state, "session_factory", None) if "app" in scope else None
        labs = (await self.origins.get(factory)).get(origin.rstrip("/"), frozenset())
        if scope["method"] == "OPTIONS" and "access-control-request-method" in headers:
            await self._preflight(origin, bool(labs), headers)(scope, receive, send)
            return

        async def send_with_cors(message: Message) -> None:
            if message["type"] == "http.response.start":
                principal = (scope.get("state") or {}).get("principal")
                allowed = bool(labs) and (principal is None or (principal.role == "lab" and principal.lab in labs))
                response_headers = MutableHeaders(scope=message)
                # Caches must keep the answers for different origins apart, allowed or not.
                response_headers.add_vary_header("Origin")
                if allowed:
                    response_headers["Access-Control-Allow-Origin"] = origin
                    response_headers["Access-Control-Expose-Headers"] = EXPOSE_HEADERS
            await send(message)

        await self.app(scope, receive, send_with_cors)

    @staticmethod
    def _preflight(origin: str, allowed: bool, headers: Headers) -> Response:
        if not allowed:
            lang = negotiate(headers.get("accept-language"))
            response: Response = problem(403, render("cors.origin", lang, {"origin": origin}), lang=lang)
        else:
            response = Response(status_code=204, headers={
                "Access-Control-Allow-Origin": origin,
                "Access-Control-Allow-Methods": ALLOW_METHODS,
                "Access-Control-Allow-Headers": ALLOW_HEADERS,
                "Access-Control-Max-Age": PREFLIGHT_MAX_AGE,
            })
        response.headers.add_vary_header("Origin")
        return response
