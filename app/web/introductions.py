"""Introduction pages: a member asks from a match and answers on its page; the secretariat's queue."""

from datetime import timedelta
from typing import Annotated, Literal

from fastapi import APIRouter, Form, Path, Query
from starlette.responses import Response

from app.auth.dependencies import Principal
from app.config import Settings
from app.db import as_utc, utcnow
from app.dependencies import SessionDep
from app.errors import AppError
from app.i18n import has as in_catalog
from app.introductions import service as introduction_service
from app.introductions.models import OPEN_STATE, STATES, Introduction
from app.introductions.service import MESSAGE_MAX, NOTE_MAX, REPLY_MAX, SETTLED_STATES, STEPS, Actor
from app.messages import render
from app.organizations import service as organization_service
from app.postings import service as posting_service
from app.roster.models import Need, Seed
from app.schemas import DB_INT
from app.web import session as web_session
from app.web.pages import PageError, PageRoute, Visitor, VisitorDep, login_url, page, redirect

router = APIRouter(route_class=PageRoute, include_in_schema=False)
Csrf = Annotated[str, Form(max_length=100)]
PostingId = Annotated[str, Query(max_length=64)]
Message = Annotated[str, Form(max_length=MESSAGE_MAX * 2)]  # the service says how far over the limit it is
Reply = Annotated[str, Form(max_length=REPLY_MAX * 2)]
Note = Annotated[str, Form(max_length=NOTE_MAX * 2)]
QUEUE_PAGE = 50
IntroductionId = Annotated[int, Path(ge=1, le=DB_INT)]


def _settings(visitor: Visitor) -> Settings:
    settings: Settings = visitor.request.app.state.settings
    return settings


def _period(visitor: Visitor) -> timedelta:
    return timedelta(days=max(1, _settings(visitor).introduction_nudge_days))


def _actor(visitor: Visitor, db_session: SessionDep) -> Actor:
    """The signed-in member or the secretariat; 401 page when signed out, 403 for a lab."""
    principal = visitor.require_signed_in()
    if principal.is_secretariat:
        return Actor(principal.actor, None, principal.key_id)
    if principal.role != "member" or principal.organization is None:
        raise PageError(403, "page.error.intro_members_only")
    org = organization_service.get_organization(db_session=db_session, external_id=principal.organization)
    return Actor(principal.actor, org, principal.key_id)


def _viewer(principal: Principal) -> int | None:
    return None if principal.is_secretariat else principal.organization_id


def _load(visitor: Visitor, db_session: SessionDep, introduction_id: int) -> Introduction:
    """The introduction if the visitor is one of its members or the secretariat (404 page for anyone else)."""
    principal = visitor.require_signed_in()
    if principal.role == "lab":
        raise PageError(403, "page.error.intro_members_only")
    intro = introduction_service.get_introduction(db_session=db_session, introduction_id=introduction_id)
    introduction_service.ensure_party(intro, _viewer(principal))
    return intro


def _pair(db_session: SessionDep, need: str, seed: str) -> tuple[Need, Seed]:
    return (posting_service.get_posting(db_session=db_session, model=Need, external_id=need),
            posting_service.get_posting(db_session=db_session, model=Seed, external_id=seed))


def _form(visitor: Visitor, need: Need, seed: Seed, message: str = "", problem: str | None = None,
          status_code: int = 200) -> Response:
    return page(visitor, "introduction_new.html", need=need, seed=seed, message=message, problem=problem,
                limit=MESSAGE_MAX, status_code=status_code)


@router.get("/introductions/new", name="new_introduction")
def new_introduction(visitor: VisitorDep, db_session: SessionDep, need: PostingId = "",
                     seed: PostingId = "") -> Response:
    """The form to ask for an introduction about one need–seed pair (linked from every match)."""
    back = f"/introductions/new?need={need}&seed={seed}"
    if visitor.principal is None:
        return redirect(visitor, login_url(back))
    actor = _actor(visitor, db_session)
    if actor.organization is None:
        raise PageError(403, "page.error.intro_members_only")
    need_row, seed_row = _pair(db_session, need, seed)
    # A pair already asked about leads to its request, rather than to a form that would be refused.
    earlier = introduction_service.pair_states(db_session=db_session,
                                               organization_id=actor.organization.id).get((need, seed))
    if earlier is not None and (earlier.state in (OPEN_STATE, *SETTLED_STATES)
                                or (earlier.state == "declined" and earlier.asker_id == actor.organization.id)):
        return redirect(visitor, f"/introductions/{earlier.id}")
    return _form(visitor, need_row, seed_row)


@router.post("/introductions/new")
def ask(visitor: VisitorDep, db_session: SessionDep, csrf: Csrf = "", need: Annotated[str, Form(max_length=64)] = "",
        seed: Annotated[str, Form(max_length=64)] = "", message: Message = "") -> Response:
    """Send the request; the other member sees it on its page and gets an e-mail."""
    web_session.check_csrf(visitor.session, csrf)
    actor = _actor(visitor, db_session)
    need_row, seed_row = _pair(db_session, need, seed)
    try:
        intro = introduction_service.ask(db_session=db_session, need=need_row, seed=seed_row, message=message,
                                         actor=actor)
    except AppError as exc:
        if exc.status_code != 422:
            raise
        text = render(exc.code, visitor.lang, exc.params) if exc.code and in_catalog(exc.code) else exc.message
        return _form(visitor, need_row, seed_row, message, text, status_code=422)
    return redirect(visitor, f"/introductions/{intro.id}?done=requested")


@router.get("/introductions", name="introductions")
def my_introductions(visitor: VisitorDep, db_session: SessionDep) -> Response:
    """The member's introductions: those asked of it first, then those it asked."""
    if visitor.principal is None:
        return redirect(visitor, login_url("/introductions"))
    actor = _actor(visitor, db_session)
    if actor.organization is None:
        return redirect(visitor, "/dashboard/introductions")
    rows, _ = introduction_service.list_introductions(db_session=db_session, organization_id=actor.organization.id,
                                                      limit=200)
    received = [i for i in rows if i.recipient_id == actor.organization.id]
    sent = [i for i in rows if i.asker_id == actor.organization.id]
    return page(visitor, "introductions.html", received=received, sent=sent)


@router.get("/introductions/{introduction_id}", name="introduction")
def introduction_page(introduction_id: IntroductionId, visitor: VisitorDep, db_session: SessionDep,
                      done: Annotated[str, Query(max_length=16)] = "") -> Response:
    """One introduction: the pair, the message, the answer, the steps; the contacts once accepted."""
    if visitor.principal is None:
        return redirect(visitor, login_url(f"/introductions/{introduction_id}"))
    intro = _load(visitor, db_session, introduction_id)
    principal = visitor.principal
    viewer = _viewer(principal)
    period = _period(visitor)
    return page(visitor, "introduction.html", intro=intro, done=done,
                is_asker=viewer == intro.asker_id, is_recipient=viewer == intro.recipient_id,
                is_secretariat=principal.is_secretariat,
                show_contacts=introduction_service.contacts_shown(intro, viewer),
                events=[e for e in intro.events if viewer is None or e.kind != "note"],
                steps=STEPS, next_nudge=introduction_service.next_nudge(intro, period),
                reply_limit=REPLY_MAX, note_limit=NOTE_MAX)


Action = Literal["accept", "decline", "withdraw", "step", "note", "nudge", "broker"]


@router.post("/introductions/{introduction_id}/{action}")
def act(introduction_id: IntroductionId, action: Action, visitor: VisitorDep, db_session: SessionDep, csrf: Csrf = "",
        reply: Reply = "", note: Note = "", step: Annotated[str, Form(max_length=16)] = "") -> Response:
    """A step on the introduction by one of its members or the secretariat, then back to its page."""
    web_session.check_csrf(visitor.session, csrf)
    intro = _load(visitor, db_session, introduction_id)
    actor = _actor(visitor, db_session)
    secretariat_only = action in ("note", "nudge", "broker")
    if secretariat_only and not actor.is_secretariat:
        raise PageError(403, "page.error.intro_secretariat_only")
    if action == "accept":
        introduction_service.accept(db_session=db_session, intro=intro, reply=reply, actor=actor)
    elif action == "decline":
        introduction_service.decline(db_session=db_session, intro=intro, reply=reply, actor=actor)
    elif action == "withdraw":
        introduction_service.withdraw(db_session=db_session, intro=intro, actor=actor)
    elif action == "step":
        introduction_service.record_step(db_session=db_session, intro=intro, step=step, note=note, actor=actor)
    elif action == "note":
        introduction_service.add_note(db_session=db_session, intro=intro, note=note, actor=actor)
    elif action == "nudge":
        introduction_service.nudge(db_session=db_session, intro=intro, period=_period(visitor), actor=actor)
    else:
        introduction_service.broker(db_session=db_session, intro=intro, note=note, actor=actor)
    return redirect(visitor, f"/introductions/{intro.id}?done={action}")


@router.get("/dashboard/introductions", name="introduction_queue")
def queue(visitor: VisitorDep, db_session: SessionDep,
          state: Annotated[str, Query(max_length=16)] = "",
          older_than_days: Annotated[str, Query(max_length=4)] = "") -> Response:
    """The secretariat's queue: every request, filtered by state and by age in days."""
    if visitor.principal is None:
        return redirect(visitor, login_url("/dashboard/introductions"))
    if not visitor.principal.is_secretariat:
        raise PageError(403, "page.error.intro_secretariat_only")
    if state and state not in STATES:
        raise PageError(422, "page.error.intro_state", allowed=", ".join(STATES))
    if older_than_days and not (older_than_days.isdigit() and int(older_than_days) <= 3650):
        raise PageError(422, "page.error.intro_age")
    rows, total = introduction_service.list_introductions(
        db_session=db_session, organization_id=None, state=state or None,
        older_than_days=int(older_than_days) if older_than_days else None, limit=QUEUE_PAGE)
    now = utcnow()
    days = _settings(visitor).introduction_nudge_days
    ages = {i.id: (now - as_utc(i.created_at)).days for i in rows}
    # Unanswered past the nudge period: the ones the secretariat may want to step in on.
    overdue = {i.id for i in rows if i.state == OPEN_STATE and days and ages[i.id] >= days}
    return page(visitor, "introduction_queue.html", rows=rows, total=total, state=state,
                older_than_days=older_than_days, states=STATES, nudge_days=days, ages=ages, overdue=overdue)
