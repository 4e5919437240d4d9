"""What every page shares: the visitor (language, session, signed-in key), rendering, and errors as pages."""

from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import Depends, Request
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from fastapi.templating import Jinja2Templates
from sqlalchemy.orm import selectinload
from starlette.datastructures import QueryParams
from starlette.exceptions import HTTPException
from starlette.responses import RedirectResponse, Response

from app.accounts import service as account_service
from app.accounts.models import Person
from app.auth.dependencies import Principal
from app.auth.models import ApiKey
from app.dependencies import SessionDep
from app.errors import AppError
from app.i18n import has as in_catalog
from app.messages import DEFAULT_LANGUAGE, render
from app.ratelimit import RateLimiter, client_address
from app.web import i18n
from app.web import session as web_session
from app.web.highlight import highlight

TEMPLATES = Jinja2Templates(directory=Path(__file__).parent / "templates")


def _langswap(params: QueryParams, lang: str) -> str:
    """The query string with lang switched to the other language."""
    other = "en" if lang == "ja" else "ja"
    return urlencode([(k, v) for k, v in params.multi_items() if k != "lang"] + [("lang", other)])


TEMPLATES.env.filters["highlight"] = highlight
TEMPLATES.env.filters["langswap"] = _langswap
# Pages other sites may not frame; the lab embed sets its own frame-ancestors.
PAGE_CSP = ("default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; "
            "form-action 'self'; base-uri 'none'; frame-ancestors 'none'")


class PageError(AppError):
    """An error a page shows in the visitor's language: a code of the catalog and its parameters."""

    def __init__(self, status_code: int, code: str, **params: Any) -> None:
        super().__init__(render(code, DEFAULT_LANGUAGE, params), code=code, params=params)
        self.status_code = status_code


class Throttled(PageError):
    """Too many requests from one address: the page says when to try again, and so does Retry-After."""

    def __init__(self, retry_after: int, code: str) -> None:
        super().__init__(429, code, retry_after=retry_after)
        self.headers = {"Retry-After": str(retry_after)}


@dataclass
class Visitor:
    """Who is looking at the page, in which language, with which session."""

    request: Request
    lang: str
    session: web_session.WebSession
    principal: Principal | None
    name: str | None = None  # the signed-in member's or lab's name
    person: Person | None = None  # who signed in by e-mail (None for a key's session)

    @property
    def t(self) -> i18n.Translator:
        """Interface strings in the visitor's language."""
        return i18n.Translator(self.lang)

    def require_signed_in(self) -> Principal:
        """The signed-in key; 401 page otherwise."""
        if self.principal is None:
            raise PageError(401, "page.error.sign_in")
        return self.principal


def _signed_in_key(db_session: Any, session: web_session.WebSession) -> ApiKey | None:
    if session.key_id is None or not web_session.is_live(db_session, session):
        return None
    key = db_session.get(ApiKey, session.key_id, options=[selectinload(ApiKey.organization),
                                                          selectinload(ApiKey.lab)])
    return key if key is not None and key.revoked_at is None else None


def _signed_in_person(db_session: Any, session: web_session.WebSession) -> Person | None:
    if session.person_id is None or not web_session.is_live(db_session, session):
        return None
    return account_service.active_person(db_session, session.person_id)


def get_visitor(request: Request, db_session: SessionDep) -> Visitor:
    """The visitor; a key revoked or a person removed since sign-in, or a session signed out since, leaves them
    signed out."""
    session = web_session.load(request)
    key = _signed_in_key(db_session, session)
    person = _signed_in_person(db_session, session) if key is None else None
    if (session.key_id is not None or session.person_id is not None) and key is None and person is None:
        session = web_session.WebSession(changed=True)
    principal = Principal.of(key) if key else (Principal.of_person(person) if person else None)
    visitor = Visitor(request, i18n.pick(request), session, principal, person=person)
    if key is not None:
        visitor.name = key.organization.name if key.organization else (key.lab.name if key.lab else None)
    elif person is not None and person.organization is not None:
        visitor.name = person.organization.name
    if principal is not None:
        request.state.actor = principal.actor  # how the audit names the changes of this request
    request.state.visitor = visitor
    return visitor


VisitorDep = Annotated[Visitor, Depends(get_visitor)]


def limit_anonymous_search(visitor: Visitor) -> None:
    """A 429 page when a visitor without a key searches more often from its address than the settings allow.

    Every search runs the language model on the server's few cores; members signed in and API keys must not
    wait behind a crowd of anonymous searches (those are limited per key instead).
    """
    if visitor.principal is not None:
        return
    limiter: RateLimiter | None = getattr(visitor.request.app.state, "anonymous_searches", None)
    retry_after = limiter.hit(client_address(visitor.request)) if limiter else None
    if retry_after is not None:
        raise Throttled(retry_after, "page.error.searches_throttled")


def industry_label(code: str, lang: str) -> str:
    """A JSIC division's name in the language."""
    return i18n.Translator(lang).industry(code)


def _finish(response: Response, visitor: Visitor | None) -> Response:
    if visitor is not None:
        if visitor.session.changed:
            web_session.write(response, visitor.request, visitor.session)
        if visitor.request.query_params.get("lang") in i18n.LANGUAGES:
            response.set_cookie(i18n.COOKIE, visitor.lang, max_age=365 * 86400, samesite="lax",
                                secure=visitor.request.url.scheme == "https")
    response.headers.setdefault("Content-Security-Policy", PAGE_CSP)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers["Cache-Control"] = "no-store"
    return response


def page(visitor: Visitor, template: str, status_code: int = 200, headers: dict[str, str] | None = None,
         **context: Any) -> Response:
    """Render a template for the visitor."""
    response = TEMPLATES.TemplateResponse(visitor.request, template, {
        "v": visitor, "t": visitor.t, "lang": visitor.lang, "industry_label": industry_label, **context,
    }, status_code=status_code, headers=headers)
    return _finish(response, visitor)


def redirect(visitor: Visitor, url: str) -> Response:
    """303 to the url (after a POST), writing the session if it changed."""
    return _finish(RedirectResponse(url, status_code=303), visitor)


def _error_message(exc: Exception, lang: str) -> tuple[int, str]:
    if isinstance(exc, AppError):
        text = render(exc.code, lang, exc.params) if exc.code and in_catalog(exc.code) else exc.message
        return exc.status_code, text
    if isinstance(exc, RequestValidationError):
        first = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(p) for p in first.get("loc", ())[1:])
        return 422, f"{where}: {first.get('msg', 'invalid')}"
    assert isinstance(exc, HTTPException)
    return exc.status_code, str(exc.detail)


def error_page(request: Request, exc: Exception) -> Response:
    """The error as an HTML page in the visitor's language (for page routes; the API answers JSON)."""
    visitor: Visitor | None = getattr(request.state, "visitor", None)
    lang = visitor.lang if visitor else i18n.pick(request)
    status_code, message = _error_message(exc, lang)
    headers = getattr(exc, "headers", None)
    context = {"status_code": status_code, "message": message, "t": i18n.Translator(lang), "lang": lang,
               "v": visitor, "industry_label": industry_label}
    response = TEMPLATES.TemplateResponse(request, "error.html", context, status_code=status_code, headers=headers)
    return _finish(response, visitor)


class PageRoute(APIRoute):
    """A route whose errors become HTML pages instead of the API's problem details."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def handle(request: Request) -> Response:
            try:
                return await handler(request)
            except (AppError, RequestValidationError, HTTPException) as exc:
                return error_page(request, exc)

        return handle


def safe_next(url: str | None, default: str = "/") -> str:
    """A local path to go to after a form, never another site."""
    if url and url.startswith("/") and not url.startswith("//") and "\\" not in url:
        return url
    return default


def login_url(path: str) -> str:
    """The sign-in page that comes back to path."""
    return f"/signin?next={quote(path, safe='/?=&')}"
