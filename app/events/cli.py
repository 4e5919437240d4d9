"""`iotmatch events …`: the secretariat's event commands, calling the same services as the API."""

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, time
from pathlib import Path
from typing import Annotated, Any

import typer
from sqlalchemy.orm import Session

from app.cli_support import cli_language, cli_session, fail
from app.config import get_settings
from app.errors import AppError
from app.events import edits, exports, outcomes, planning, themes
from app.events import service as event_service
from app.events.models import OUTCOMES, REQUEST_KINDS
from app.events.schemas import EventRead, ParticipantRead, RequestRead
from app.messages import cli_text

events_cli = typer.Typer(help="Matching events: participants, requests, the meeting schedule, outcomes.",
                         no_args_is_help=True)


def register(cli: typer.Typer) -> None:
    """Add the event commands to the main CLI."""
    cli.add_typer(events_cli, name="events")


@contextmanager
def _session() -> Iterator[Session]:
    """A database session for one command; an error users can act on ends it with the CLI's wording."""
    try:
        with cli_session() as db_session:
            yield db_session
    except AppError as exc:
        fail(cli_text(exc, cli_language(None)))


def _echo_json(data: Any) -> None:
    typer.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))


def _parse_time(value: str) -> time:
    try:
        return datetime.strptime(value, "%H:%M").time()
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not a time like 13:00") from None


def _parse_breaks(values: list[str] | None) -> dict[int, int]:
    breaks: dict[int, int] = {}
    for value in values or []:
        if value == "none":
            continue
        breaks.update([_after_minutes(value, "--break")])
    return breaks


def _after_minutes(value: str, option: str) -> tuple[int, int]:
    after, _, minutes = value.partition(":")
    if not (after.isdigit() and minutes.isdigit()):
        raise typer.BadParameter(f"{option} {value!r}: write AFTER_SLOT:MINUTES, e.g. 6:60")
    return int(after), int(minutes)


def _parse_lunch(value: str | None) -> tuple[int, int] | None:
    return None if value in (None, "none") else _after_minutes(value, "--lunch")


Start = Annotated[str | None, typer.Option("--start", help="first slot, HH:MM")]
Count = Annotated[int | None, typer.Option("--slots", min=1, max=100, help="number of meeting slots")]
Minutes = Annotated[int | None, typer.Option("--minutes", help="meeting length: 15, 20 or 30")]
Changeover = Annotated[int | None, typer.Option("--changeover", min=0, max=60,
                                                help="minutes between two meetings, to change tables")]
Lunch = Annotated[str | None, typer.Option("--lunch", help="lunch break AFTER_SLOT:MINUTES, e.g. 6:60 ('none': no "
                                                         "lunch)")]
Breaks = Annotated[list[str] | None, typer.Option("--break", help="AFTER_SLOT:MINUTES, e.g. 3:10 (repeat; 'none': "
                                                                  "no breaks)")]
MinValue = Annotated[float | None, typer.Option(
    "--min-value", min=0, max=event_service.MAX_MIN_VALUE,
    help=f"recommended pairs below this value are not scheduled (default {event_service.DEFAULT_MIN_VALUE:g})")]


@events_cli.command("create")
def create_command(
    name: Annotated[str, typer.Option(help="event name")],
    on: Annotated[datetime, typer.Option("--date", formats=["%Y-%m-%d"], help="day of the event")],
    venue: Annotated[str, typer.Option(help="venue")],
    tables: Annotated[int, typer.Option(min=1, help="number of tables")],
    start: Start = "13:00",
    count: Count = 12,
    minutes: Minutes = 20,
    changeover: Changeover = 0,
    lunch: Lunch = None,
    breaks: Breaks = None,
    max_meetings: Annotated[int, typer.Option(min=0, help="default maximum meetings per participant")] = 6,
    min_value: MinValue = None,
    code: Annotated[str | None, typer.Option(help="event code (default EV-nnnn)")] = None,
) -> None:
    """Create an event with meeting slots from a start time, changeovers between them, a lunch and breaks."""
    plan = event_service.SlotPlan(start=_parse_time(start or "13:00"), count=count or 12, minutes=minutes or 20,
                                  changeover=changeover or 0, lunch=_parse_lunch(lunch),
                                  breaks=tuple(sorted(_parse_breaks(breaks).items())))
    with _session() as db_session:
        event = event_service.create_event(
            db_session=db_session, code=code, name=name, date=on.date(), venue=venue, tables=tables, slots=plan,
            default_max_meetings=max_meetings,
            min_value=event_service.DEFAULT_MIN_VALUE if min_value is None else min_value)
        typer.echo(f"created {event.code}: {_slot_summary(EventRead.of(event))}")


def _slot_summary(event: EventRead) -> str:
    meetings = [s for s in event.slots if s.kind == "meeting"]
    pauses = ", ".join(f"{s.label or 'break'} {s.start}–{s.end}" for s in event.slots if s.kind == "break")
    changeover = (event.plan or {}).get("changeover_minutes") or 0
    return (f"{event.name} {event.date} {event.venue}, {event.tables} tables, {len(meetings)} slots "
            f"{meetings[0].start}–{event.slots[-1].end}" + (f" ({changeover} min changeover)" if changeover else "")
            + (f"; {pauses}" if pauses else "") + f"; min value {event.min_value:g}")


@events_cli.command("edit")
def edit_command(
    event_code: Annotated[str, typer.Argument(help="event code")],
    name: Annotated[str | None, typer.Option()] = None,
    on: Annotated[datetime | None, typer.Option("--date", formats=["%Y-%m-%d"])] = None,
    venue: Annotated[str | None, typer.Option()] = None,
    tables: Annotated[int | None, typer.Option(min=1)] = None,
    start: Start = None,
    count: Count = None,
    minutes: Minutes = None,
    changeover: Changeover = None,
    lunch: Lunch = None,
    breaks: Breaks = None,
    min_value: MinValue = None,
) -> None:
    """Change an event. Slot options change the event's slot plan (the others stay as planned) and recompute
    the slots; an event whose slots were given one by one needs --start and --slots."""
    changes: dict[str, Any] = {k: v for k, v in (("name", name), ("venue", venue), ("tables", tables)) if v}
    if on is not None:
        changes["date"] = on.date()
    if min_value is not None:
        changes["min_value"] = min_value
    replanned: dict[str, Any] = {}
    if start is not None:
        replanned["start"] = _parse_time(start)
    for key, value in (("count", count), ("minutes", minutes), ("changeover", changeover)):
        if value is not None:
            replanned[key] = value
    if lunch is not None:
        replanned["lunch"] = _parse_lunch(lunch)
    if breaks is not None:
        replanned["breaks"] = tuple(sorted(_parse_breaks(breaks).items()))
    with _session() as db_session:
        event = event_service.get_event(db_session=db_session, code=event_code)
        plan = None
        if replanned:
            if event_service.event_plan(event) is None and {"start", "count"} <= replanned.keys():
                plan = event_service.SlotPlan(**{"minutes": 20, **replanned})
            else:
                plan = event_service.replan(event, **replanned)
        event_service.update_event(db_session=db_session, event=event, changes=changes, slots=plan)
        typer.echo(f"updated {event.code}: {_slot_summary(EventRead.of(event))}")


@events_cli.command("delete")
def delete_command(
    event_code: Annotated[str, typer.Argument(help="event code")],
    yes: Annotated[bool, typer.Option("--yes", help="do not ask for confirmation")] = False,
) -> None:
    """Delete the event with its participants, requests and meetings (feedback from its outcomes stays)."""
    with _session() as db_session:
        event = event_service.get_event(db_session=db_session, code=event_code)
        summary = f"{event.code} {event.name} ({len(event.participants)} participants)"
        if not yes and not typer.confirm(f"delete {summary}?"):
            raise typer.Exit(1)
        event_service.delete_event(db_session=db_session, event=event)
    typer.echo(f"deleted {summary}")


@events_cli.command("list")
def list_command() -> None:
    """Every event, latest first."""
    with _session() as db_session:
        for event in event_service.list_events(db_session=db_session):
            typer.echo(f"{event.code}  {_slot_summary(EventRead.of(event))}, {len(event.participants)} participants")


@events_cli.command("show")
def show_command(event_code: Annotated[str, typer.Argument(help="event code")],
                 as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False) -> None:
    """The event, its participants and the last schedule run."""
    with _session() as db_session:
        event = event_service.get_event(db_session=db_session, code=event_code)
        data = EventRead.of(event).model_dump(mode="json") | {
            "participant_list": [ParticipantRead.of(event, p).model_dump() for p in event.participants],
            "schedule": event.schedule_report}
    if as_json:
        _echo_json(data)
        return
    typer.echo(f"{data['code']}  {data['name']}  {data['date']}  {data['venue']}  tables {data['tables']}")
    typer.echo("slots: " + ", ".join(_slot_text(s) for s in data["slots"]))
    typer.echo(f"min value {data['min_value']:g}" + (f"; plan {json.dumps(data['plan'], ensure_ascii=False)}"
                                                      if data["plan"] else ""))
    for p in data["participant_list"]:
        slots = ",".join(p["available_slots"])
        typer.echo(f"  {p['organization']} {p['name']}: max {p['max_meetings']}, slots {slots}")
    if data["schedule"]:
        _print_report(data["schedule"])


def _slot_text(slot: dict[str, Any]) -> str:
    text = f"{slot['code']} {slot['start']}–{slot['end']}"
    if slot["kind"] != "break":
        return text
    return text + (f" (break: {slot['label']})" if slot["label"] else " (break)")


@events_cli.command("add-participant")
def add_participant_command(
    event_code: Annotated[str, typer.Argument(help="event code")],
    organization: Annotated[str, typer.Argument(help="member id, e.g. ORG-0001")],
    slots: Annotated[str | None, typer.Option(help="available slot codes, comma-separated (default: all)")] = None,
    max_meetings: Annotated[int | None, typer.Option(min=0, help="maximum meetings (default: the event's)")] = None,
) -> None:
    """Register a member for the event."""
    with _session() as db_session:
        event = event_service.get_event(db_session=db_session, code=event_code)
        available = [s.strip() for s in slots.split(",") if s.strip()] if slots else None
        p = event_service.add_participant(db_session=db_session, event=event, organization=organization,
                                          available_slots=available, max_meetings=max_meetings)
        typer.echo(f"{organization} takes part in {event.code}: max {p.max_meetings} meetings, "
                   f"{len(event_service.available_slots(event, p))} slots")


@events_cli.command("edit-participant")
def edit_participant_command(
    event_code: Annotated[str, typer.Argument(help="event code")],
    organization: Annotated[str, typer.Argument(help="member id")],
    slots: Annotated[str | None, typer.Option(help="available slot codes, comma-separated; 'all': every slot")] = None,
    max_meetings: Annotated[int | None, typer.Option(min=0, help="maximum meetings")] = None,
) -> None:
    """Change a participant's available slots or maximum (late changes: schedule again afterwards)."""
    changes: dict[str, Any] = {}
    if slots is not None:
        changes["available_slots"] = None if slots == "all" else [s.strip() for s in slots.split(",") if s.strip()]
    if max_meetings is not None:
        changes["max_meetings"] = max_meetings
    if not changes:
        raise typer.BadParameter("give --slots or --max-meetings")
    with _session() as db_session:
        event = event_service.get_event(db_session=db_session, code=event_code)
        p = event_service.get_participant(event=event, organization=organization)
        event_service.update_participant(db_session=db_session, event=event, participant=p, changes=changes)
        typer.echo(f"{organization} in {event.code}: max {p.max_meetings} meetings, "
                   f"slots {','.join(event_service.available_slots(event, p))}")


@events_cli.command("remove-participant")
def remove_participant_command(event_code: Annotated[str, typer.Argument()],
                               organization: Annotated[str, typer.Argument()]) -> None:
    """Withdraw a member from the event."""
    with _session() as db_session:
        event = event_service.get_event(db_session=db_session, code=event_code)
        participant = event_service.get_participant(event=event, organization=organization)
        event_service.remove_participant(db_session=db_session, event=event, participant=participant)
        typer.echo(f"{organization} withdrawn from {event.code}")


@events_cli.command("request")
def request_command(
    event_code: Annotated[str, typer.Argument()],
    requester: Annotated[str, typer.Argument(help="the requesting member")],
    target: Annotated[str, typer.Argument(help="the other participant")],
    kind: Annotated[str, typer.Argument(help="must_meet, would_like or do_not_meet")],
) -> None:
    """Record a participant's request about another participant."""
    if kind not in REQUEST_KINDS:
        raise typer.BadParameter(f"kind must be one of {', '.join(REQUEST_KINDS)}")
    with _session() as db_session:
        event = event_service.get_event(db_session=db_session, code=event_code)
        event_service.set_request(db_session=db_session, event=event, requester=requester, target=target, kind=kind)
        typer.echo(f"{requester} → {target}: {kind}")


@events_cli.command("requests")
def requests_command(
    event_code: Annotated[str, typer.Argument(help="event code")],
    member: Annotated[str | None, typer.Option(help="only this member's requests")] = None,
    withdraw: Annotated[int | None, typer.Option(help="withdraw the request with this id")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    """The event's requests (must_meet, would_like, do_not_meet) with their ids, or withdraw one."""
    with _session() as db_session:
        event = event_service.get_event(db_session=db_session, code=event_code)
        if withdraw is not None:
            request = event_service.get_request(db_session=db_session, event=event, request_id=withdraw)
            said = f"{request.requester.organization.external_id} → {request.target.organization.external_id}: " \
                   f"{request.kind}"
            event_service.withdraw_request(db_session=db_session, event=event, request=request)
            typer.echo(f"withdrew request {withdraw} ({said})")
            return
        rows = [RequestRead.of(r).model_dump()
                for r in event_service.list_requests(db_session=db_session, event=event, requester=member)]
    if as_json:
        _echo_json(rows)
        return
    for r in rows:
        typer.echo(f"  #{r['id']:<5} {r['requester']} → {r['target']}: {r['kind']}")
    typer.echo(f"{len(rows)} request(s); withdraw one with `iotmatch events requests {event_code} --withdraw ID`")


@events_cli.command("schedule")
def schedule_command(
    event_code: Annotated[str, typer.Argument()],
    time_limit: Annotated[float, typer.Option(min=0.5, max=60, help="time limit of the whole run (scoring, solving, "
                                                                     "storing), in seconds")] = 8.0,
    rescore: Annotated[bool, typer.Option(help="recompute pair values with the matching engine")] = True,
    as_json: Annotated[bool, typer.Option("--json", help="print the run report as JSON")] = False,
) -> None:
    """Choose the meetings and place them in slots and tables: must_meet first, then published meetings kept,
    mutual requests, one-way requests, then recommended pairs from the minimum value up. Locked meetings stay;
    the others move as little as possible."""
    engine = None
    if rescore:
        from app.matches.cli import open_engine

        engine, _ = open_engine(get_settings())
    with _session() as db_session:
        event = event_service.get_event(db_session=db_session, code=event_code)
        planning.run_schedule(db_session=db_session, event=event, time_limit_s=time_limit, engine=engine)
        report = event.schedule_report or {}
    if as_json:
        _echo_json(report)
    else:
        _print_report(report)


def _print_report(report: dict[str, Any]) -> None:
    ratio = report.get("ratio")
    typer.echo(f"schedule: {report['meetings']} meetings, value {report['objective']:.3f}"
               + (f" ({ratio:.1%} of the upper bound {report['upper_bound']:.3f})" if ratio else "")
               + f", {report['status']}")
    counts = report.get("counts") or {}
    if counts:
        typer.echo(f"  requested pairs placed: must_meet {counts['must_meet_placed']}/{counts['must_meet_pairs']}, "
                   f"mutual {counts['mutual_placed']}/{counts['mutual_pairs']}, "
                   f"one-way {counts['one_way_placed']}/{counts['one_way_pairs']}")
        typer.echo(f"  recommended meetings: {counts['recommended']} (min value {report.get('min_value', 0):g}); "
                   f"locked: {counts['locked']}; free table-slots: {counts['free_table_slots']}")
        if counts.get("previous_kept", 0) + counts.get("previous_moved", 0) + counts.get("previous_dropped", 0):
            typer.echo(f"  previous meetings: {counts['previous_kept']} kept, {counts['previous_moved']} moved, "
                       f"{counts['previous_dropped']} dropped")
    for x in report.get("infeasible_must_meet", []):
        typer.echo(f"  must_meet not placed: {x['requester']} → {x['target']}: {x['reason']}")
    for x in report.get("unplaced_requests", []):
        typer.echo(f"  would_like not placed: {x['requester']} → {x['target']}: {x['reason']}")
    for key, what in (("published_changes", "published"), ("lock_changes", "locked")):
        for x in report.get(key, []):
            typer.echo(f"  {what} meeting {x['a']}–{x['b']} ({x['slot']}, table {x['table']}): {x['change']}")
    for org, why in sorted(report.get("unscheduled", {}).items()):
        typer.echo(f"  no meeting for {org}: {why}")
    for note in report.get("notes", []):
        typer.echo(f"  note: {note}")
    timing = report.get("timing") or {}
    if timing:
        typer.echo("  time: " + ", ".join(f"{k.removesuffix('_s')} {v:.2f} s" for k, v in timing.items()))


@events_cli.command("meetings")
def meetings_command(event_code: Annotated[str, typer.Argument()],
                     as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """The meetings with their ids (for lock, move, remove-meeting and outcome), in time and table order."""
    with _session() as db_session:
        event = event_service.get_event(db_session=db_session, code=event_code)
        starts = {s.code: s.starts_at.strftime("%H:%M") for s in event.slots}
        rows = [{"id": m.id, "slot": m.slot_code, "start": starts.get(m.slot_code), "table": m.table_no,
                 "a": m.a_org.external_id, "b": m.b_org.external_id, "value": m.value, "locked": m.locked,
                 "published": m.published, "outcome": m.outcome, "topics": outcomes.topics(m.detail)}
                for m in planning.meetings(db_session=db_session, event=event)]
    rows.sort(key=lambda r: (r["start"] or "", r["slot"], r["table"]))
    if as_json:
        _echo_json(rows)
        return
    for r in rows:
        flags = "".join(f" [{f}]" for f in ("locked", "published") if r[f]) + (f" [{r['outcome']}]" if r["outcome"]
                                                                              else "")
        typer.echo(f"  #{r['id']:<5} {r['slot']} {r['start']} table {r['table']:>2}  {r['a']} – {r['b']}  "
                   f"value {r['value']:.2f}{flags}")


MeetingArg = Annotated[int, typer.Argument(help="meeting id (see `events meetings`)")]


@events_cli.command("lock")
def lock_command(event_code: Annotated[str, typer.Argument()], meeting_id: MeetingArg) -> None:
    """Lock a meeting where it is: scheduling runs keep it exactly."""
    _set_lock(event_code, meeting_id, True)


@events_cli.command("unlock")
def unlock_command(event_code: Annotated[str, typer.Argument()], meeting_id: MeetingArg) -> None:
    """Unlock a meeting: the next scheduling run may move it (as little as it can)."""
    _set_lock(event_code, meeting_id, False)


def _set_lock(event_code: str, meeting_id: int, locked: bool) -> None:
    with _session() as db_session:
        event = event_service.get_event(db_session=db_session, code=event_code)
        meeting = outcomes.get_meeting(db_session=db_session, event=event, meeting_id=meeting_id)
        edits.set_locked(db_session=db_session, event=event, meeting=meeting, locked=locked)
        typer.echo(f"meeting {meeting_id} ({_describe(meeting)}) {'locked' if locked else 'unlocked'}")


def _describe(meeting: Any) -> str:
    return f"{meeting.a_org.external_id}–{meeting.b_org.external_id}, {meeting.slot_code} table {meeting.table_no}"


@events_cli.command("move")
def move_command(
    event_code: Annotated[str, typer.Argument()],
    meeting_id: MeetingArg,
    slot: Annotated[str | None, typer.Option(help="slot code to move to (default: the same slot)")] = None,
    table: Annotated[int | None, typer.Option(min=1, help="table (default: the lowest free one)")] = None,
) -> None:
    """Move a meeting to another slot or table; it is locked there."""
    with _session() as db_session:
        event = event_service.get_event(db_session=db_session, code=event_code)
        meeting = outcomes.get_meeting(db_session=db_session, event=event, meeting_id=meeting_id)
        was_published = meeting.published
        edits.move_meeting(db_session=db_session, event=event, meeting=meeting, slot=slot, table=table)
        note = " (unpublished until the next publish)" if was_published and not meeting.published else ""
        typer.echo(f"meeting {meeting_id} moved to {meeting.slot_code} table {meeting.table_no}, locked{note}")


@events_cli.command("remove-meeting")
def remove_meeting_command(event_code: Annotated[str, typer.Argument()], meeting_id: MeetingArg) -> None:
    """Remove a meeting; scheduling runs will not pair the two again (add a meeting by hand to undo)."""
    with _session() as db_session:
        event = event_service.get_event(db_session=db_session, code=event_code)
        meeting = outcomes.get_meeting(db_session=db_session, event=event, meeting_id=meeting_id)
        described = _describe(meeting)
        edits.remove_meeting(db_session=db_session, event=event, meeting=meeting)
        typer.echo(f"meeting {meeting_id} ({described}) removed; the two will not be scheduled again")


@events_cli.command("add-meeting")
def add_meeting_command(
    event_code: Annotated[str, typer.Argument()],
    a: Annotated[str, typer.Argument(help="one participant")],
    b: Annotated[str, typer.Argument(help="the other participant")],
    slot: Annotated[str, typer.Option(help="slot code, e.g. S03")],
    table: Annotated[int | None, typer.Option(min=1, help="table (default: the lowest free one)")] = None,
) -> None:
    """Add a meeting by hand; it is locked, so scheduling runs keep it."""
    with _session() as db_session:
        event = event_service.get_event(db_session=db_session, code=event_code)
        meeting = edits.add_meeting(db_session=db_session, event=event, a=a, b=b, slot=slot, table=table)
        typer.echo(f"meeting {meeting.id} added: {_describe(meeting)}, locked")


@events_cli.command("publish")
def publish_command(event_code: Annotated[str, typer.Argument()]) -> None:
    """Publish the schedule; later runs keep published meetings where they can."""
    with _session() as db_session:
        event = event_service.get_event(db_session=db_session, code=event_code)
        count = planning.publish(db_session=db_session, event=event)
        typer.echo(f"published {count} meetings of {event.code}")


@events_cli.command("agenda")
def agenda_command(event_code: Annotated[str, typer.Argument()], organization: Annotated[str, typer.Argument()],
                   as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """One participant's timetable: meetings with their topics, free time and breaks; or why there are none."""
    with _session() as db_session:
        event = event_service.get_event(db_session=db_session, code=event_code)
        data = outcomes.agenda(db_session=db_session, event=event, organization=organization, published_only=False)
    if as_json:
        _echo_json(data)
        return
    typer.echo(f"{data['name']} ({organization}) — {event_code}")
    if data["no_meeting_reason"]:
        typer.echo(f"  no meeting: {data['no_meeting_reason']}")
    else:
        for t in data["timetable"]:
            if t["kind"] != "meeting":
                typer.echo(f"  {t['start']}–{t['end']}  {t['label']} ({t['label_ja']})")
                continue
            typer.echo(f"  {t['start']}–{t['end']}  table {t['table']:>2}  {t['partner']['name']} "
                       f"({t['partner']['id']})  #{t['meeting']}")
            for topic in t["topics"] or ["requested by a participant"]:
                typer.echo(f"      {topic}")
    for x in data["must_meet_not_placed"]:
        typer.echo(f"  must_meet not placed: {x['requester']} → {x['target']}: {x['reason']}")
    for x in data["requests_not_placed"]:
        typer.echo(f"  would_like not placed: {x['requester']} → {x['target']}: {x['reason']}")


@events_cli.command("export")
def export_command(
    event_code: Annotated[str, typer.Argument()],
    fmt: Annotated[str, typer.Option("--format", help="json, csv, xlsx or html")] = "json",
    view: Annotated[str, typer.Option(help="CSV only: list, participant or table")] = "list",
    output: Annotated[Path | None, typer.Option("--output", "-o", help="file to write (default: stdout; "
                                                "required for xlsx)")] = None,
) -> None:
    """Export the schedule: self-contained JSON, CSV, Excel or printable A4 HTML."""
    if fmt not in exports.FORMATS:
        raise typer.BadParameter(f"--format must be one of {', '.join(exports.FORMATS)}")
    if fmt == "xlsx" and output is None:
        raise typer.BadParameter("xlsx is binary: give --output FILE.xlsx")
    with _session() as db_session:
        event = event_service.get_event(db_session=db_session, code=event_code)
        body = exports.export(db_session=db_session, event=event, fmt=fmt, view=view)  # type: ignore[arg-type]
    if isinstance(body, dict):
        body = json.dumps(body, ensure_ascii=False, indent=2) + "\n"
    if output is None:
        typer.echo(body, nl=False)
    elif isinstance(body, bytes):
        output.write_bytes(body)
    else:
        output.write_text(body, encoding="utf-8")
    if output is not None:
        typer.echo(f"wrote {output}")


@events_cli.command("outcome")
def outcome_command(
    event_code: Annotated[str, typer.Argument()],
    meeting_id: Annotated[int, typer.Argument(help="meeting id (see `events agenda` or the export)")],
    outcome: Annotated[str, typer.Argument(help=", ".join(OUTCOMES))],
    note: Annotated[str | None, typer.Option(help="free note")] = None,
) -> None:
    """Record what came of a meeting; meetings that took place become `met` feedback."""
    if outcome not in OUTCOMES:
        raise typer.BadParameter(f"outcome must be one of {', '.join(OUTCOMES)}")
    with _session() as db_session:
        event = event_service.get_event(db_session=db_session, code=event_code)
        meeting = outcomes.get_meeting(db_session=db_session, event=event, meeting_id=meeting_id)
        outcomes.record_outcome(db_session=db_session, event=event, meeting=meeting, outcome=outcome, note=note)
        typer.echo(f"meeting {meeting_id} ({meeting.a_org.external_id}–{meeting.b_org.external_id}): {outcome}")


@events_cli.command("report")
def report_command(event_code: Annotated[str, typer.Argument()]) -> None:
    """Meetings and outcome counts of the event, and who had no meeting (JSON)."""
    with _session() as db_session:
        event = event_service.get_event(db_session=db_session, code=event_code)
        _echo_json(outcomes.event_report(db_session=db_session, event=event))


@events_cli.command("themes")
def themes_command(
    k: Annotated[int, typer.Option("--themes", min=1, max=50, help="how many themes")] = themes.DEFAULT_THEMES,
    weak_below: Annotated[float | None, typer.Option(help="a need whose best match scores below this is unmet "
                                                     "(default: 0.6 × the median need's best match)")] = None,
    prefecture: Annotated[str | None, typer.Option(help="only members in this prefecture")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Themes for study groups (テーマ別研究会) and the unmet needs by prefecture and field."""
    from app.matches.cli import open_engine

    engine, _ = open_engine(get_settings())
    with _session() as db_session:
        data = themes.theme_report(db_session=db_session, engine=engine, k=k, weak_below=weak_below,
                                   prefecture=prefecture)
    if as_json:
        _echo_json(data)
        return
    for t in data["themes"]:
        typer.echo(f"テーマ{t['id'] + 1}: {t['name']}  ({len(t['needs'])} needs, {len(t['seeds'])} seeds, "
                   f"{len(t['members'])} members)")
        typer.echo(f"  terms: {', '.join(t['terms'])}")
        typer.echo(f"  members: {', '.join(t['members'])}")
    typer.echo(f"unmet needs (best match below {data['weak_below']}):")
    for g in data["unmet_needs"]:
        typer.echo(f"  {g['prefecture']} × {g['field']}: " + ", ".join(n["id"] for n in g["needs"]))
