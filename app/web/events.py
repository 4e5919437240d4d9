"""Matching events for the secretariat: the schedule grid (time slots × tables) and the printable agendas."""

from dataclasses import dataclass

from fastapi import APIRouter
from sqlalchemy.orm import Session
from starlette.responses import HTMLResponse, Response

from app.db import utcnow
from app.dependencies import SessionDep
from app.events import exports, outcomes, planning
from app.events import service as event_service
from app.events.models import Event, EventMeeting, EventSlot
from app.web.event_forms import local_deadline
from app.web.pages import PageError, PageRoute, Visitor, VisitorDep, login_url, page, redirect

router = APIRouter(route_class=PageRoute, include_in_schema=False)


@dataclass(frozen=True)
class GridRow:
    """One time slot: a break, or a meeting per table (None where a table is free)."""

    slot: EventSlot
    cells: list[EventMeeting | None]


def schedule_grid(event: Event, meetings: list[EventMeeting]) -> list[GridRow]:
    """Rows in time order, columns by table number."""
    at = {(m.slot_code, m.table_no): m for m in meetings}
    return [GridRow(slot, [] if slot.kind == "break" else [at.get((slot.code, t)) for t in range(1, event.tables + 1)])
            for slot in event.slots]


def _secretariat(visitor: Visitor, path: str) -> Response | None:
    """A redirect to sign in, a 403 page for other keys, or None for the secretariat."""
    if visitor.principal is None:
        return redirect(visitor, login_url(path))
    if not visitor.principal.is_secretariat:
        raise PageError(403, "page.error.events_secretariat_only")
    return None


@router.get("/dashboard/events/{event_code}", name="event")
def event_page(event_code: str, visitor: VisitorDep, db_session: SessionDep, saved: str = "") -> Response:
    """The event's schedule grid with each meeting's value and topics, the forms to schedule, lock, move, remove,
    add and publish meetings, and links to the participants, outcomes, report and printable agendas."""
    denied = _secretariat(visitor, f"/dashboard/events/{event_code}")
    if denied is not None:
        return denied
    event = event_service.get_event(db_session=db_session, code=event_code)
    return render_event(visitor, db_session, event, saved=saved[:16])


def render_event(visitor: Visitor, db_session: Session, event: Event, *, saved: str = "",
                 errors: dict[str, str] | None = None, status_code: int = 200) -> Response:
    """The event page; `errors` maps a form field (a, b, slot, table, or move-<meeting id>) to what is wrong."""
    meetings = planning.meetings(db_session=db_session, event=event)
    return page(visitor, "event.html", event=event, grid=schedule_grid(event, meetings), meetings=meetings,
                tables=range(1, event.tables + 1), saved=saved, topics=outcomes.topics, errors=errors or {},
                reason=lambda why: outcomes.localized_reason(why, visitor.lang),
                slot_codes=event_service.meeting_slot_codes(event),
                participants=[p.organization for p in event.participants],
                registration_open=event_service.registration_open(event, utcnow()),
                deadline=local_deadline(event.registration_closes_at).replace("T", " "), status_code=status_code)


@router.get("/dashboard/events/{event_code}/print", name="event_print")
def event_print(event_code: str, visitor: VisitorDep, db_session: SessionDep) -> Response:
    """The A4 page to print: the grid for the venue and one agenda per participant."""
    denied = _secretariat(visitor, f"/dashboard/events/{event_code}/print")
    if denied is not None:
        return denied
    event = event_service.get_event(db_session=db_session, code=event_code)
    return HTMLResponse(exports.export_html(db_session=db_session, event=event),
                        headers={"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff",
                                 "Content-Security-Policy": "default-src 'self'; style-src 'self' 'unsafe-inline'; "
                                                            "frame-ancestors 'none'"})
