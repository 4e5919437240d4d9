"""Alert pages: the member's alerts and settings (/me/alerts), and the one-click unsubscribe link of the e-mails,
which works without signing in."""

from typing import Annotated, Literal

from fastapi import APIRouter, Form, Path, Request
from starlette.responses import Response

from app.alerts import service
from app.alerts.models import EMAIL_MODES
from app.dependencies import SessionDep
from app.organizations import service as organization_service
from app.roster.models import Organization
from app.roster.vocab import KYUSHU, PREFECTURES
from app.schemas import DB_INT
from app.web import session as web_session
from app.web.pages import PageError, PageRoute, Visitor, VisitorDep, login_url, page, redirect

pages_router = APIRouter(route_class=PageRoute, include_in_schema=False)
Csrf = Annotated[str, Form(max_length=100)]
PREFECTURE_CHOICES = list(KYUSHU) + [p for p in PREFECTURES if p not in KYUSHU]


def _member(visitor: Visitor, db_session: SessionDep) -> Organization | None:
    """The signed-in member's organization; None when nobody is signed in; 403 page for other roles."""
    principal = visitor.principal
    if principal is None:
        return None
    if principal.role != "member" or principal.organization is None:
        raise PageError(403, "page.error.my_page_members_only")
    return organization_service.get_organization(db_session=db_session, external_id=principal.organization)


@pages_router.get("/me/alerts", name="my_alerts")
def my_alerts(visitor: VisitorDep, db_session: SessionDep, saved: str = "") -> Response:
    """The member's alerts, newest first, and what it is told and how."""
    org = _member(visitor, db_session)
    if org is None:
        return redirect(visitor, login_url("/me/alerts"))
    return page(visitor, "alerts.html", org=org, saved=saved, modes=EMAIL_MODES,
                notes=service.notifications(db_session, org.id, limit=100),
                unread=service.unread_count(db_session, org.id), prefs=service.preference(db_session, org.id),
                switches=service.need_switches(db_session, org), searches=service.list_searches(db_session, org.id),
                prefectures=PREFECTURE_CHOICES)


@pages_router.post("/me/alerts")
def save_settings(visitor: VisitorDep, db_session: SessionDep, csrf: Csrf = "",
                  email_mode: Annotated[Literal["immediate", "digest", "none"], Form()] = "immediate",
                  language: Annotated[Literal["ja", "en"], Form()] = "ja",
                  needs_default: Annotated[bool, Form()] = False, seeds_enabled: Annotated[bool, Form()] = False,
                  needs: Annotated[list[str], Form()] = []) -> Response:  # noqa: B006 - FastAPI copies defaults
    """The settings form: how to be told, the defaults, and each need's switch (the needs ticked alert)."""
    web_session.check_csrf(visitor.session, csrf)
    org = _member(visitor, db_session)
    if org is None:
        return redirect(visitor, login_url("/me/alerts"))
    service.update_preference(db_session, org.id, {"email_mode": email_mode, "language": language,
                                                   "needs_default": needs_default, "seeds_enabled": seeds_enabled})
    for need in org.needs:
        service.switch_need(db_session, org, need.external_id, need.external_id in needs)
    return redirect(visitor, "/me/alerts?saved=settings")


@pages_router.post("/me/alerts/read")
def mark_all_read(visitor: VisitorDep, db_session: SessionDep, csrf: Csrf = "") -> Response:
    """Mark every alert read."""
    web_session.check_csrf(visitor.session, csrf)
    org = _member(visitor, db_session)
    if org is None:
        return redirect(visitor, login_url("/me/alerts"))
    service.mark_read(db_session, org.id)
    return redirect(visitor, "/me/alerts")


@pages_router.post("/me/alerts/searches")
def add_search(visitor: VisitorDep, db_session: SessionDep, csrf: Csrf = "",
               q: Annotated[str, Form(max_length=1000)] = "",
               target: Annotated[Literal["seeds", "needs"], Form()] = "seeds",
               prefecture: Annotated[str, Form(max_length=8)] = "") -> Response:
    """Save a search from the page."""
    web_session.check_csrf(visitor.session, csrf)
    org = _member(visitor, db_session)
    if org is None:
        return redirect(visitor, login_url("/me/alerts"))
    if not q.strip():
        raise PageError(422, "page.error.alerts_search_empty")
    if prefecture and prefecture not in PREFECTURES:
        raise PageError(422, "page.error.alerts_search_prefecture")
    service.save_search(db_session, org.id, {"q": q.strip(), "target": target, "prefecture": prefecture or None})
    return redirect(visitor, "/me/alerts?saved=search")


@pages_router.post("/me/alerts/searches/{search_id}/delete")
def remove_search(search_id: Annotated[int, Path(ge=1, le=DB_INT)], visitor: VisitorDep, db_session: SessionDep,
                  csrf: Csrf = "") -> Response:
    """Forget a saved search."""
    web_session.check_csrf(visitor.session, csrf)
    org = _member(visitor, db_session)
    if org is None:
        return redirect(visitor, login_url("/me/alerts"))
    service.delete_search(db_session, org.id, search_id)
    return redirect(visitor, "/me/alerts")


@pages_router.get("/alerts/unsubscribe/{token}", name="alerts_unsubscribe")
def unsubscribe_page(token: str, request: Request, visitor: VisitorDep, db_session: SessionDep) -> Response:
    """Asks before unsubscribing: a link opened by a mail scanner must not unsubscribe anybody."""
    org_id, address = service.read_unsubscribe_token(request.app.state.settings, token)
    org = db_session.get(Organization, org_id)
    return page(visitor, "alerts_unsubscribe.html", org=org, address=address, token=token, done=False)


@pages_router.post("/alerts/unsubscribe/{token}")
def unsubscribe(token: str, request: Request, visitor: VisitorDep, db_session: SessionDep,
                one_click: Annotated[str, Form(alias="List-Unsubscribe", max_length=20)] = "") -> Response:
    """RFC 8058 one-click: the mail program POSTs `List-Unsubscribe=One-Click`; the page's button the same.

    The signed token alone authorizes it (no sign-in, no form token): whoever has the e-mail may stop it.
    """
    del one_click  # sent by mail programs; the token is what counts
    org_id, address = service.read_unsubscribe_token(request.app.state.settings, token)
    service.unsubscribe(db_session, org_id, address)
    org = db_session.get(Organization, org_id)
    return page(visitor, "alerts_unsubscribe.html", org=org, address=address, token=token, done=True)
