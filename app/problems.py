"""RFC 9457 problem details for every error the API returns, in English or Japanese, and the body size limit."""

import asyncio
import logging
from collections.abc import Callable
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy.exc import DataError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.datastructures import Headers, MutableHeaders
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.errors import AppError
from app.i18n import N_
from app.messages import negotiate, phrase, render, validation_reason

log = logging.getLogger(__name__)
PROBLEM_JSON = "application/problem+json"

# status -> (type slug, code of the title); other statuses use about:blank and the status phrase.
PROBLEM_TYPES: dict[int, tuple[str, str]] = {
    400: ("bad-request", N_("problem.bad_request")),
    401: ("unauthorized", N_("problem.unauthorized")),
    403: ("forbidden", N_("problem.forbidden")),
    404: ("not-found", N_("problem.not_found")),
    405: ("method-not-allowed", N_("problem.method_not_allowed")),
    408: ("request-timeout", N_("problem.request_timeout")),
    409: ("conflict", N_("problem.conflict")),
    413: ("content-too-large", N_("problem.content_too_large")),
    422: ("invalid-input", N_("problem.invalid_input")),
    429: ("too-many-requests", N_("problem.too_many_requests")),
    500: ("internal-error", N_("problem.internal_error")),
    503: ("service-unavailable", N_("problem.service_unavailable")),
}
TYPE_BASE = "/problems/"  # relative URIs, resolved against the API's own address
BODY_PARSE_ERROR = "There was an error parsing the body"  # FastAPI's detail when json.loads fails otherwise


def problem(status: int, detail: str, *, lang: str = "en", field: str | None = None,
            headers: dict[str, str] | None = None, **extra: Any) -> JSONResponse:
    """An RFC 9457 problem-details response with a type URI and a title in the language."""
    known = PROBLEM_TYPES.get(status)
    if known:
        type_uri, title = TYPE_BASE + known[0], render(known[1], lang, {})
    else:
        type_uri, title = "about:blank", HTTPStatus(status).phrase
    body: dict[str, Any] = {"type": type_uri, "title": title, "status": status, "detail": detail}
    if field:
        body["field"] = field
    body.update(extra)
    response = JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)
    response.headers["Content-Language"] = lang
    # Also here, not only in NoSniffMiddleware: a 500 is sent from outside every middleware.
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def language(request: Request) -> str:
    """The language the caller asked for."""
    return negotiate(request.headers.get("accept-language"))


async def app_error(request: Request, exc: Exception) -> JSONResponse:
    """An AppError, with its catalogue message in the caller's language when it has one."""
    assert isinstance(exc, AppError)
    lang = language(request)
    detail = render(exc.code, lang, exc.params) if exc.code else exc.message
    headers: dict[str, str] | None = getattr(exc, "headers", None)
    if exc.status_code == 401:
        headers = {"WWW-Authenticate": "Bearer"}
    return problem(exc.status_code, detail, lang=lang, field=exc.field, headers=headers)


def _field(loc: tuple[Any, ...] | list[Any]) -> str:
    parts = list(loc)
    if parts and parts[0] in ("body", "query", "path", "header"):
        parts = parts[1:]
    return ".".join(str(p) for p in parts)


async def validation_error(request: Request, exc: Exception) -> JSONResponse:
    """422 naming the first invalid field, with every problem listed under `errors` (never the input)."""
    assert isinstance(exc, RequestValidationError)
    lang = language(request)
    errors = list(exc.errors())
    if errors and errors[0].get("type") == "json_invalid":
        return problem(422, _json_invalid(errors[0], lang), lang=lang)
    listed = [{"field": _field(e.get("loc", ())), "message": validation_reason(e, lang)} for e in errors]
    first = listed[0] if listed else {"field": "", "message": "invalid value"}
    detail = render("invalid.input", lang, {"field": first["field"] or "body", "reason": first["message"]})
    return problem(422, detail, lang=lang, field=first["field"] or None, errors=listed)


def _json_invalid(error: dict[str, Any], lang: str) -> str:
    """The JSON decoder's reason (English) for en, the position of the fault for ja."""
    reason = str((error.get("ctx") or {}).get("error", "malformed"))
    loc = list(error.get("loc", ()))
    position = loc[-1] + 1 if loc and isinstance(loc[-1], int) else "?"
    return render("invalid.json", lang, {"reason": reason, "position": position})


def _unparsed_body(exc: HTTPException, lang: str) -> str:
    """FastAPI's 400 for a body json.loads refused beyond a syntax error: not UTF-8, or a number too long."""
    code = N_("http.body_encoding") if isinstance(exc.__cause__, UnicodeDecodeError) else N_("http.body_unreadable")
    return render(code, lang, {})


async def http_error(request: Request, exc: Exception) -> JSONResponse:
    """Starlette's and FastAPI's HTTP errors (unknown route, wrong method, …) in the same shape."""
    assert isinstance(exc, HTTPException)
    lang = language(request)
    headers = dict(exc.headers or {})
    if exc.status_code == 404 and exc.detail == HTTPStatus.NOT_FOUND.phrase:
        detail = render("http.not_found", lang, {"path": request.url.path})
    elif exc.status_code == 405:
        allow = headers.get("Allow") or headers.get("allow") or phrase("http.another_method")
        detail = render("http.method_not_allowed", lang,
                        {"method": request.method, "path": request.url.path, "allow": allow})
    elif isinstance(exc, BodyTooLarge):
        detail = render("http.too_large", lang, {"limit": exc.limit})
    elif exc.status_code == 400 and exc.detail == BODY_PARSE_ERROR:
        detail = _unparsed_body(exc, lang)
    else:  # any other HTTPException: its own detail in English, a general sentence in Japanese
        detail = render("http.error", lang, {"detail": exc.detail, "status": exc.status_code})
    return problem(exc.status_code, detail, lang=lang, headers=headers or None)


async def internal_error(request: Request, exc: Exception) -> JSONResponse:
    """A bug: logged with its traceback, answered without internals."""
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    lang = language(request)
    return problem(500, render("http.internal", lang, {}), lang=lang)


# Seconds a client gets to retry when the database is out of reach (a restart, a failover, a full disk).
DATABASE_RETRY_AFTER = 5


async def database_error(request: Request, exc: Exception) -> JSONResponse:
    """The database is out of reach or refuses to work (connection lost, pool exhausted, disk full, locked
    too long): the request changed nothing, so the caller may retry: 503 with Retry-After, not a 500."""
    lang = language(request)
    if isinstance(exc, DataError) and "NUL" in str(exc.orig):  # PostgreSQL refuses NUL in text
        return problem(400, render("http.nul_text", lang, {}), lang=lang)
    if isinstance(exc, DataError):
        return await internal_error(request, exc)
    log.warning("database unavailable on %s %s: %s", request.method, request.url.path, exc.__class__.__name__)
    return problem(503, render("http.database_unavailable", lang, {}), lang=lang,
                   headers={"Retry-After": str(DATABASE_RETRY_AFTER)})


def install_problem_handlers(app: FastAPI) -> None:
    """Route every kind of error through the problem-details handlers, and document them so in OpenAPI."""
    app.openapi = problem_openapi(app)  # type: ignore[method-assign]
    for database_exception in (OperationalError, InterfaceError, DataError, PoolTimeout):
        app.add_exception_handler(database_exception, database_error)
    app.add_exception_handler(AppError, app_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(HTTPException, http_error)
    app.add_exception_handler(Exception, internal_error)


class BodyTooLarge(HTTPException):
    """Raised from `receive` once a body without a (truthful) Content-Length passes the limit."""

    def __init__(self, limit: int) -> None:
        super().__init__(status_code=413, detail=HTTPStatus.REQUEST_ENTITY_TOO_LARGE.phrase,
                         headers={"Connection": "close"})
        self.limit = limit


class BodyTimeout(HTTPException):
    """Raised from `receive` when a declared body stops arriving: the connection is not held forever."""

    def __init__(self, seconds: float) -> None:
        super().__init__(status_code=408, detail=HTTPStatus.REQUEST_TIMEOUT.phrase, headers={"Connection": "close"})
        self.seconds = seconds


class RequestGuardMiddleware:
    """Refuses bodies over the limit with 413 and URLs with NUL characters with 400, before any route runs.

    A declared Content-Length is checked up front; a streamed body is counted as it is read, and FastAPI
    re-raises the HTTPException from its body parsing so the problem handler answers it.
    """

    def __init__(self, app: ASGIApp, max_bytes: int, body_timeout: float = 30.0) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.body_timeout = body_timeout

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        lang = negotiate(headers.get("accept-language"))
        # PostgreSQL refuses NUL in text, so an id or filter holding one would fail deep in a query.
        if "\x00" in scope["path"] or b"%00" in scope.get("query_string", b""):
            await problem(400, render("http.nul", lang, {}), lang=lang)(scope, receive, send)
            return
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self.max_bytes:
            await self._too_large(scope, receive, send, lang)
            return
        received = 0
        started = False
        body_done = False

        async def counting_receive() -> Message:
            nonlocal received, body_done
            if body_done:  # afterwards the app only listens for a disconnect, which may take any time
                return await receive()
            try:
                message = await asyncio.wait_for(receive(), self.body_timeout)
            except TimeoutError:
                raise BodyTimeout(self.body_timeout) from None
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                body_done = not message.get("more_body", False)
                if received > self.max_bytes:
                    raise BodyTooLarge(self.max_bytes)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except BodyTooLarge:
            if started:
                raise
            await self._too_large(scope, receive, send, lang)
        except BodyTimeout:
            if started:
                raise
            detail = render("http.body_timeout", lang, {"seconds": f"{self.body_timeout:g}"})
            await problem(408, detail, lang=lang, headers={"Connection": "close"})(scope, receive, send)

    async def _too_large(self, scope: Scope, receive: Receive, send: Send, lang: str) -> None:
        detail = render("http.too_large", lang, {"limit": self.max_bytes})
        await problem(413, detail, lang=lang, headers={"Connection": "close"})(scope, receive, send)


class NoSniffMiddleware:
    """`X-Content-Type-Options: nosniff` on every response: browsers take each answer as the type it declares."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_nosniff(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                if "x-content-type-options" not in headers:
                    headers["X-Content-Type-Options"] = "nosniff"
            await send(message)

        await self.app(scope, receive, send_nosniff)


class Problem(BaseModel):
    """RFC 9457 problem details: every error of the API has this shape."""

    type: str = Field(description="a URI naming the kind of problem, e.g. /problems/not-found",
                      examples=["/problems/not-found"])
    title: str = Field(description="short summary of the kind, in the caller's language", examples=["見つかりません"])
    status: int = Field(description="the HTTP status", examples=[404])
    detail: str = Field(description="what went wrong and what to do about it, in the caller's language",
                        examples=["ID 'N-9999' のニーズはありません。GET /v1/needs で一覧できます。"])
    field: str | None = Field(default=None, description="the offending field, for validation errors",
                              examples=["limit"])
    errors: list[dict[str, str]] | None = Field(default=None, description="validation errors: every field with its "
                                                                           "message")


# Documented on every operation, so clients and schema checks know the error shape.
COMMON_PROBLEMS = {
    "413": "the request body is larger than the limit",
    "422": "a parameter or a field of the body is invalid; `field` names it",
    "429": "too many requests with this key, or failed authentications from this address; see Retry-After",
}
KEYED_PROBLEMS = {"401": "no key, an unknown key or a revoked key", "403": "the key's role may not do this"}


def problem_openapi(app: FastAPI) -> Callable[[], dict[str, Any]]:
    """An openapi() for the app whose error responses are problem details instead of FastAPI's default 422."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        components["Problem"] = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
        content = {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}}
        for path, operations in schema.get("paths", {}).items():
            for operation in operations.values():
                responses = operation.setdefault("responses", {})
                problems = COMMON_PROBLEMS | (KEYED_PROBLEMS if operation.get("security") else {})
                if "{" in path:
                    problems = problems | {"404": "no such id"}
                for status, description in problems.items():
                    responses[status] = {"description": description, "content": content}
        for unused in ("HTTPValidationError", "ValidationError"):
            components.pop(unused, None)
        app.openapi_schema = schema
        return schema

    return openapi
