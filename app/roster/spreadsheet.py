"""The same roster from spreadsheets: an .xlsx workbook or a folder of CSV files.

Sheets (or files) organizations, needs, seeds; list cells are separated by ';'.
"""

import csv
from pathlib import Path
from typing import Any

from app.roster.validation import Problem
from app.roster.vocab import FORMAT

ORG_COLUMNS = ("id", "name", "name_en", "member_type", "roles", "support_type", "prefecture", "city", "industry",
               "capital_jpy", "employees", "founded_year", "description", "website", "contact_name",
               "contact_email", "contact_phone", "certifications")
NEED_COLUMNS = ("organization_id", "id", "title", "description", "budget_jpy", "tags")
SEED_COLUMNS = ("organization_id", "id", "title", "description", "tags", "industries_served")
SHEETS = {"organizations": ORG_COLUMNS, "needs": NEED_COLUMNS, "seeds": SEED_COLUMNS}
LIST_COLUMNS = {"roles", "tags", "industries_served", "certifications"}
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


def read_xlsx(path: Path) -> tuple[dict[str, Any], list[Problem]]:
    """A roster from a workbook with sheets organizations, needs, seeds."""
    from openpyxl import load_workbook

    workbook = load_workbook(path, read_only=True, data_only=True)
    problems: list[Problem] = []
    tables: dict[str, list[dict[str, Any]]] = {}
    for sheet, columns in SHEETS.items():
        if sheet not in workbook.sheetnames:
            problems.append(Problem(path.name, sheet, "sheet is missing"))
            tables[sheet] = []
            continue
        rows = list(workbook[sheet].iter_rows(values_only=True))
        header = [str(h).strip() if h is not None else "" for h in (rows[0] if rows else [])]
        _check_header(sheet, header, problems)
        tables[sheet] = [_row(columns, header, list(r)) for r in rows[1:] if any(v is not None for v in r)]
    return _assemble(tables, problems), problems


def read_csv_folder(folder: Path) -> tuple[dict[str, Any], list[Problem]]:
    """A roster from organizations.csv, needs.csv and seeds.csv (UTF-8, with a header row) in one folder."""
    problems: list[Problem] = []
    tables: dict[str, list[dict[str, Any]]] = {}
    for sheet, columns in SHEETS.items():
        file = folder / f"{sheet}.csv"
        if not file.exists():
            problems.append(Problem(str(folder.name), f"{sheet}.csv", "file is missing"))
            tables[sheet] = []
            continue
        with file.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.reader(handle)
            header = [h.strip() for h in next(reader, [])]
            _check_header(sheet, header, problems)
            tables[sheet] = [_row(columns, header, list(r)) for r in reader if any(c.strip() for c in r)]
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
