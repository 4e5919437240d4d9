"""A member's event pages: register for an open event with the slots it can attend, mark suggested partners
(must meet, would like, do not meet), withdraw, and see its published agenda."""

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Form
from starlette.responses import Response

from app.db import utcnow
from app.dependencies import SessionDep
from app.events import outcomes
from app.events import service as event_service
from app.events.models import REQUEST_KINDS, Event, EventParticipant
from app.events.scoring import pair_scores
from app.matches.dependencies import EngineDep
from app.matches.engine import MatchingEngine
from app.roster.models import Organization
from app.web import session as web_session
from app.web.event_forms import local_deadline
from app.web.pages import PageError, PageRoute, Visitor, VisitorDep, login_url, page, redirect

router = APIRouter(route_class=PageRoute, include_in_schema=False)
Csrf = Annotated[str, Form(max_length=100)]
MAX_SUGGESTED = 10


@dataclass(frozen=True)
class Partner:
    """Another participant, what the member could talk about with it, and the member's request about it."""

    organization: Organization
    value: float
    topics: list[dict[str, Any]]
    request: str


def _member_org(visitor: Visitor, db_session: SessionDep) -> Organization | None:
    principal = visitor.principal
    if principal is None:
        return None
    if principal.role != "member" or principal.organization is None:
        raise PageError(403, "page.error.events_members_only")
    org = db_session.query(Organization).filter(Organization.external_id == principal.organization).one_or_none()
    if org is None:
        raise PageError(403, "page.error.member_gone")
    return org


def _mine(event: Event, org: Organization) -> EventParticipant | None:
    return next((p for p in event.participants if p.organization_id == org.id), None)


def partners(engine: MatchingEngine, event: Event, org: Organization, requests: dict[str, str]) -> list[Partner]:
    """The other participants, best suggested first: the need–seed pairs that fit between the two, with their
    shared concepts as topics; participants without such a pair come last."""
    others = [p.organization for p in event.participants if p.organization_id != org.id]
    scores = {}
    for score in pair_scores(engine, [org.external_id, *(o.external_id for o in others)]):
        if org.external_id in (score.a, score.b):
            scores[score.b if score.a == org.external_id else score.a] = score
    out = []
    for other in others:
        found = scores.get(other.external_id)
        topics = [{"mine": pair["need_member"] == org.external_id, "need": pair["need_title"],
                   "seed": pair["seed_title"], "concepts": pair["concepts"], "concepts_en": pair["concepts_en"]}
                  for pair in (found.pairs if found else [])]
        out.append(Partner(other, found.value if found else 0.0, topics, requests.get(other.external_id, "")))
    return sorted(out, key=lambda p: (-p.value, p.organization.external_id))


@router.get("/me/events", name="my_events")
def my_events(visitor: VisitorDep, db_session: SessionDep) -> Response:
    """Events open for registration and the events the member takes part in."""
    org = _member_org(visitor, db_session)
    if org is None:
        return redirect(visitor, login_url("/me/events"))
    now = utcnow()
    rows = [(e, _mine(e, org) is not None, event_service.registration_open(e, now))
            for e in event_service.list_events(db_session=db_session)]
    return page(visitor, "my_events.html", rows=[r for r in rows if r[1] or r[2]], deadline=local_deadline)


def _event_page(visitor: Visitor, db_session: SessionDep, engine: MatchingEngine, event: Event, org: Organization,
                done: str = "", errors: dict[str, str] | None = None, status_code: int = 200) -> Response:
    mine = _mine(event, org)
    open_ = event_service.registration_open(event, utcnow())
    requests = {r.target.organization.external_id: r.kind
                for r in event_service.list_requests(db_session=db_session, event=event, requester=org.external_id)}
    agenda = None
    if mine is not None and event.published_at is not None:
        agenda = outcomes.agenda(db_session=db_session, event=event, organization=org.external_id,
                                 published_only=True)
    return page(visitor, "my_event.html", event=event, mine=mine, open=open_, done=done[:20], errors=errors or {},
                slots=[s for s in event.slots if s.kind == "meeting"],
                available=event_service.available_slots(event, mine) if mine else [],
                partners=partners(engine, event, org, requests) if mine is not None else [],
                kinds=REQUEST_KINDS, agenda=agenda, deadline=local_deadline(event.registration_closes_at),
                status_code=status_code)


@router.get("/me/events/{event_code}", name="my_event")
def my_event(event_code: str, visitor: VisitorDep, db_session: SessionDep, engine: EngineDep,
             done: str = "") -> Response:
    """Register, or change the slots, requests and registration; the agenda once published."""
    org = _member_org(visitor, db_session)
    if org is None:
        return redirect(visitor, login_url(f"/me/events/{event_code}"))
    event = event_service.get_event(db_session=db_session, code=event_code)
    if _mine(event, org) is None and event.registration_closes_at is None:
        raise PageError(404, "page.error.registration_not_open")
    return _event_page(visitor, db_session, engine, event, org, done)


def _open_event(visitor: Visitor, db_session: SessionDep, event_code: str, csrf: str) -> tuple[Event, Organization]:
    web_session.check_csrf(visitor.session, csrf)
    org = _member_org(visitor, db_session)
    if org is None:
        raise PageError(401, "page.error.sign_in_first")
    event = event_service.get_event(db_session=db_session, code=event_code)
    if not event_service.registration_open(event, utcnow()):
        raise PageError(409, "page.error.registration_closed")
    return event, org


@router.post("/me/events/{event_code}/register")
def register(event_code: str, visitor: VisitorDep, db_session: SessionDep, engine: EngineDep, csrf: Csrf = "",
             slots: Annotated[list[str], Form(max_length=200)] = []) -> Response:  # noqa: B006 - FastAPI copies it
    """Register with the slots ticked, or save new slots."""
    t = visitor.t
    event, org = _open_event(visitor, db_session, event_code, csrf)
    if not slots:
        return _event_page(visitor, db_session, engine, event, org, errors={"slots": t("pick_one_slot")},
                           status_code=422)
    codes = event_service.meeting_slot_codes(event)
    available = None if set(codes) <= set(slots) else slots
    mine = _mine(event, org)
    if mine is None:
        event_service.add_participant(db_session=db_session, event=event, organization=org.external_id,
                                      available_slots=available)
    else:
        event_service.update_participant(db_session=db_session, event=event, participant=mine,
                                         changes={"available_slots": available})
    return redirect(visitor, f"/me/events/{event_code}?done=registered")


@router.post("/me/events/{event_code}/withdraw")
def withdraw(event_code: str, visitor: VisitorDep, db_session: SessionDep, csrf: Csrf = "") -> Response:
    """Withdraw from the event (the member's requests go too)."""
    event, org = _open_event(visitor, db_session, event_code, csrf)
    mine = _mine(event, org)
    if mine is not None:
        event_service.remove_participant(db_session=db_session, event=event, participant=mine)
    return redirect(visitor, f"/me/events/{event_code}?done=withdrawn")


@router.post("/me/events/{event_code}/requests")
async def save_requests(event_code: str, visitor: VisitorDep, db_session: SessionDep) -> Response:
    """Save the member's request about each other participant (field req-<member id>; empty withdraws it)."""
    form = await visitor.request.form(max_files=0, max_fields=2000)
    event, org = _open_event(visitor, db_session, event_code, str(form.get("csrf") or ""))
    if _mine(event, org) is None:
        raise PageError(409, "page.error.register_first")
    current = {r.target.organization.external_id: r
               for r in event_service.list_requests(db_session=db_session, event=event, requester=org.external_id)}
    for p in event.participants:
        target = p.organization.external_id
        if target == org.external_id or f"req-{target}" not in form:
            continue
        kind = str(form.get(f"req-{target}") or "")
        if kind and kind not in REQUEST_KINDS:
            raise PageError(422, "page.error.pick_request")
        if kind and (target not in current or current[target].kind != kind):
            event_service.set_request(db_session=db_session, event=event, requester=org.external_id, target=target,
                                      kind=kind)
        elif not kind and target in current:
            event_service.withdraw_request(db_session=db_session, event=event, request=current[target])
    return redirect(visitor, f"/me/events/{event_code}?done=requests")
