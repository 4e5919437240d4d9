"""`iotmatch events …`: the secretariat's event commands, calling the same services as the API."""

import json
from datetime import datetime, time
from pathlib import Path
from typing import Annotated, Any

import typer

from app.cli_support import cli_session
from app.config import get_settings
from app.events import exports, outcomes, planning, themes
from app.events import service as event_service
from app.events.models import OUTCOMES, REQUEST_KINDS
from app.events.schemas import EventRead, ParticipantRead
from app.events.scoring import pair_scores

events_cli = typer.Typer(help="Matching events: participants, requests, the meeting schedule, outcomes.",
                         no_args_is_help=True)


def register(cli: typer.Typer) -> None:
    """Add the event commands to the main CLI."""
    cli.add_typer(events_cli, name="events")


def _echo_json(data: Any) -> None:
    typer.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))


def _parse_time(value: str) -> time:
    try:
        return datetime.strptime(value, "%H:%M").time()
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not a time like 13:00") from None


def _parse_breaks(values: list[str] | None) -> dict[int, int]:
    breaks = {}
    for value in values or []:
        after, _, minutes = value.partition(":")
        if not (after.isdigit() and minutes.isdigit()):
            raise typer.BadParameter(f"--break {value!r}: write AFTER_SLOT:MINUTES, e.g. 6:60")
        breaks[int(after)] = int(minutes)
    return breaks


Start = Annotated[str | None, typer.Option("--start", help="first slot, HH:MM")]
Count = Annotated[int | None, typer.Option("--slots", min=1, max=100, help="number of meeting slots")]
Minutes = Annotated[int, typer.Option("--minutes", help="meeting length: 15, 20 or 30")]
Breaks = Annotated[list[str] | None, typer.Option("--break", help="AFTER_SLOT:MINUTES, e.g. 6:60 (repeat)")]


@events_cli.command("create")
def create_command(
    name: Annotated[str, typer.Option(help="event name")],
    on: Annotated[datetime, typer.Option("--date", formats=["%Y-%m-%d"], help="day of the event")],
    venue: Annotated[str, typer.Option(help="venue")],
    tables: Annotated[int, typer.Option(min=1, help="number of tables")],
    start: Start = "13:00",
    count: Count = 12,
    minutes: Minutes = 20,
    breaks: Breaks = None,
    max_meetings: Annotated[int, typer.Option(min=0, help="default maximum meetings per participant")] = 6,
    code: Annotated[str | None, typer.Option(help="event code (default EV-nnnn)")] = None,
) -> None:
    """Create an event with back-to-back meeting slots and breaks."""
    with cli_session(report_errors=True) as db_session:
        slots = event_service.plan_slots(start=_parse_time(start or "13:00"), count=count or 12, minutes=minutes,
                                         breaks=_parse_breaks(breaks))
        event = event_service.create_event(db_session=db_session, code=code, name=name, date=on.date(),
                                           venue=venue, tables=tables, slots=slots, default_max_meetings=max_meetings)
        typer.echo(f"created {event.code}: {_slot_summary(EventRead.of(event))}")


def _slot_summary(event: EventRead) -> str:
    meetings = [s for s in event.slots if s.kind == "meeting"]
    return (f"{event.name} {event.date} {event.venue}, {event.tables} tables, {len(meetings)} slots "
            f"{meetings[0].start}–{event.slots[-1].end}")


@events_cli.command("edit")
def edit_command(
    event_code: Annotated[str, typer.Argument(help="event code")],
    name: Annotated[str | None, typer.Option()] = None,
    on: Annotated[datetime | None, typer.Option("--date", formats=["%Y-%m-%d"])] = None,
    venue: Annotated[str | None, typer.Option()] = None,
    tables: Annotated[int | None, typer.Option(min=1)] = None,
    start: Start = None,
    count: Count = None,
    minutes: Minutes = 20,
    breaks: Breaks = None,
) -> None:
    """Change an event; --start with --slots replaces the time slots."""
    changes: dict[str, Any] = {k: v for k, v in (("name", name), ("venue", venue), ("tables", tables)) if v}
    if on is not None:
        changes["date"] = on.date()
    if (start is None) != (count is None):
        raise typer.BadParameter("give --start and --slots together to replace the slots")
    with cli_session(report_errors=True) as db_session:
        event = event_service.get_event(db_session=db_session, code=event_code)
        slots = None if start is None else event_service.plan_slots(
            start=_parse_time(start), count=count or 1, minutes=minutes, breaks=_parse_breaks(breaks))
        event_service.update_event(db_session=db_session, event=event, changes=changes, slots=slots)
        typer.echo(f"updated {event.code}: {_slot_summary(EventRead.of(event))}")


@events_cli.command("list")
def list_command() -> None:
    """Every event, latest first."""
    with cli_session(report_errors=True) as db_session:
        for event in event_service.list_events(db_session=db_session):
            typer.echo(f"{event.code}  {_slot_summary(EventRead.of(event))}, {len(event.participants)} participants")


@events_cli.command("show")
def show_command(event_code: Annotated[str, typer.Argument(help="event code")],
                 as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False) -> None:
    """The event, its participants and the last schedule run."""
    with cli_session(report_errors=True) as db_session:
        event = event_service.get_event(db_session=db_session, code=event_code)
        data = EventRead.of(event).model_dump(mode="json") | {
            "participant_list": [ParticipantRead.of(event, p).model_dump() for p in event.participants],
            "schedule": event.schedule_report}
    if as_json:
        _echo_json(data)
        return
    typer.echo(f"{data['code']}  {data['name']}  {data['date']}  {data['venue']}  tables {data['tables']}")
    typer.echo("slots: " + ", ".join(f"{s['code']} {s['start']}–{s['end']}" + (" (break)" if s["kind"] == "break"
                                                                                 else "") for s in data["slots"]))
    for p in data["participant_list"]:
        slots = ",".join(p["available_slots"])
        typer.echo(f"  {p['organization']} {p['name']}: max {p['max_meetings']}, slots {slots}")
    if data["schedule"]:
        _print_report(data["schedule"])


@events_cli.command("add-participant")
def add_participant_command(
    event_code: Annotated[str, typer.Argument(help="event code")],
    organization: Annotated[str, typer.Argument(help="member id, e.g. ORG-0001")],
    slots: Annotated[str | None, typer.Option(help="available slot codes, comma-separated (default: all)")] = None,
    max_meetings: Annotated[int | None, typer.Option(min=0, help="maximum meetings (default: the event's)")] = None,
) -> None:
    """Register a member for the event."""
    with cli_session(report_errors=True) as db_session:
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
    with cli_session(report_errors=True) as db_session:
        event = event_service.get_event(db_session=db_session, code=event_code)
        p = event_service.get_participant(event=event, organization=organization)
        event_service.update_participant(db_session=db_session, event=event, participant=p, changes=changes)
        typer.echo(f"{organization} in {event.code}: max {p.max_meetings} meetings, "
                   f"slots {','.join(event_service.available_slots(event, p))}")


@events_cli.command("remove-participant")
def remove_participant_command(event_code: Annotated[str, typer.Argument()],
                               organization: Annotated[str, typer.Argument()]) -> None:
    """Withdraw a member from the event."""
    with cli_session(report_errors=True) as db_session:
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
    with cli_session(report_errors=True) as db_session:
        event = event_service.get_event(db_session=db_session, code=event_code)
        event_service.set_request(db_session=db_session, event=event, requester=requester, target=target, kind=kind)
        typer.echo(f"{requester} → {target}: {kind}")


@events_cli.command("schedule")
def schedule_command(
    event_code: Annotated[str, typer.Argument()],
    time_limit: Annotated[float, typer.Option(min=0.5, max=60, help="solver time limit in seconds")] = 8.0,
    rescore: Annotated[bool, typer.Option(help="recompute pair values with the matching engine")] = True,
    as_json: Annotated[bool, typer.Option("--json", help="print the run report as JSON")] = False,
) -> None:
    """Choose the meetings and place them in slots and tables (published meetings stay where they can)."""
    engine = None
    if rescore:
        from app.matches.cli import open_engine

        engine, _ = open_engine(get_settings())
    with cli_session(report_errors=True) as db_session:
        event = event_service.get_event(db_session=db_session, code=event_code)
        if engine is not None:
            orgs = [p.organization.external_id for p in event.participants]
            planning.store_candidates(db_session=db_session, event=event, scores=pair_scores(engine, orgs))
        planning.run_schedule(db_session=db_session, event=event, time_limit_s=time_limit)
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
    for x in report.get("infeasible_must_meet", []):
        typer.echo(f"  must_meet not placed: {x['requester']} → {x['target']}: {x['reason']}")
    for x in report.get("published_changes", []):
        typer.echo(f"  published meeting {x['a']}–{x['b']} ({x['slot']}, table {x['table']}): {x['change']}")
    for org, why in sorted(report.get("unscheduled", {}).items()):
        typer.echo(f"  no meeting for {org}: {why}")
    for note in report.get("notes", []):
        typer.echo(f"  note: {note}")


@events_cli.command("publish")
def publish_command(event_code: Annotated[str, typer.Argument()]) -> None:
    """Publish the schedule; later runs keep published meetings where they can."""
    with cli_session(report_errors=True) as db_session:
        event = event_service.get_event(db_session=db_session, code=event_code)
        count = planning.publish(db_session=db_session, event=event)
        typer.echo(f"published {count} meetings of {event.code}")


@events_cli.command("agenda")
def agenda_command(event_code: Annotated[str, typer.Argument()], organization: Annotated[str, typer.Argument()],
                   as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """One participant's meetings, or why there are none."""
    with cli_session(report_errors=True) as db_session:
        event = event_service.get_event(db_session=db_session, code=event_code)
        data = outcomes.agenda(db_session=db_session, event=event, organization=organization, published_only=False)
    if as_json:
        _echo_json(data)
        return
    typer.echo(f"{data['name']} ({organization}) — {event_code}")
    for m in data["meetings"]:
        typer.echo(f"  {m['start']} table {m['table']:>2}  {m['partner']['name']} ({m['partner']['id']})  "
                   f"#{m['meeting']}")
    if data["no_meeting_reason"]:
        typer.echo(f"  no meeting: {data['no_meeting_reason']}")
    for x in data["must_meet_not_placed"]:
        typer.echo(f"  must_meet not placed: {x['requester']} → {x['target']}: {x['reason']}")


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
    with cli_session(report_errors=True) as db_session:
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
    with cli_session(report_errors=True) as db_session:
        event = event_service.get_event(db_session=db_session, code=event_code)
        meeting = outcomes.get_meeting(db_session=db_session, event=event, meeting_id=meeting_id)
        outcomes.record_outcome(db_session=db_session, event=event, meeting=meeting, outcome=outcome, note=note)
        typer.echo(f"meeting {meeting_id} ({meeting.a_org.external_id}–{meeting.b_org.external_id}): {outcome}")


@events_cli.command("report")
def report_command(event_code: Annotated[str, typer.Argument()]) -> None:
    """Meetings and outcome counts of the event, and who had no meeting (JSON)."""
    with cli_session(report_errors=True) as db_session:
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
    with cli_session(report_errors=True) as db_session:
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
