"""Reading and writing roster files by their kind: JSON, Excel, or a folder of CSV files."""

import json
from pathlib import Path
from typing import Any

from app.errors import InvalidInput
from app.messages import error
from app.roster.spreadsheet import read_csv_folder, read_xlsx, write_csv_folder, write_xlsx
from app.roster.validation import RosterInvalid

# Nesting a roster file may have: the format needs six levels (document, organizations, organization, needs,
# need, tags); the rest is room for keys the format does not define. Deeper files are refused before they
# reach code (or a database driver) that recurses.
MAX_DEPTH = 64


def is_spreadsheet(path: Path) -> bool:
    """A workbook or a folder of CSV files: sources that cannot tell an absent value from an empty one."""
    return path.is_dir() or path.suffix.lower() == ".xlsx"


def read_roster_file(path: Path) -> dict[str, Any]:
    """The roster document in a file.

    A spreadsheet is checked as it is read: RosterInvalid lists every problem of every sheet, located by row.
    InvalidInput when the file cannot be read at all.
    """
    if not path.exists():
        raise error(InvalidInput, "roster.no_such_file", path=str(path))
    if path.is_dir() or path.suffix.lower() == ".xlsx":
        data, problems = read_csv_folder(path) if path.is_dir() else read_xlsx(path)
        if problems:
            raise RosterInvalid(problems)
        return data
    if path.suffix.lower() == ".json":
        return _read_json(path)
    raise error(InvalidInput, "roster.unknown_kind", name=path.name)


def _read_json(path: Path) -> Any:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise error(InvalidInput, "roster.unreadable", path=str(path), reason=exc.strerror or str(exc)) from exc
    try:
        text = raw.decode("utf-8-sig")  # a BOM is how Windows editors mark UTF-8; it is no part of the JSON
    except UnicodeDecodeError as exc:
        raise error(InvalidInput, "roster.json_not_utf8", name=path.name, position=exc.start) from exc
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise error(InvalidInput, "roster.json_invalid", name=path.name, line=exc.lineno, column=exc.colno,
                    reason=exc.msg) from exc
    except RecursionError as exc:
        raise error(InvalidInput, "roster.json_too_deep", name=path.name, limit=MAX_DEPTH) from exc
    except ValueError as exc:  # a number with thousands of digits
        raise error(InvalidInput, "roster.json_number", name=path.name, reason=str(exc).split(":")[0]) from exc
    if _depth(data) > MAX_DEPTH:
        raise error(InvalidInput, "roster.json_too_deep", name=path.name, limit=MAX_DEPTH)
    return data


def _depth(data: Any) -> int:
    """How deeply lists and objects nest, found without recursion."""
    deepest = 0
    stack = [(data, 1)]
    while stack:
        value, level = stack.pop()
        if isinstance(value, dict | list):
            deepest = max(deepest, level)
            if level <= MAX_DEPTH:
                stack.extend((v, level + 1) for v in (value.values() if isinstance(value, dict) else value))
    return deepest


def write_roster_file(roster: dict[str, Any], path: Path) -> None:
    """Write JSON (UTF-8, readable), an .xlsx workbook, or CSV files into a folder (a path without suffix)."""
    suffix = path.suffix.lower()
    if suffix not in (".xlsx", ".json") and not (path.is_dir() or not suffix):
        raise error(InvalidInput, "roster.unknown_output", name=path.name)
    try:
        if suffix == ".xlsx":
            write_xlsx(roster, path)
        elif suffix == ".json":
            path.write_text(json.dumps(roster, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        else:
            write_csv_folder(roster, path)
    except OSError as exc:
        raise error(InvalidInput, "roster.cannot_write", path=str(path), reason=exc.strerror or str(exc)) from exc
