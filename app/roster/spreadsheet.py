"""The same roster from spreadsheets: an .xlsx workbook or a folder of CSV files.

Sheets (or files) organizations, needs, seeds. Cells go through app.roster.cells: lists are `;`-separated
with `\\` escapes, CSV text that would start a formula carries a leading `'`, workbook text is stored as text.
"""

import csv
import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from app.errors import InvalidInput
from app.messages import error
from app.roster.cells import (
    append_xlsx_row,
    csv_row,
    decode_list,
    encode_list,
    from_csv_text,
    from_xlsx_text,
    xlsx_text,
)
from app.roster.validation import Problem, validate_roster
from app.roster.vocab import FORMAT

ORG_COLUMNS = ("id", "name", "name_en", "member_type", "roles", "support_type", "prefecture", "city", "industry",
               "capital_jpy", "employees", "founded_year", "description", "website", "contact_name",
               "contact_email", "contact_phone", "certifications")
NEED_COLUMNS = ("organization_id", "id", "title", "description", "budget_jpy", "tags")
SEED_COLUMNS = ("organization_id", "id", "title", "description", "tags", "industries_served", "service_area")
SHEETS = {"organizations": ORG_COLUMNS, "needs": NEED_COLUMNS, "seeds": SEED_COLUMNS}
# Every column that holds a list, in any sheet: all of them use the one list rule of app.roster.cells.
LIST_COLUMNS = {"roles", "tags", "industries_served", "service_area", "certifications"}
INT_COLUMNS = {"capital_jpy", "employees", "founded_year", "budget_jpy"}
# Ids, closed vocabularies and values that cannot hold blanks: blanks around them are typing slips. Other text
# is read exactly as written, so an export reads back unchanged.
TRIMMED_COLUMNS = {"id", "organization_id", "member_type", "support_type", "prefecture", "industry", "website",
                   "contact_email"}
# Bounds of one sheet, header included: a roster is far smaller, and a sheet with a stray cell in column XFD
# or a million empty rows would otherwise take gigabytes to read.
MAX_ROWS = 100_000
MAX_COLUMNS = 200
# The longest text an Excel cell holds.
MAX_XLSX_CELL = 32_767
# A CSV cell may hold a long description; the csv module stops at 128 KiB by default.
MAX_CSV_CELL = 16 * 1024 * 1024
# Python's CP932 codec maps stray bytes (UTF-16, EUC-JP, binary data) to control or private-use characters
# instead of failing; a roster never holds them, so text with them was not CP932.
NOT_CP932_TEXT = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ue000-\uf8ff]")
# The time a workbook says it was made and saved: the earliest a zip entry can carry, the same every export.
FIXED_TIME = datetime(1980, 1, 1)
SAVE_AS_CSV_UTF8 = 'in Excel, save it with "CSV UTF-8 (コンマ区切り) (*.csv)" and import again'


class SheetUnreadable(Exception):
    """One sheet (or CSV file) that cannot be read; the others still are, so every problem is listed."""


@dataclass
class _Tables:
    """The records of each sheet, with the spreadsheet row each came from."""

    rows: dict[str, list[tuple[int, dict[str, Any]]]] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    readable: set[str] = field(default_factory=set)


def _cell(column: str, raw: Any, *, from_csv: bool) -> Any:
    """A typed value, or the raw text when it does not parse (the validator then names it)."""
    if raw is None:
        return None
    if not isinstance(raw, str):
        if isinstance(raw, float) and raw.is_integer():
            raw = int(raw)
        if column in INT_COLUMNS:
            return raw
        return [str(raw)] if column in LIST_COLUMNS else str(raw)
    text = from_csv_text(raw) if from_csv else from_xlsx_text(raw)
    if not text.strip():
        return None
    if column in LIST_COLUMNS:
        return decode_list(text) or None
    if column in INT_COLUMNS:
        try:
            return int(text.replace(",", "").strip())
        except ValueError:
            return text
    return text.strip() if column in TRIMMED_COLUMNS else text


def _records(sheet: str, rows: Iterator[tuple[Any, ...]], tables: _Tables, *, from_csv: bool) -> None:
    header_row = next(rows, ())
    header = [str(h).strip() if h is not None else "" for h in header_row]
    required = ("id",) if sheet == "organizations" else ("organization_id", "id")
    missing = [c for c in required if c not in header]
    if missing:
        tables.problems.append(Problem(sheet, "header", f"missing column(s): {', '.join(missing)}"))
        return
    columns = SHEETS[sheet]
    records = []
    for number, values in enumerate(rows, start=2):
        if not any(v is not None and (not isinstance(v, str) or v.strip()) for v in values):
            continue
        rec = {}
        for name, raw in zip(header, values, strict=False):
            if name in columns:
                value = _cell(name, raw, from_csv=from_csv)
                if value is not None:
                    rec[name] = value
        records.append((number, rec))
    tables.rows[sheet] = records
    tables.readable.add(sheet)


def _assemble(tables: _Tables) -> tuple[dict[str, Any], list[Problem]]:
    """The roster document from the sheets, and every problem: the sheets' own and the records' (by row)."""
    orgs: dict[str, dict[str, Any]] = {}
    out: list[dict[str, Any]] = []
    org_rows: list[int] = []
    posting_rows: dict[tuple[int, str], list[int]] = {}
    index: dict[int, int] = {}  # id(record) -> position in out
    for number, rec in tables.rows.get("organizations", []):
        contact = {k: rec.pop(f"contact_{k}") for k in ("name", "email", "phone") if f"contact_{k}" in rec}
        if contact:
            rec["contact"] = contact
        rec.setdefault("support_type", None)
        rec["needs"], rec["seeds"] = [], []
        index[id(rec)] = len(out)
        out.append(rec)
        org_rows.append(number)
        if "id" in rec:
            orgs.setdefault(str(rec["id"]), rec)
    problems = list(tables.problems)
    for kind in ("needs", "seeds"):
        for number, rec in tables.rows.get(kind, []):
            owner = orgs.get(str(rec.pop("organization_id", "")))
            if owner is None:
                if "organizations" in tables.readable:  # else every row would repeat the sheet's problem
                    problems.append(Problem(f"{kind} row {number}", "organization_id",
                                            "names no organization in the organizations sheet"))
                continue
            owner[kind].append(rec)
            posting_rows.setdefault((index[id(owner)], kind), []).append(number)
    data = {"format": FORMAT, "organizations": out}

    def label(i: int, kind: str | None, j: int | None) -> str:
        if kind is None or j is None:
            return f"organizations row {org_rows[i]}"
        return f"{kind} row {posting_rows[(i, kind)][j]}"

    return data, problems + validate_roster(data, label=label)


def _capped(rows: Iterator[tuple[Any, ...]], where: str) -> Iterator[tuple[Any, ...]]:
    """The rows, stopping with SheetUnreadable past MAX_ROWS rows or at a value beyond MAX_COLUMNS columns."""
    for number, row in enumerate(rows, start=1):
        if number > MAX_ROWS:
            raise SheetUnreadable(f"has more than {MAX_ROWS:,} rows: a roster sheet holds at most {MAX_ROWS:,} "
                                  "(delete the empty rows below the data, or split the file)")
        if len(row) > MAX_COLUMNS:
            beyond = next((i for i, v in enumerate(row[MAX_COLUMNS:], start=MAX_COLUMNS + 1)
                           if v is not None and v != ""), None)
            if beyond is not None:
                raise SheetUnreadable(
                    f"has a value in column {_column_letter(beyond)} (row {number}): a roster sheet uses at most "
                    f"{MAX_COLUMNS} columns; delete the cells beyond column {_column_letter(MAX_COLUMNS)}")
            row = row[:MAX_COLUMNS]
        yield tuple(row)


def _column_letter(n: int) -> str:
    letters = ""
    while n:
        n, rest = divmod(n - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def read_xlsx(path: Path) -> tuple[dict[str, Any], list[Problem]]:
    """A roster from a workbook with sheets organizations, needs, seeds, and every problem in it.

    InvalidInput if the workbook cannot be opened at all.
    """
    from openpyxl import load_workbook

    tables = _Tables()
    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # a damaged file fails inside openpyxl with zip, zlib, XML or KeyError errors alike
        raise error(InvalidInput, "roster.xlsx_unreadable", name=path.name) from exc
    try:
        for sheet in SHEETS:
            if sheet not in workbook.sheetnames:
                tables.problems.append(Problem(path.name, sheet, "sheet is missing"))
                continue
            worksheet = workbook[sheet]
            # The size a workbook declares may be wrong or huge (A1:XFD1048576); go by the cells it holds.
            worksheet.reset_dimensions()
            try:
                _records(sheet, _capped(worksheet.iter_rows(values_only=True), sheet), tables, from_csv=False)
            except SheetUnreadable as exc:
                tables.problems.append(Problem(path.name, sheet, str(exc)))
            except Exception as exc:  # damaged XML inside one sheet
                raise error(InvalidInput, "roster.xlsx_unreadable", name=path.name) from exc
    finally:
        workbook.close()
    return _assemble(tables)


def _decode_csv(data: bytes) -> str:
    """The text of a CSV file: UTF-8 (with or without BOM), else CP932, what Japanese Excel writes by default."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("cp932")
    except UnicodeDecodeError:
        text = None
    if text is None or NOT_CP932_TEXT.search(text):
        raise SheetUnreadable(f"is neither UTF-8 nor Shift_JIS (CP932) text: {SAVE_AS_CSV_UTF8}")
    return text


def _csv_rows(file: Path) -> Iterator[tuple[Any, ...]]:
    try:
        data = file.read_bytes()
    except OSError as exc:
        raise SheetUnreadable(f"cannot be read ({exc.strerror}): check that you may read it") from exc
    csv.field_size_limit(max(csv.field_size_limit(), MAX_CSV_CELL))
    reader = csv.reader(io.StringIO(_decode_csv(data), newline=""))
    try:
        for row in reader:
            yield tuple(row)
    except csv.Error as exc:
        raise SheetUnreadable(f"is not a readable CSV file (line {reader.line_num}: {exc}): "
                              f"{SAVE_AS_CSV_UTF8}") from exc


def read_csv_folder(folder: Path) -> tuple[dict[str, Any], list[Problem]]:
    """A roster from organizations.csv, needs.csv and seeds.csv (UTF-8 or CP932, with a header row) in one
    folder, and every problem in them."""
    tables = _Tables()
    for sheet in SHEETS:
        file = folder / f"{sheet}.csv"
        if not file.is_file():
            tables.problems.append(Problem(folder.name, file.name, "file is missing"))
            continue
        try:
            _records(sheet, _capped(_csv_rows(file), sheet), tables, from_csv=True)
        except SheetUnreadable as exc:
            tables.problems.append(Problem(folder.name, file.name, str(exc)))
    return _assemble(tables)


def write_xlsx(roster: dict[str, Any], path: Path) -> None:
    """The roster as a workbook in the same layout the reader takes; every text is a text cell.

    InvalidInput (and no file) when a text is longer than an Excel cell holds: openpyxl would cut it short.
    """
    from openpyxl import Workbook

    tables = _flatten(roster)
    too_long = [f"{row[SHEETS[sheet].index('id')]} / {column}" for sheet, rows in tables.items() for row in rows
                for column, v in zip(SHEETS[sheet], row, strict=True)
                if isinstance(v, str) and len(xlsx_text(v)) > MAX_XLSX_CELL]
    if too_long:
        raise error(InvalidInput, "roster.xlsx_cell_too_long", where=too_long[0], count=len(too_long),
                    limit=MAX_XLSX_CELL)
    workbook = Workbook()
    workbook.remove(workbook.worksheets[0])  # a new workbook starts with one empty sheet
    for sheet, rows in tables.items():
        ws = workbook.create_sheet(sheet)
        ws.append(list(SHEETS[sheet]))
        for row in rows:
            append_xlsx_row(ws, row)
    _save_reproducibly(workbook, path)


class _FixedTimeZip(zipfile.ZipFile):
    """A zip archive whose entries all carry the same time, so equal content gives equal bytes."""

    def writestr(self, zinfo_or_arcname: Any, data: Any, compress_type: Any = None,
                 compresslevel: Any = None) -> None:
        if isinstance(zinfo_or_arcname, str):
            zinfo_or_arcname = zipfile.ZipInfo(zinfo_or_arcname, date_time=FIXED_TIME.timetuple()[:6])
            zinfo_or_arcname.compress_type = self.compression
        super().writestr(zinfo_or_arcname, data, compress_type, compresslevel)

    def write(self, filename: Any, arcname: Any = None, compress_type: Any = None, compresslevel: Any = None) -> None:
        # openpyxl writes each worksheet to a temporary file and adds that, stamped with the file's time
        self.writestr(str(arcname or filename), Path(filename).read_bytes(), compress_type, compresslevel)


def _save_reproducibly(workbook: Any, path: Path) -> None:
    """Save with a fixed time where openpyxl stamps the creation and save times, so exporting the same roster
    twice gives the same file (and an unchanged roster can be recognized by its bytes)."""
    from openpyxl.writer.excel import ExcelWriter

    workbook.properties.created = workbook.properties.modified = FIXED_TIME
    with _FixedTimeZip(path, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as archive:
        ExcelWriter(workbook, archive).write_data()


def write_csv_folder(roster: dict[str, Any], folder: Path) -> None:
    """The roster as organizations.csv, needs.csv and seeds.csv (UTF-8 with BOM, so Excel reads the kanji)."""
    folder.mkdir(parents=True, exist_ok=True)
    for sheet, rows in _flatten(roster).items():
        with (folder / f"{sheet}.csv").open("w", encoding="utf-8-sig", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(SHEETS[sheet])
            writer.writerows(csv_row(row) for row in rows)


def _flatten(roster: dict[str, Any]) -> dict[str, list[list[Any]]]:
    def value(rec: dict[str, Any], column: str) -> Any:
        v = rec.get(column)
        return encode_list(v) if isinstance(v, list) else v

    tables: dict[str, list[list[Any]]] = {"organizations": [], "needs": [], "seeds": []}
    for org in roster["organizations"]:
        flat = dict(org)
        for k, v in (org.get("contact") or {}).items():
            flat[f"contact_{k}"] = v
        tables["organizations"].append([value(flat, c) for c in ORG_COLUMNS])
        for kind in ("needs", "seeds"):
            for rec in org.get(kind) or []:
                row = dict(rec, organization_id=org["id"])
                tables[kind].append([value(row, c) for c in SHEETS[kind]])
    return tables
