"""The secretariat's event pages: create, edit and delete an event; participants and requests (by hand or from
the application sheet); schedule, edit and publish the meetings; outcomes and the report."""

from typing import Annotated

from fastapi import APIRouter, File, Form, UploadFile
from starlette.responses import Response

from app.dependencies import SessionDep
from app.errors import AppError
from app.events import edits, outcomes, planning
from app.events import service as event_service
from app.events.models import OUTCOMES, REQUEST_KINDS, Event
from app.i18n import N_
from app.matches.dependencies import EngineDep
from app.roster.models import Organization
from app.web import charts, event_forms
from app.web import session as web_session
from app.web.event_forms import EventForm
from app.web.events import _secretariat, render_event
from app.web.pages import PageError, PageRoute, Visitor, VisitorDep, page, redirect

router = APIRouter(route_class=PageRoute, include_in_schema=False)
Csrf = Annotated[str, Form(max_length=100)]
Short = Annotated[str, Form(max_length=200)]
Code = Annotated[str, Form(max_length=64)]
MAX_UPLOAD_BYTES = 2 * 1024 * 1024
SCHEDULE_SECONDS = 8.0
# The notices event.html and event_participants.html show after a redirect, by the action's name (?saved=…,
# ?done=…); written out so that extraction finds the codes the templates build.
NOTICES = (
    N_("page.event_saved_created"), N_("page.event_saved_updated"), N_("page.event_saved_scheduled"),
    N_("page.event_saved_published"), N_("page.event_saved_lock"), N_("page.event_saved_unlock"),
    N_("page.event_saved_move"), N_("page.event_saved_remove"), N_("page.event_saved_added"),
    N_("page.done_added"), N_("page.done_uploaded"), N_("page.done_removed"), N_("page.done_request"),
    N_("page.done_withdrawn"),
)


def _guard(visitor: Visitor, path: str) -> Response | None:
    return _secretariat(visitor, path)


def _form_page(visitor: Visitor, form: EventForm, event: Event | None, status_code: int = 200) -> Response:
    action = f"/dashboard/events/{event.code}/edit" if event else "/dashboard/events/new"
    return page(visitor, "event_form.html", form=form, event=event, action=action, status_code=status_code)


def _read_form(name: str, date: str, venue: str, tables: str, default_max_meetings: str, min_value: str, start: str,
               count: str, minutes: str, changeover: str, lunch_after: str, lunch_minutes: str, breaks: str,
               registration_closes_at: str) -> EventForm:
    return EventForm(name, date, venue, tables, default_max_meetings, min_value, start, count, minutes, changeover,
                     lunch_after, lunch_minutes, breaks, registration_closes_at)


@router.get("/dashboard/events/new", name="new_event")
def new_event_form(visitor: VisitorDep) -> Response:
    """An empty event form with a usual plan (afternoon, 20-minute slots)."""
    denied = _guard(visitor, "/dashboard/events/new")
    return denied or _form_page(visitor, EventForm(), None)


@router.post("/dashboard/events/new")
def create_event(visitor: VisitorDep, db_session: SessionDep, csrf: Csrf = "", name: Short = "", date: Short = "",
                 venue: Short = "", tables: Short = "", default_max_meetings: Short = "", min_value: Short = "",
                 start: Short = "", count: Short = "", minutes: Short = "", changeover: Short = "",
                 lunch_after: Short = "", lunch_minutes: Short = "", breaks: Short = "",
                 registration_closes_at: Short = "") -> Response:
    """Create the event; the form comes back with what to fix."""
    web_session.check_csrf(visitor.session, csrf)
    denied = _guard(visitor, "/dashboard/events/new")
    if denied:
        return denied
    form = _read_form(name, date, venue, tables, default_max_meetings, min_value, start, count, minutes, changeover,
                      lunch_after, lunch_minutes, breaks, registration_closes_at)
    event_in = form.for_create()
    if event_in is None:
        return _form_page(visitor, form, None, 422)
    try:
        event = event_service.create_event(
            db_session=db_session, name=event_in.name, date=event_in.date, venue=event_in.venue,
            tables=event_in.tables, slots=event_in.slot_specs() or [],
            default_max_meetings=event_in.default_max_meetings, min_value=event_in.min_value,
            registration_closes_at=event_in.registration_closes_at)
    except AppError as exc:
        form.errors[event_forms.field_of(exc)] = event_forms.message_of(exc, visitor.lang)
        return _form_page(visitor, form, None, exc.status_code)
    return redirect(visitor, f"/dashboard/events/{event.code}?saved=created")


@router.get("/dashboard/events/{event_code}/edit", name="edit_event")
def edit_event_form(event_code: str, visitor: VisitorDep, db_session: SessionDep) -> Response:
    """The event form filled with the event."""
    denied = _guard(visitor, f"/dashboard/events/{event_code}/edit")
    if denied:
        return denied
    event = event_service.get_event(db_session=db_session, code=event_code)
    return _form_page(visitor, EventForm.of(event), event)


@router.post("/dashboard/events/{event_code}/edit")
def update_event(event_code: str, visitor: VisitorDep, db_session: SessionDep, csrf: Csrf = "", name: Short = "",
                 date: Short = "", venue: Short = "", tables: Short = "", default_max_meetings: Short = "",
                 min_value: Short = "", start: Short = "", count: Short = "", minutes: Short = "",
                 changeover: Short = "", lunch_after: Short = "", lunch_minutes: Short = "", breaks: Short = "",
                 registration_closes_at: Short = "") -> Response:
    """Save the event; new slot fields replace its slots."""
    web_session.check_csrf(visitor.session, csrf)
    denied = _guard(visitor, f"/dashboard/events/{event_code}/edit")
    if denied:
        return denied
    event = event_service.get_event(db_session=db_session, code=event_code)
    form = _read_form(name, date, venue, tables, default_max_meetings, min_value, start, count, minutes, changeover,
                      lunch_after, lunch_minutes, breaks, registration_closes_at)
    event_in = form.for_update()
    if event_in is None:
        return _form_page(visitor, form, event, 422)
    try:
        event_service.update_event(db_session=db_session, event=event, changes=event_in.changes(),
                                   slots=event_in.slot_specs())
    except AppError as exc:
        db_session.rollback()
        form.errors[event_forms.field_of(exc)] = event_forms.message_of(exc, visitor.lang)
        return _form_page(visitor, form, event_service.get_event(db_session=db_session, code=event_code),
                          exc.status_code)
    return redirect(visitor, f"/dashboard/events/{event.code}?saved=updated")


@router.get("/dashboard/events/{event_code}/delete", name="delete_event")
def delete_event_confirm(event_code: str, visitor: VisitorDep, db_session: SessionDep) -> Response:
    """Ask before deleting: what goes with the event."""
    denied = _guard(visitor, f"/dashboard/events/{event_code}/delete")
    if denied:
        return denied
    event = event_service.get_event(db_session=db_session, code=event_code)
    return page(visitor, "event_delete.html", event=event,
                meetings=len(planning.meetings(db_session=db_session, event=event)))


@router.post("/dashboard/events/{event_code}/delete")
def delete_event(event_code: str, visitor: VisitorDep, db_session: SessionDep, csrf: Csrf = "",
                 confirm: Code = "") -> Response:
    """Delete the event once the code was typed again."""
    t = visitor.t
    web_session.check_csrf(visitor.session, csrf)
    denied = _guard(visitor, f"/dashboard/events/{event_code}/delete")
    if denied:
        return denied
    event = event_service.get_event(db_session=db_session, code=event_code)
    if confirm.strip() != event.code:
        return page(visitor, "event_delete.html", event=event, status_code=422,
                    meetings=len(planning.meetings(db_session=db_session, event=event)),
                    error=t("event_delete_mismatch", code=event.code))
    event_service.delete_event(db_session=db_session, event=event)
    return redirect(visitor, "/dashboard?deleted=" + event_code)


# --- participants and requests --------------------------------------------------------------------


def _participants_page(visitor: Visitor, db_session: SessionDep, event: Event, status_code: int = 200,
                       problems: list[str] | None = None, errors: dict[str, str] | None = None,
                       done: str = "") -> Response:
    joined = {p.organization_id for p in event.participants}
    members = [o for o in db_session.query(Organization).order_by(Organization.external_id) if o.id not in joined]
    return page(visitor, "event_participants.html", event=event, members=members, problems=problems or [],
                errors=errors or {}, done=done, request_kinds=REQUEST_KINDS,
                requests=event_service.list_requests(db_session=db_session, event=event),
                slots=[s for s in event.slots if s.kind == "meeting"],
                available=lambda p: event_service.available_slots(event, p), status_code=status_code)


@router.get("/dashboard/events/{event_code}/participants", name="event_participants")
def participants_page(event_code: str, visitor: VisitorDep, db_session: SessionDep, done: str = "") -> Response:
    """Participants and requests, with the forms to add and withdraw them."""
    denied = _guard(visitor, f"/dashboard/events/{event_code}/participants")
    if denied:
        return denied
    event = event_service.get_event(db_session=db_session, code=event_code)
    return _participants_page(visitor, db_session, event, done=done[:40])


def _load(visitor: Visitor, db_session: SessionDep, event_code: str, csrf: str) -> Event | Response:
    web_session.check_csrf(visitor.session, csrf)
    denied = _guard(visitor, f"/dashboard/events/{event_code}")
    if denied:
        return denied
    return event_service.get_event(db_session=db_session, code=event_code)


@router.post("/dashboard/events/{event_code}/participants")
def add_participants(event_code: str, visitor: VisitorDep, db_session: SessionDep, csrf: Csrf = "",
                     members: Annotated[list[str], Form(max_length=2000)] = [],  # noqa: B006 - FastAPI copies it
                     max_meetings: Short = "") -> Response:
    """Register the members ticked in the list."""
    t = visitor.t
    event = _load(visitor, db_session, event_code, csrf)
    if not isinstance(event, Event):
        return event
    errors: dict[str, str] = {}
    if not members:
        errors["members"] = t("pick_members")
    if max_meetings.strip() and not max_meetings.strip().isdigit():
        errors["max_meetings"] = t("whole_number")
    if errors:
        return _participants_page(visitor, db_session, event, 422, errors=errors)
    for org in members:
        try:
            event_service.add_participant(db_session=db_session, event=event, organization=org,
                                          max_meetings=int(max_meetings) if max_meetings.strip() else None)
        except AppError as exc:
            db_session.rollback()
            event = event_service.get_event(db_session=db_session, code=event_code)
            return _participants_page(visitor, db_session, event, exc.status_code,
                                      errors={"members": event_forms.message_of(exc, visitor.lang)})
    return redirect(visitor, f"/dashboard/events/{event_code}/participants?done=added")


@router.post("/dashboard/events/{event_code}/participants/upload")
async def upload_applications(event_code: str, visitor: VisitorDep, db_session: SessionDep, csrf: Csrf = "",
                              sheet: Annotated[UploadFile | None, File()] = None) -> Response:
    """Register (or update) every member of the application sheet; nothing is saved when a row is wrong."""
    t = visitor.t
    event = _load(visitor, db_session, event_code, csrf)
    if not isinstance(event, Event):
        return event
    data = await sheet.read(MAX_UPLOAD_BYTES + 1) if sheet is not None else b""
    if not data:
        return _participants_page(visitor, db_session, event, 422, errors={"sheet": t("sheet_missing")})
    if len(data) > MAX_UPLOAD_BYTES:
        return _participants_page(visitor, db_session, event, 413, errors={"sheet": t("sheet_too_big")})
    rows, problems = event_forms.read_applications(sheet.filename or "" if sheet else "", data)
    existing = {p.organization.external_id: p for p in event.participants}
    for row in rows if not problems else []:
        try:
            if row.member in existing:
                event_service.update_participant(db_session=db_session, event=event, participant=existing[row.member],
                                                 changes={"available_slots": row.available_slots,
                                                          **({} if row.max_meetings is None
                                                             else {"max_meetings": row.max_meetings})})
            else:
                existing[row.member] = event_service.add_participant(
                    db_session=db_session, event=event, organization=row.member,
                    available_slots=row.available_slots, max_meetings=row.max_meetings)
        except AppError as exc:
            problems.append(f"{row.row}: {event_forms.message_of(exc, visitor.lang)}")
    if problems:
        db_session.rollback()
        event = event_service.get_event(db_session=db_session, code=event_code)
        return _participants_page(visitor, db_session, event, 422, problems=problems,
                                  errors={"sheet": t("sheet_problems")})
    return redirect(visitor, f"/dashboard/events/{event_code}/participants?done=uploaded")


@router.get("/dashboard/events/{event_code}/application.{fmt}", name="event_application_sheet")
def application_sheet(event_code: str, fmt: str, visitor: VisitorDep, db_session: SessionDep) -> Response:
    """The application sheet to fill in: xlsx or CSV, with the participants so far."""
    denied = _guard(visitor, f"/dashboard/events/{event_code}/participants")
    if denied:
        return denied
    event = event_service.get_event(db_session=db_session, code=event_code)
    if fmt not in ("xlsx", "csv"):
        raise PageError(404, "page.error.sheet_format")
    body = event_forms.template_xlsx(event) if fmt == "xlsx" else event_forms.template_csv(event)
    media = ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" if fmt == "xlsx"
             else "text/csv; charset=utf-8")
    return Response(body, media_type=media, headers={
        "Content-Disposition": f'attachment; filename="{event.code}-application.{fmt}"',
        "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"})


@router.post("/dashboard/events/{event_code}/participants/{org_id}/remove")
def remove_participant(event_code: str, org_id: str, visitor: VisitorDep, db_session: SessionDep,
                       csrf: Csrf = "") -> Response:
    """Withdraw a participant with its requests."""
    event = _load(visitor, db_session, event_code, csrf)
    if not isinstance(event, Event):
        return event
    participant = event_service.get_participant(event=event, organization=org_id)
    event_service.remove_participant(db_session=db_session, event=event, participant=participant)
    return redirect(visitor, f"/dashboard/events/{event_code}/participants?done=removed")


@router.post("/dashboard/events/{event_code}/requests")
def add_request(event_code: str, visitor: VisitorDep, db_session: SessionDep, csrf: Csrf = "",
                requester: Code = "", target: Code = "", kind: Code = "") -> Response:
    """State a request for a participant (a later one about the same pair replaces it)."""
    event = _load(visitor, db_session, event_code, csrf)
    if not isinstance(event, Event):
        return event
    try:
        event_service.set_request(db_session=db_session, event=event, requester=requester, target=target, kind=kind)
    except AppError as exc:
        db_session.rollback()
        event = event_service.get_event(db_session=db_session, code=event_code)
        name = exc.field if exc.field in ("requester", "target", "kind") else "target"
        if exc.field == "organization":
            name = "requester"
        return _participants_page(visitor, db_session, event, exc.status_code,
                                  errors={f"request_{name}": event_forms.message_of(exc, visitor.lang)})
    return redirect(visitor, f"/dashboard/events/{event_code}/participants?done=request#requests")


@router.post("/dashboard/events/{event_code}/requests/{request_id}/withdraw")
def withdraw_request(event_code: str, request_id: int, visitor: VisitorDep, db_session: SessionDep,
                     csrf: Csrf = "") -> Response:
    """Withdraw one request."""
    event = _load(visitor, db_session, event_code, csrf)
    if not isinstance(event, Event):
        return event
    request = event_service.get_request(db_session=db_session, event=event, request_id=request_id)
    event_service.withdraw_request(db_session=db_session, event=event, request=request)
    return redirect(visitor, f"/dashboard/events/{event_code}/participants?done=withdrawn#requests")


# --- the schedule ---------------------------------------------------------------------------------


@router.post("/dashboard/events/{event_code}/schedule")
def run_schedule(event_code: str, visitor: VisitorDep, db_session: SessionDep, engine: EngineDep,
                 csrf: Csrf = "") -> Response:
    """Score the pairs and schedule (again): locked meetings stay where they are."""
    event = _load(visitor, db_session, event_code, csrf)
    if not isinstance(event, Event):
        return event
    planning.run_schedule(db_session=db_session, event=event, time_limit_s=SCHEDULE_SECONDS, engine=engine)
    return redirect(visitor, f"/dashboard/events/{event_code}?saved=scheduled")


@router.post("/dashboard/events/{event_code}/publish")
def publish(event_code: str, visitor: VisitorDep, db_session: SessionDep, csrf: Csrf = "") -> Response:
    """Publish the schedule: members see their agendas."""
    event = _load(visitor, db_session, event_code, csrf)
    if not isinstance(event, Event):
        return event
    planning.publish(db_session=db_session, event=event)
    return redirect(visitor, f"/dashboard/events/{event_code}?saved=published")


def _refused(visitor: Visitor, db_session: SessionDep, event_code: str, errors: dict[str, str],
             status_code: int = 422) -> Response:
    """The event page again, nothing changed, with what stands in the way at the field it concerns."""
    db_session.rollback()
    event = event_service.get_event(db_session=db_session, code=event_code)
    return render_event(visitor, db_session, event, errors=errors, status_code=status_code)


@router.post("/dashboard/events/{event_code}/meetings/{meeting_id}")
def change_meeting(event_code: str, meeting_id: int, visitor: VisitorDep, db_session: SessionDep, csrf: Csrf = "",
                   action: Code = "", slot: Code = "", table: Code = "") -> Response:
    """Lock, unlock, move or remove one meeting."""
    t = visitor.t
    event = _load(visitor, db_session, event_code, csrf)
    if not isinstance(event, Event):
        return event
    meeting = outcomes.get_meeting(db_session=db_session, event=event, meeting_id=meeting_id)
    try:
        if action in ("lock", "unlock"):
            edits.set_locked(db_session=db_session, event=event, meeting=meeting, locked=action == "lock")
        elif action == "move":
            if table.strip() and not table.strip().isdigit():
                return _refused(visitor, db_session, event_code, {f"move-{meeting_id}": t("whole_number")})
            edits.move_meeting(db_session=db_session, event=event, meeting=meeting, slot=slot or None,
                               table=int(table) if table.strip() else None)
        elif action == "remove":
            edits.remove_meeting(db_session=db_session, event=event, meeting=meeting)
        else:
            raise PageError(422, "page.error.meeting_action")
    except AppError as exc:
        if isinstance(exc, PageError):
            raise
        return _refused(visitor, db_session, event_code, {f"move-{meeting_id}": event_forms.message_of(
            exc, visitor.lang)}, exc.status_code)
    return redirect(visitor, f"/dashboard/events/{event_code}?saved={action}#m{meeting_id}")


@router.post("/dashboard/events/{event_code}/meetings")
def add_meeting(event_code: str, visitor: VisitorDep, db_session: SessionDep, csrf: Csrf = "", a: Code = "",
                b: Code = "", slot: Code = "", table: Code = "") -> Response:
    """Add a meeting by hand (locked)."""
    t = visitor.t
    event = _load(visitor, db_session, event_code, csrf)
    if not isinstance(event, Event):
        return event
    if table.strip() and not table.strip().isdigit():
        return _refused(visitor, db_session, event_code, {"table": t("whole_number")})
    try:
        edits.add_meeting(db_session=db_session, event=event, a=a, b=b, slot=slot,
                          table=int(table) if table.strip() else None)
    except AppError as exc:
        name = exc.field if exc.field in ("a", "b", "slot", "table") else "a"
        return _refused(visitor, db_session, event_code, {name: event_forms.message_of(exc, visitor.lang)},
                        exc.status_code)
    return redirect(visitor, f"/dashboard/events/{event_code}?saved=added")


# --- after the event ------------------------------------------------------------------------------


@router.get("/dashboard/events/{event_code}/outcomes", name="event_outcomes")
def outcomes_page(event_code: str, visitor: VisitorDep, db_session: SessionDep, saved: str = "") -> Response:
    """Every meeting with its outcome, on one form."""
    denied = _guard(visitor, f"/dashboard/events/{event_code}/outcomes")
    if denied:
        return denied
    event = event_service.get_event(db_session=db_session, code=event_code)
    return page(visitor, "event_outcomes.html", event=event, outcomes=OUTCOMES, saved=saved[:10],
                meetings=planning.meetings(db_session=db_session, event=event),
                slots={s.code: s for s in event.slots}, errors={})


@router.post("/dashboard/events/{event_code}/outcomes")
async def record_outcomes(event_code: str, visitor: VisitorDep, db_session: SessionDep) -> Response:
    """Save the outcome of every meeting that has one chosen (fields outcome-<id>, note-<id>)."""
    t = visitor.t
    form = await visitor.request.form(max_files=0, max_fields=4000)
    event = _load(visitor, db_session, event_code, str(form.get("csrf") or ""))
    if not isinstance(event, Event):
        return event
    rows = planning.meetings(db_session=db_session, event=event)
    errors = {}
    for m in rows:
        chosen = str(form.get(f"outcome-{m.id}") or "")
        note = str(form.get(f"note-{m.id}") or "").strip()[:2000] or None
        if not chosen:
            continue
        if chosen not in OUTCOMES:
            errors[m.id] = t("pick_outcome")
            continue
        if chosen != m.outcome or note != m.outcome_note:
            outcomes.record_outcome(db_session=db_session, event=event, meeting=m, outcome=chosen, note=note,
                                    api_key_id=visitor.principal.key_id if visitor.principal else None)
    if errors:
        db_session.rollback()
        return page(visitor, "event_outcomes.html", event=event, outcomes=OUTCOMES, saved="", status_code=422,
                    meetings=planning.meetings(db_session=db_session, event=event),
                    slots={s.code: s for s in event.slots}, errors=errors)
    return redirect(visitor, f"/dashboard/events/{event_code}/outcomes?saved=1")


@router.get("/dashboard/events/{event_code}/report", name="event_report")
def report_page(event_code: str, visitor: VisitorDep, db_session: SessionDep) -> Response:
    """Counts of the event and a chart of the outcomes."""
    denied = _guard(visitor, f"/dashboard/events/{event_code}/report")
    if denied:
        return denied
    event = event_service.get_event(db_session=db_session, code=event_code)
    report = outcomes.event_report(db_session=db_session, event=event)
    t = visitor.t
    chart = charts.bars([(t.outcome(o), n) for o, n in report["outcomes"].items()], title=t("outcomes_chart"))
    return page(visitor, "event_report.html", event=event, report=report, chart=chart,
                reason=lambda why: outcomes.localized_reason(why, visitor.lang))
