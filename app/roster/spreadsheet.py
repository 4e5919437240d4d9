"""The same roster from spreadsheets: an .xlsx workbook or a folder of CSV files.

Sheets (or files) organizations, needs, seeds; list cells are separated by ';'.
"""

import csv
import io
import re
from pathlib import Path
from typing import Any

from app.errors import InvalidInput
from app.roster.validation import Problem
from app.roster.vocab import FORMAT

ORG_COLUMNS = ("id", "name", "name_en", "member_type", "roles", "support_type", "prefecture", "city", "industry",
               "capital_jpy", "employees", "founded_year", "description", "website", "contact_name",
               "contact_email", "contact_phone", "certifications")
NEED_COLUMNS = ("organization_id", "id", "title", "description", "budget_jpy", "tags")
SEED_COLUMNS = ("organization_id", "id", "title", "description", "tags", "industries_served", "service_area")
SHEETS = {"organizations": ORG_COLUMNS, "needs": NEED_COLUMNS, "seeds": SEED_COLUMNS}
# Python's CP932 codec maps stray bytes (UTF-16, EUC-JP, binary data) to control or private-use characters
# instead of failing; a roster never holds them, so text with them was not CP932.
NOT_CP932_TEXT = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ue000-\uf8ff]")
SAVE_AS_CSV_UTF8 = 'in Excel, save it with "CSV UTF-8 (コンマ区切り) (*.csv)" and import again'
LIST_COLUMNS = {"roles", "tags", "industries_served", "service_area", "certifications"}
INT_COLUMNS = {"capital_jpy", "employees", "founded_year", "budget_jpy"}


def _cell(column: str, raw: Any) -> Any:
    """A typed value, or the raw text when it does not parse (the validator then names it)."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    if column in LIST_COLUMNS:
        return [part.strip() for part in str(raw).replace("；", ";").split(";") if part.strip()]
    if column in INT_COLUMNS:
        if isinstance(raw, float) and raw.is_integer():
            return int(raw)
        try:
            return int(str(raw).replace(",", "").strip())
        except ValueError:
            return str(raw)
    return str(raw).strip() if not isinstance(raw, int | float) else str(raw)


def _row(columns: tuple[str, ...], header: list[str], values: list[Any]) -> dict[str, Any]:
    rec = {}
    for name, raw in zip(header, values, strict=False):
        if name in columns:
            value = _cell(name, raw)
            if value is not None:
                rec[name] = value
    return rec


def _assemble(tables: dict[str, list[dict[str, Any]]], problems: list[Problem]) -> dict[str, Any]:
    orgs: dict[str, dict[str, Any]] = {}
    out = []
    for rec in tables["organizations"]:
        contact = {k: rec.pop(f"contact_{k}") for k in ("name", "email", "phone") if f"contact_{k}" in rec}
        if contact:
            rec["contact"] = contact
        rec.setdefault("support_type", None)
        rec["needs"], rec["seeds"] = [], []
        out.append(rec)
        if "id" in rec:
            orgs[str(rec["id"])] = rec
    for kind in ("needs", "seeds"):
        for i, rec in enumerate(tables[kind], start=2):
            owner = orgs.get(str(rec.pop("organization_id", "")))
            if owner is None:
                problems.append(Problem(f"{kind} row {i}", "organization_id",
                                        "names no organization in the organizations sheet"))
                continue
            owner[kind].append(rec)
    return {"format": FORMAT, "organizations": out}


def _check_header(sheet: str, header: list[str], problems: list[Problem]) -> None:
    missing = [c for c in ("id",) + (("organization_id",) if sheet != "organizations" else ()) if c not in header]
    if missing:
        problems.append(Problem(sheet, "header", f"missing column(s): {', '.join(missing)}"))


def _workbook_rows(path: Path) -> dict[str, list[tuple[Any, ...]] | None]:
    """The rows of each roster sheet (None when the sheet is missing); InvalidInput if the workbook is unreadable."""
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
        try:
            return {sheet: list(workbook[sheet].iter_rows(values_only=True)) if sheet in workbook.sheetnames else None
                    for sheet in SHEETS}
        finally:
            workbook.close()
    except Exception as exc:  # a damaged file fails inside openpyxl with zip, zlib, XML or KeyError errors alike
        raise InvalidInput(
            f"{path.name} cannot be read as an Excel workbook (.xlsx): it is damaged, password-protected, or another "
            "kind of file under an .xlsx name. Open it in Excel and save it as \"Excel ブック (*.xlsx)\", or save "
            "its sheets as CSV UTF-8 files in a folder and import the folder") from exc


def read_xlsx(path: Path) -> tuple[dict[str, Any], list[Problem]]:
    """A roster from a workbook with sheets organizations, needs, seeds."""
    problems: list[Problem] = []
    tables: dict[str, list[dict[str, Any]]] = {}
    for sheet, rows in _workbook_rows(path).items():
        if rows is None:
            problems.append(Problem(path.name, sheet, "sheet is missing"))
            tables[sheet] = []
            continue
        header = [str(h).strip() if h is not None else "" for h in (rows[0] if rows else [])]
        _check_header(sheet, header, problems)
        tables[sheet] = [_row(SHEETS[sheet], header, list(r)) for r in rows[1:] if any(v is not None for v in r)]
    return _assemble(tables, problems), problems


def _decode_csv(file: Path) -> str:
    """The text of a CSV file: UTF-8 (with or without BOM), else CP932, what Japanese Excel writes by default."""
    try:
        data = file.read_bytes()
    except OSError as exc:
        raise InvalidInput(f"{file} cannot be read ({exc.strerror}): check that it exists and you may read it") from exc
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("cp932")
    except UnicodeDecodeError:
        text = None
    if text is None or NOT_CP932_TEXT.search(text):
        raise InvalidInput(f"{file} is neither UTF-8 nor Shift_JIS (CP932) text: {SAVE_AS_CSV_UTF8}")
    return text


def _csv_rows(file: Path) -> list[list[str]]:
    try:
        return list(csv.reader(io.StringIO(_decode_csv(file), newline="")))
    except csv.Error as exc:
        raise InvalidInput(f"{file} is not a readable CSV file ({exc}): {SAVE_AS_CSV_UTF8}") from exc


def read_csv_folder(folder: Path) -> tuple[dict[str, Any], list[Problem]]:
    """A roster from organizations.csv, needs.csv and seeds.csv (UTF-8 or CP932, with a header row) in one folder."""
    problems: list[Problem] = []
    tables: dict[str, list[dict[str, Any]]] = {}
    for sheet, columns in SHEETS.items():
        file = folder / f"{sheet}.csv"
        if not file.exists():
            problems.append(Problem(str(folder.name), f"{sheet}.csv", "file is missing"))
            tables[sheet] = []
            continue
        rows = _csv_rows(file)
        header = [h.strip() for h in (rows[0] if rows else [])]
        _check_header(sheet, header, problems)
        tables[sheet] = [_row(columns, header, r) for r in rows[1:] if any(c.strip() for c in r)]
    return _assemble(tables, problems), problems


def write_xlsx(roster: dict[str, Any], path: Path) -> None:
    """The roster as a workbook in the same layout the reader takes."""
    from openpyxl import Workbook

    workbook = Workbook()
    workbook.remove(workbook.worksheets[0])  # a new workbook starts with one empty sheet
    for sheet, rows in _flatten(roster).items():
        ws = workbook.create_sheet(sheet)
        ws.append(list(SHEETS[sheet]))
        for row in rows:
            ws.append(row)
    workbook.save(path)


def write_csv_folder(roster: dict[str, Any], folder: Path) -> None:
    """The roster as organizations.csv, needs.csv and seeds.csv (UTF-8 with BOM, so Excel reads the kanji)."""
    folder.mkdir(parents=True, exist_ok=True)
    for sheet, rows in _flatten(roster).items():
        with (folder / f"{sheet}.csv").open("w", encoding="utf-8-sig", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(SHEETS[sheet])
            writer.writerows(rows)


def _flatten(roster: dict[str, Any]) -> dict[str, list[list[Any]]]:
    def value(rec: dict[str, Any], column: str) -> Any:
        v = rec.get(column)
        return ";".join(v) if isinstance(v, list) else v

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
