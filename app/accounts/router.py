"""The pages of sign-in by e-mail and of one's account: ask for a link, open it, sign out everywhere, colleagues.

A link from an e-mail opens a page with a button; only the button's POST uses the link, so a mail scanner that
fetches every link of a message does not sign anyone in nor spend the link.
"""

import time
from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Form, Path, Query
from starlette.responses import Response

from app.accounts import service
from app.accounts.models import Person
from app.accounts.schemas import ColleagueView
from app.accounts.service import LinkRefused
from app.dependencies import SessionDep
from app.errors import AppError, Conflict, InvalidInput
from app.messages import render
from app.ratelimit import Limiter, client_address
from app.schemas import DB_INT
from app.web import session as web_session
from app.web.pages import PageError, PageRoute, Visitor, VisitorDep, login_url, page, redirect, safe_next

router = APIRouter(route_class=PageRoute, include_in_schema=False)
Csrf = Annotated[str, Form(max_length=100)]
Email = Annotated[str, Form(max_length=320)]
Token = Annotated[str, Form(max_length=200)]
QueryToken = Annotated[str, Query(max_length=200)]
LANDING = {"member": "/me", "secretariat": "/dashboard"}


def landing(role: str) -> str:
    """Where a sign-in lands: my page for a member, the dashboard for the secretariat."""
    return LANDING.get(role, "/")


def _base_url(visitor: Visitor) -> str:
    """The start of the links in e-mails: the service's address as members reach it (IOTMATCH_PUBLIC_URL)."""
    return str(visitor.request.app.state.settings.public_url)


def _throttled(visitor: Visitor, email: str) -> int | None:
    """Seconds to wait when the client address or the e-mail address asked for links too often, else None.

    Both are counted whether the address is registered or not, so a 429 tells nothing about it.
    """
    state = visitor.request.app.state
    waits = []
    checks: tuple[tuple[Limiter | None, str], ...] = (
        (getattr(state, "sign_in_clients", None), client_address(visitor.request)),
        (getattr(state, "sign_in_addresses", None), email))
    for limiter, caller in checks:
        if limiter is not None:
            wait = limiter.hit(caller)
            if wait is not None:
                waits.append(wait)
    return max(waits) if waits else None


def _signin_page(visitor: Visitor, *, status_code: int = 200, email: str = "", error: str | None = None,
                 next: str = "", headers: dict[str, str] | None = None) -> Response:
    return page(visitor, "signin.html", status_code=status_code, headers=headers, next=safe_next(next, ""),
                email=email, error=error, email_error=None)


@router.post("/signin/email", name="signin_email")
def request_link(visitor: VisitorDep, db_session: SessionDep, email: Email = "", csrf: Csrf = "",
                 next: Annotated[str, Form(max_length=500)] = "") -> Response:
    """E-mail a sign-in link; the answer is the same, and as slow, whether the address is registered or not."""
    web_session.check_csrf(visitor.session, csrf)
    started = time.monotonic()
    try:
        address = service.normalize_email(email)
    except InvalidInput as exc:
        return page(visitor, "signin.html", status_code=422, next=safe_next(next, ""), email=email, error=None,
                    email_error=render(exc.code or "invalid.email", visitor.lang, exc.params))
    retry_after = _throttled(visitor, address)
    if retry_after is not None:
        return _signin_page(visitor, status_code=429, email=email, next=next, headers={"Retry-After": str(retry_after)},
                            error=render("page.error.sign_in_throttled", visitor.lang, {"retry_after": retry_after}))
    settings = visitor.request.app.state.settings
    service.request_sign_in(db_session, email=address, lang=visitor.lang, base_url=_base_url(visitor),
                            lifetime=timedelta(minutes=settings.sign_in_link_minutes), next=safe_next(next, ""))
    db_session.commit()  # inside the measured time, so a registered address's write does not show in it
    rest = settings.sign_in_response_seconds - (time.monotonic() - started)
    if rest > 0:
        time.sleep(rest)
    return page(visitor, "signin_sent.html", email=address, minutes=settings.sign_in_link_minutes)


def _refused(visitor: Visitor, exc: AppError) -> Response:
    return _signin_page(visitor, status_code=exc.status_code,
                        error=render(exc.code or "auth.link_unknown", visitor.lang, exc.params))


@router.get("/signin/link", name="signin_link")
def link_page(visitor: VisitorDep, db_session: SessionDep, token: QueryToken = "",
              next: Annotated[str, Query(max_length=500)] = "") -> Response:
    """The page a sign-in link opens: a button that signs in (the link is used only by pressing it)."""
    try:
        link = service.check_link(db_session, token=token)
    except LinkRefused as exc:
        return _refused(visitor, exc)
    return page(visitor, "signin_link.html", token=token, email=link.email, action="/signin/link", invitation=None,
                next=safe_next(next, ""))


@router.post("/signin/link")
def use_link(visitor: VisitorDep, db_session: SessionDep, token: Token = "", csrf: Csrf = "",
             next: Annotated[str, Form(max_length=500)] = "") -> Response:
    """Use the link: sign the person in, back on the page that sent them to sign in (`next`, a local path), else
    on my page (a member) or the dashboard (the secretariat)."""
    web_session.check_csrf(visitor.session, csrf)
    try:
        person = service.sign_in_with_link(db_session, token=token)
    except LinkRefused as exc:
        return _refused(visitor, exc)
    web_session.signed_out(db_session, visitor.session)  # whoever was signed in in this browser before
    visitor.session = web_session.signed_in(db_session, person_id=person.id)
    return redirect(visitor, safe_next(next, landing(person.role)))


@router.get("/invitations/accept", name="invitation")
def invitation_page(visitor: VisitorDep, db_session: SessionDep, token: QueryToken = "") -> Response:
    """The page an invitation opens: who invites, for which member, and a button to join."""
    try:
        invitation = service.check_invitation(db_session, token=token)
    except LinkRefused as exc:
        return _refused(visitor, exc)
    return page(visitor, "signin_link.html", token=token, email=invitation.email, action="/invitations/accept",
                invitation=invitation, next="")


@router.post("/invitations/accept")
def accept_invitation(visitor: VisitorDep, db_session: SessionDep, token: Token = "", csrf: Csrf = "") -> Response:
    """Join the member: the colleague's person is created and signed in."""
    web_session.check_csrf(visitor.session, csrf)
    try:
        person = service.accept_invitation(db_session, token=token)
    except LinkRefused as exc:
        return _refused(visitor, exc)
    web_session.signed_out(db_session, visitor.session)
    visitor.session = web_session.signed_in(db_session, person_id=person.id)
    return redirect(visitor, landing(person.role))


def _account_page(visitor: Visitor, db_session: SessionDep, *, status_code: int = 200, email: str = "",
                  invite_error: str | None = None, headers: dict[str, str] | None = None) -> Response:
    person = visitor.person
    people: list[ColleagueView] = []
    invitations = []
    if person is not None and person.organization is not None:
        contact = service.contact_address(person.organization) or ""
        people = [ColleagueView.of(p, me=person.id, contact=contact)
                  for p in service.colleagues(db_session, person.organization.id)]
        invitations = service.pending_invitations(db_session, person.organization.id)
    return page(visitor, "account.html", status_code=status_code, headers=headers, people=people,
                invitations=invitations, email=email, invite_error=invite_error,
                notice=visitor.request.query_params.get("done", ""))


@router.get("/account", name="account")
def account_page(visitor: VisitorDep, db_session: SessionDep) -> Response:
    """Who is signed in; sign out everywhere; a member's colleagues, invitations and the form to invite one."""
    if visitor.principal is None:
        return redirect(visitor, login_url("/account"))
    return _account_page(visitor, db_session)


@router.post("/account/signout-everywhere", name="signout_everywhere")
def signout_everywhere(visitor: VisitorDep, db_session: SessionDep, csrf: Csrf = "") -> Response:
    """End every session of the signed-in person (every browser, every device), this one included."""
    web_session.check_csrf(visitor.session, csrf)
    principal = visitor.require_signed_in()
    if principal.person_id is not None:
        service.sign_out_everywhere(db_session, person_id=principal.person_id)
    elif principal.key_id is not None:
        web_session.signed_out_key(db_session, principal.key_id)
    visitor.session = web_session.WebSession(changed=True)
    return redirect(visitor, "/signin?signed_out=all")


def _member_person(visitor: Visitor) -> Person:
    if visitor.principal is None:
        raise PageError(401, "page.error.sign_in")
    person = visitor.person
    if person is None or person.role != "member":
        raise PageError(403, "page.error.colleagues_members_only")
    return person


@router.post("/account/colleagues", name="invite")
def invite(visitor: VisitorDep, db_session: SessionDep, email: Email = "", csrf: Csrf = "") -> Response:
    """Invite a colleague by e-mail to sign in for the same member."""
    web_session.check_csrf(visitor.session, csrf)
    person = _member_person(visitor)
    # Each invitation mails an address the person chose: counted per person, so nobody makes the service mail
    # any address any number of times.
    limiter: Limiter | None = getattr(visitor.request.app.state, "invitations", None)
    retry_after = limiter.hit(person.id) if limiter is not None else None
    if retry_after is not None:
        return _account_page(visitor, db_session, status_code=429, email=email,
                             headers={"Retry-After": str(retry_after)},
                             invite_error=render("page.error.invite_throttled", visitor.lang,
                                                 {"retry_after": retry_after}))
    try:
        address = service.normalize_email(email)
        service.invite(db_session, inviter=person, email=address, lang=visitor.lang, base_url=_base_url(visitor))
    except (InvalidInput, Conflict) as exc:
        return _account_page(visitor, db_session, status_code=exc.status_code, email=email,
                             invite_error=render(exc.code or "invalid.email", visitor.lang, exc.params))
    return redirect(visitor, "/account?done=invited")


@router.post("/account/colleagues/{person_id}/remove", name="remove_colleague")
def remove_colleague(person_id: Annotated[int, Path(ge=1, le=DB_INT)], visitor: VisitorDep, db_session: SessionDep,
                     csrf: Csrf = "") -> Response:
    """Remove a colleague (or oneself): they can no longer sign in for the member, and their sessions end."""
    web_session.check_csrf(visitor.session, csrf)
    person = _member_person(visitor)
    service.remove_colleague(db_session, by=person, person_id=person_id)
    if person_id == person.id:
        visitor.session = web_session.WebSession(changed=True)
        return redirect(visitor, "/signin?signed_out=1")
    return redirect(visitor, "/account?done=removed")
