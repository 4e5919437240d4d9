"""The schedule as files: self-contained JSON, CSV, Excel and a printable A4 HTML page.

Spreadsheets hold members' own text (names), so every cell goes through app.roster.cells: no text runs as a
formula in the secretariat's Excel.
"""

import csv
import io
from pathlib import Path
from typing import Any, Literal

from jinja2 import Environment, FileSystemLoader, select_autoescape
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from sqlalchemy.orm import Session

from app.errors import InvalidInput
from app.events import outcomes, planning
from app.events.models import Event
from app.messages import choices, error
from app.roster.cells import append_xlsx_row, csv_row
from matching.scheduling import agenda_rows, schedule_to_json

Format = Literal["json", "csv", "xlsx", "html"]
FORMATS: dict[str, str] = {
    "json": "application/json",
    "csv": "text/csv; charset=utf-8",  # with a BOM, which Japanese Excel needs to read UTF-8
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "html": "text/html; charset=utf-8",
}
GridView = Literal["list", "participant", "table"]
_templates = Environment(loader=FileSystemLoader(Path(__file__).parent / "templates"),
                         autoescape=select_autoescape(["html"]))


def export_document(*, db_session: Session, event: Event) -> dict[str, Any]:
    """The JSON export: the scheduling problem, every candidate pair with its value and the meetings, so the
    schedule can be validated without the database (matching.scheduling.schedule_from_json reads it back)."""
    problem = planning.build_problem(db_session=db_session, event=event)
    result = planning.stored_result(db_session=db_session, event=event)
    doc = schedule_to_json(problem, result)
    rows = planning.meetings(db_session=db_session, event=event)
    doc["event"] = {"code": event.code, "name": event.name, "date": event.date.isoformat(), "venue": event.venue,
                    "breaks": [{"id": s.code, "start": s.starts_at.strftime("%H:%M"), "minutes": s.minutes,
                                "label": s.label} for s in event.slots if s.kind == "break"]}
    doc["names"] = {p.organization.external_id: p.organization.name for p in event.participants}
    doc["meeting_details"] = [{"id": m.id, "slot": m.slot_code, "table": m.table_no, "published": m.published,
                               "outcome": m.outcome, "pairs": m.detail or []} for m in rows]
    return doc


def export_csv(*, db_session: Session, event: Event, view: GridView = "list") -> str:
    """One CSV: a row per meeting (list), per participant (participant) or per table (table).

    UTF-8 with a BOM, as the roster's CSV files: without it Japanese Excel reads the names as Shift_JIS.
    """
    out = io.StringIO()
    out.write("\ufeff")
    csv.writer(out).writerows(csv_row(row) for row in _rows(db_session, event, view))
    return out.getvalue()


def _rows(db_session: Session, event: Event, view: GridView) -> list[list[str]]:
    if view not in ("list", "participant", "table"):
        raise error(InvalidInput, "invalid.event_export_view", field="view")
    problem = planning.build_problem(db_session=db_session, event=event)
    meetings = planning.stored_result(db_session=db_session, event=event).meetings
    names = {p.organization.external_id: p.organization.name for p in event.participants}
    return agenda_rows(problem, meetings, view=view, names=names)


def export_xlsx(*, db_session: Session, event: Event) -> bytes:
    """A workbook with the meeting list, the grid by participant and by table, and every agenda."""
    book = Workbook()
    sheets = (("Meetings", "list"), ("By participant", "participant"), ("By table", "table"))
    for n, (title, view) in enumerate(sheets):
        sheet = book.active if n == 0 else book.create_sheet()
        assert sheet is not None
        sheet.title = title
        for row in _rows(db_session, event, view):  # type: ignore[arg-type]
            append_xlsx_row(sheet, row)
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        sheet.freeze_panes = "B2"
    agendas = book.create_sheet("Agendas")
    agendas.append(["participant", "name", "start", "minutes", "table", "partner", "partner name", "note"])
    for entry in _agendas(db_session, event):
        if not entry["meetings"]:
            append_xlsx_row(agendas, [entry["organization"], entry["name"], "", "", "", "", "",
                                      entry["no_meeting_reason"]])
        for m in entry["meetings"]:
            append_xlsx_row(agendas, [entry["organization"], entry["name"], m["start"], m["minutes"], m["table"],
                                      m["partner"]["id"], m["partner"]["name"], ""])
    for cell in agendas[1]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(horizontal="center")
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _agendas(db_session: Session, event: Event) -> list[dict[str, Any]]:
    return [outcomes.agenda(db_session=db_session, event=event, organization=p.organization.external_id,
                            published_only=False) for p in event.participants]


def export_html(*, db_session: Session, event: Event) -> str:
    """A printable A4 page: the grid by table for the venue, then one agenda per participant."""
    grid = _rows(db_session, event, "table")
    return _templates.get_template("schedule.html").render(event=event, grid=grid,
                                                           agendas=_agendas(db_session, event))


def export(*, db_session: Session, event: Event, fmt: str, view: GridView = "list") -> str | bytes | dict[str, Any]:
    """The export in the format asked for."""
    if fmt == "json":
        return export_document(db_session=db_session, event=event)
    if fmt == "csv":
        return export_csv(db_session=db_session, event=event, view=view)
    if fmt == "xlsx":
        return export_xlsx(db_session=db_session, event=event)
    if fmt == "html":
        return export_html(db_session=db_session, event=event)
    raise error(InvalidInput, "invalid.event_export_format", field="format", allowed=choices(list(FORMATS)))
