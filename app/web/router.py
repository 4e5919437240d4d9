"""The web pages: search, postings, member profiles, sign-in; my page, dashboard and embed come from siblings."""

from pathlib import Path
from typing import Annotated, Literal

from fastapi import APIRouter, Form, Query
from fastapi.staticfiles import StaticFiles
from starlette.responses import RedirectResponse, Response

from app.accounts.router import landing
from app.accounts.router import router as accounts_router
from app.auth import service as auth_service
from app.auth.dependencies import auth_throttled, count_auth_failure
from app.dependencies import SessionDep
from app.errors import InvalidInput, Unauthorized
from app.matches.dependencies import EngineDep
from app.matches.engine import Filters
from app.messages import render
from app.organizations import service as organization_service
from app.roster.models import Need, Organization, Seed
from app.roster.vocab import INDUSTRIES, KYUSHU, PREFECTURES, ROLES
from app.web import embed, event_admin, event_member, events, member, secretariat, views
from app.web import session as web_session
from app.web.member import load_posting
from app.web.pages import (
    PageRoute,
    Visitor,
    VisitorDep,
    limit_anonymous_search,
    page,
    redirect,
    safe_next,
)

router = APIRouter(route_class=PageRoute, include_in_schema=False)
STATIC = StaticFiles(directory=Path(__file__).parent / "static")
Text = Annotated[str, Query(max_length=1000)]
# Kyushu first, then the rest of Japan, as members mostly pick one of the seven.
PREFECTURE_CHOICES = list(KYUSHU) + [p for p in PREFECTURES if p not in KYUSHU]


def search_filters(prefecture: str, role: str, industry: str) -> Filters:
    """Filters from the form's selects (empty means any); 422 page for values no select offers."""
    if prefecture and prefecture not in PREFECTURES:
        raise InvalidInput(f"prefecture {prefecture!r} is not a prefecture")
    if role and role not in ROLES:
        raise InvalidInput(f"role {role!r} is not one of {', '.join(ROLES)}")
    if industry and industry not in INDUSTRIES:
        raise InvalidInput(f"industry {industry!r} is not a JSIC division A..T")
    return Filters(prefecture=prefecture or None, role=role or None, industry=industry or None)


@router.get("/", name="search")
def search_page(visitor: VisitorDep, engine: EngineDep, q: Text = "",
                target: Literal["seeds", "needs"] = "seeds", prefecture: Annotated[str, Query(max_length=8)] = "",
                role: Annotated[str, Query(max_length=16)] = "",
                industry: Annotated[str, Query(max_length=1)] = "") -> Response:
    """Free-text search over seeds or needs with prefecture, role and industry filters."""
    filters = search_filters(prefecture, role, industry)
    kind = "seed" if target == "seeds" else "need"
    if q.strip():
        limit_anonymous_search(visitor)
    results = views.search(engine, q.strip(), target=kind, filters=filters) if q.strip() else None
    return page(visitor, "search.html", q=q, target=target, kind=kind, filters=filters, results=results,
                prefectures=PREFECTURE_CHOICES, roles=ROLES, industries=INDUSTRIES)


def _own_postings(visitor: Visitor, db_session: SessionDep, kind: str) -> list[Need] | list[Seed]:
    """The signed-in member's postings of the other kind, to pair with a result of this kind."""
    principal = visitor.principal
    if principal is None or principal.role != "member" or principal.organization is None:
        return []
    org = organization_service.get_organization(db_session=db_session, external_id=principal.organization)
    return org.needs if kind == "seed" else org.seeds


@router.get("/postings/{kind}/{posting_id}", name="posting")
def posting_page(kind: Literal["seed", "need"], posting_id: str, visitor: VisitorDep, db_session: SessionDep,
                 engine: EngineDep, q: Text = "", pair: Annotated[str, Query(max_length=64)] = "",
                 saved: Annotated[str, Query(max_length=16)] = "") -> Response:
    """One need or seed: its member, why it fits the search, and (for members) a feedback form for a pair."""
    posting = load_posting(db_session, kind, posting_id)
    if q.strip():
        limit_anonymous_search(visitor)
    why = views.reasons_for(engine, q.strip(), kind, posting_id) if q.strip() else None
    owner = visitor.principal is not None and visitor.principal.owns(posting.organization_id)
    # Feedback is on pairs across members, so a member's own posting offers none.
    own = [] if owner else _own_postings(visitor, db_session, kind)
    pairs = []
    for mine in own:
        need_id, seed_id = (mine.external_id, posting_id) if kind == "seed" else (posting_id, mine.external_id)
        found = views.pair_match(engine, need_id, seed_id) if need_id in engine.corpora["need"].docs else None
        pairs.append((mine, found.score if found else float("-inf"), views.result_view(engine, found)
                      if found else None))
    pairs.sort(key=lambda p: -p[1])
    chosen = next((p for p in pairs if p[0].external_id == pair), pairs[0] if pairs else None)
    statuses = views.member_statuses(db_session, _org_id(visitor)) if own else {}
    status = None
    if chosen is not None:
        key = (chosen[0].external_id, posting_id) if kind == "seed" else (posting_id, chosen[0].external_id)
        status = statuses.get(key)
    return page(visitor, "posting.html", kind=kind, posting=posting, q=q, why=why, pairs=pairs, chosen=chosen,
                status=status, saved=saved, owner=owner)


def _org_id(visitor: Visitor) -> int:
    principal = visitor.principal
    assert principal is not None
    assert principal.organization_id is not None
    return principal.organization_id


@router.get("/organizations/{org_id}", name="organization")
def organization_page(org_id: str, visitor: VisitorDep, db_session: SessionDep) -> Response:
    """A member's public profile; the contact only for the secretariat and the member itself."""
    org: Organization = organization_service.get_organization(db_session=db_session, external_id=org_id)
    show_contact = visitor.principal is not None and visitor.principal.owns(org.id)
    return page(visitor, "organization.html", org=org, show_contact=show_contact)


@router.get("/favicon.ico", name="favicon")
def favicon() -> Response:
    """What browsers ask for on pages that name no icon (JSON, the API reference): the site's SVG icon."""
    return RedirectResponse("/static/favicon.svg", status_code=308)


@router.get("/signin", name="signin")
def signin_page(visitor: VisitorDep, next: Annotated[str, Query(max_length=500)] = "") -> Response:
    """The sign-in form."""
    return page(visitor, "signin.html", next=safe_next(next, ""), error=None, email="", email_error=None)


@router.post("/signin")
def signin(visitor: VisitorDep, db_session: SessionDep, api_key: Annotated[str, Form(max_length=300)] = "",
           csrf: Annotated[str, Form(max_length=100)] = "",
           next: Annotated[str, Form(max_length=500)] = "") -> Response:
    """Sign in with an API key (the secretariat's second way in; people sign in by e-mail link): on success it
    becomes a fresh session cookie."""
    web_session.check_csrf(visitor.session, csrf)
    throttled = auth_throttled(visitor.request)
    if throttled is not None:
        return page(visitor, "signin.html", status_code=429, headers=throttled.headers, next=safe_next(next, ""),
                    error=render("auth.throttled", visitor.lang, throttled.params), email="", email_error=None)
    try:
        key = auth_service.authenticate(db_session=db_session, token=api_key)
    except Unauthorized as exc:
        if exc.code != "auth.missing":
            count_auth_failure(visitor.request)
        return page(visitor, "signin.html", status_code=401, next=safe_next(next, ""),
                    error=render("page.error.key_invalid", visitor.lang, {}), email="", email_error=None)
    visitor.session = web_session.signed_in(db_session, key.id)
    return redirect(visitor, safe_next(next, landing(key.role)))


@router.post("/signout", name="signout")
def signout(visitor: VisitorDep, db_session: SessionDep, csrf: Annotated[str, Form(max_length=100)] = "") -> Response:
    """End the session, on the server too: the old cookie no longer signs anyone in."""
    web_session.check_csrf(visitor.session, csrf)
    visitor.session = web_session.signed_out(db_session, visitor.session)
    return redirect(visitor, "/signin?signed_out=1")


router.include_router(accounts_router)
router.include_router(member.router)
router.include_router(secretariat.router)
router.include_router(embed.router)
# The event forms first: /dashboard/events/new is not an event's code.
router.include_router(event_admin.router)
router.include_router(event_member.router)
router.include_router(events.router)
