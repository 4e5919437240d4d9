"""Forms of the event pages: the event with its slot plan, and the application sheet (申込書) of participants."""

import csv
import io
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from pydantic import ValidationError

from app.db import as_utc
from app.errors import AppError
from app.events.models import Event
from app.events.schemas import EventCreate, EventUpdate
from app.events.service import available_slots
from app.i18n import has
from app.messages import render
from app.roster.cells import append_xlsx_row, csv_row, decode_list, from_csv_text, from_xlsx_text
from app.roster.spreadsheet import SheetUnreadable, _decode_csv

# Deadlines are typed and shown in the venue's time (Japan); they are stored in UTC.
JST = timezone(timedelta(hours=9), "JST")
# Service and schema field names → the form's input names.
FIELD_NAMES = {"plan": "start", "changeover_minutes": "changeover", "slots": "count", "lunch": "lunch_after",
               "breaks": "breaks", "date": "date", "registration_closes_at": "registration_closes_at"}
SHEET_COLUMNS = ("member_id", "available_slots", "max_meetings")
SHEET_HEADERS_JA = ("会員ID", "参加できる時間枠", "最大商談数")
MAX_SHEET_ROWS = 2000


def field_of(exc: AppError) -> str:
    """The form input an error of the services belongs to."""
    return FIELD_NAMES.get(exc.field or "", exc.field or "form")


def message_of(exc: AppError, lang: str) -> str:
    """The error in the visitor's language."""
    return render(exc.code, lang, exc.params) if exc.code and has(exc.code) else exc.message


def local_deadline(value: datetime | None) -> str:
    """A stored deadline as the datetime-local input shows it, in Japan time."""
    if value is None:
        return ""
    return as_utc(value).astimezone(JST).strftime("%Y-%m-%dT%H:%M")


@dataclass
class EventForm:
    """The event form's values as typed, and the problems found in them (input name → message)."""

    name: str = ""
    date: str = ""
    venue: str = ""
    tables: str = "10"
    default_max_meetings: str = "6"
    min_value: str = "4.0"
    start: str = "13:00"
    count: str = "8"
    minutes: str = "20"
    changeover: str = "5"
    lunch_after: str = ""
    lunch_minutes: str = ""
    breaks: str = ""
    registration_closes_at: str = ""
    errors: dict[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, event: Event) -> "EventForm":
        """The form filled with a stored event (the slot fields empty when its slots have no plan)."""
        plan = event.slot_plan or {}
        lunch = plan.get("lunch") or {}
        return cls(name=event.name, date=event.date.isoformat(), venue=event.venue, tables=str(event.tables),
                   default_max_meetings=str(event.default_max_meetings), min_value=f"{event.min_value:g}",
                   start=plan.get("start", ""), count=str(plan.get("count", "")),
                   minutes=str(plan.get("minutes", "")), changeover=str(plan.get("changeover_minutes", "")),
                   lunch_after=str(lunch.get("after", "")), lunch_minutes=str(lunch.get("minutes", "")),
                   breaks=", ".join(f"{b['after']}:{b['minutes']}" for b in plan.get("breaks", [])),
                   registration_closes_at=local_deadline(event.registration_closes_at))

    def _int(self, name: str, value: str) -> int | None:
        text = value.strip()
        if not text:
            return None
        if not text.isdigit():
            self.errors.setdefault(name, "数字で入力してください / a whole number")
            return None
        return int(text)

    def _plan(self) -> dict[str, Any] | None:
        if not any(v.strip() for v in (self.start, self.count, self.minutes)):
            return None
        plan: dict[str, Any] = {"start": self.start.strip(), "count": self._int("count", self.count),
                                "minutes": self._int("minutes", self.minutes),
                                "changeover_minutes": self._int("changeover", self.changeover) or 0}
        after, length = self._int("lunch_after", self.lunch_after), self._int("lunch_minutes", self.lunch_minutes)
        if (after is None) != (length is None):
            self.errors.setdefault("lunch_after", "昼食の枠と長さを両方入力してください / give both the slot and the "
                                                  "length of lunch, or neither")
        elif after is not None:
            plan["lunch"] = {"after": after, "minutes": length}
        plan["breaks"] = []
        for item in decode_list(self.breaks):
            parts = item.replace("：", ":").split(":")
            if len(parts) != 2 or not all(p.strip().isdigit() for p in parts):
                self.errors.setdefault("breaks", "「3:10」（3枠目の後に10分）の形で入力してください / write "
                                                 "after:minutes, e.g. 3:10")
                continue
            plan["breaks"].append({"after": int(parts[0]), "minutes": int(parts[1])})
        return plan

    def values(self) -> dict[str, Any]:
        """The request the form stands for, in the API's field names."""
        values: dict[str, Any] = {"name": self.name.strip(), "date": self.date.strip() or None,
                                  "venue": self.venue.strip(), "tables": self._int("tables", self.tables),
                                  "default_max_meetings": self._int("default_max_meetings",
                                                                    self.default_max_meetings),
                                  "min_value": self.min_value.strip() or None}
        deadline = self.registration_closes_at.strip()
        if deadline:
            try:
                values["registration_closes_at"] = datetime.fromisoformat(deadline).replace(tzinfo=JST)
            except ValueError:
                self.errors["registration_closes_at"] = "日時を入力してください / a date and time"
        else:
            values["registration_closes_at"] = None
        plan = self._plan()
        if plan is not None:
            values["plan"] = plan
        return values

    def _parse(self, model: type[EventCreate] | type[EventUpdate]) -> EventCreate | EventUpdate | None:
        values = self.values()
        if model is EventUpdate:
            values = {k: v for k, v in values.items() if v is not None or k == "registration_closes_at"}
        elif "plan" not in values:
            self.errors.setdefault("start", "時間枠（開始・枠数・長さ）を入力してください / give the slots: start, "
                                            "count and length")
        try:
            parsed = model.model_validate(values)
        except ValidationError as exc:
            for problem in exc.errors():
                loc = [str(p) for p in problem["loc"]]
                name = loc[1] if loc and loc[0] == "plan" and len(loc) > 1 else (loc[0] if loc else "form")
                self.errors.setdefault(FIELD_NAMES.get(name, name), problem["msg"])
            return None
        return None if self.errors else parsed

    def for_create(self) -> EventCreate | None:
        """The validated new event, or None with errors filled in."""
        parsed = self._parse(EventCreate)
        assert parsed is None or isinstance(parsed, EventCreate)
        return parsed

    def for_update(self) -> EventUpdate | None:
        """The validated changes, or None with errors filled in."""
        parsed = self._parse(EventUpdate)
        assert parsed is None or isinstance(parsed, EventUpdate)
        return parsed


# --- the application sheet (申込書) ---------------------------------------------------------------


@dataclass(frozen=True)
class Application:
    """One row of the application sheet: the member, its slots (None: every slot) and its maximum of meetings."""

    row: int
    member: str
    available_slots: list[str] | None
    max_meetings: int | None


def _applications(rows: list[tuple[Any, ...]], from_csv: bool) -> tuple[list[Application], list[str]]:
    if not rows:
        return [], ["空のファイルです / the file is empty"]
    header = [str(h or "").strip() for h in rows[0]]
    index = {}
    for column, ja in zip(SHEET_COLUMNS, SHEET_HEADERS_JA, strict=True):
        at = next((i for i, h in enumerate(header) if h in (column, ja)), None)
        if at is None and column == "member_id":
            return [], [f"1行目に「{ja}」({column}) の列がありません / row 1 has no {column} column"]
        index[column] = at
    found, problems = [], []
    for n, row in enumerate(rows[1:MAX_SHEET_ROWS + 1], start=2):
        def cell(column: str, row: tuple[Any, ...] = row) -> str:
            at = index[column]
            raw = row[at] if at is not None and at < len(row) else None
            if raw is None:
                return ""
            if isinstance(raw, float) and raw.is_integer():
                raw = int(raw)
            text = str(raw)
            return (from_csv_text(text) if from_csv else from_xlsx_text(text)).strip()
        member = cell("member_id")
        if not member:
            continue
        slots_text, max_text = cell("available_slots"), cell("max_meetings")
        if max_text and not max_text.isdigit():
            problems.append(f"{n}行目: 最大商談数は数字で / row {n}: max_meetings must be a whole number")
            continue
        found.append(Application(n, member, decode_list(slots_text) or None if slots_text else None,
                                 int(max_text) if max_text else None))
    if len(rows) > MAX_SHEET_ROWS + 1:
        problems.append(f"{MAX_SHEET_ROWS}行までです / at most {MAX_SHEET_ROWS} rows")
    return found, problems


def read_applications(filename: str, data: bytes) -> tuple[list[Application], list[str]]:
    """The rows of an uploaded application sheet (xlsx, or CSV in UTF-8 or CP932) and the problems in it."""
    if filename.lower().endswith(".xlsx"):
        from openpyxl import load_workbook

        try:
            workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
            sheet = workbook.worksheets[0]
            sheet.reset_dimensions()
            rows = [tuple(r) for _, r in zip(range(MAX_SHEET_ROWS + 2), sheet.iter_rows(values_only=True),
                                              strict=False)]
            workbook.close()
        except Exception:  # a damaged or mislabelled file fails inside openpyxl with many kinds of errors
            return [], ["xlsx ファイルとして読めません / not a readable xlsx workbook"]
        return _applications(rows, from_csv=False)
    try:
        text = _decode_csv(data)
        rows = [tuple(r) for r in csv.reader(io.StringIO(text, newline=""))]
    except (SheetUnreadable, csv.Error) as exc:
        return [], [f"CSV として読めません / not a readable CSV file: {exc}"]
    return _applications(rows, from_csv=True)


def template_rows(event: Event) -> list[list[Any]]:
    """The sheet's rows: the header, then one per participant (a blank sheet has just the header)."""
    rows: list[list[Any]] = [list(SHEET_COLUMNS)]
    codes = [s.code for s in event.slots if s.kind == "meeting"]
    for p in event.participants:
        slots = available_slots(event, p)
        rows.append([p.organization.external_id, "" if slots == codes else "、".join(slots), p.max_meetings])
    return rows


def template_xlsx(event: Event) -> bytes:
    """The application sheet as a workbook; every text is a text cell, so a formula-looking value stays text."""
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "申込書"
    for row in template_rows(event):
        append_xlsx_row(sheet, row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def template_csv(event: Event) -> bytes:
    """The application sheet as CSV (UTF-8 with BOM for Excel), formula-safe."""
    out = io.StringIO()
    writer = csv.writer(out)
    for row in template_rows(event):
        writer.writerow(csv_row(row))
    return out.getvalue().encode("utf-8-sig")
