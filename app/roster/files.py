"""Reading and writing roster files by their kind: JSON, Excel, or a folder of CSV files."""

import json
from pathlib import Path
from typing import Any

from app.errors import InvalidInput
from app.roster.spreadsheet import read_csv_folder, read_xlsx, write_csv_folder, write_xlsx
from app.roster.validation import Problem, RosterInvalid


def read_roster_file(path: Path) -> dict[str, Any]:
    """The roster document in a file; RosterInvalid for sheet-level problems, InvalidInput if unreadable."""
    if not path.exists():
        raise InvalidInput(f"{path} does not exist")
    problems: list[Problem] = []
    if path.is_dir():
        data, problems = read_csv_folder(path)
    elif path.suffix.lower() == ".xlsx":
        data, problems = read_xlsx(path)
    elif path.suffix.lower() == ".json":
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except OSError as exc:
            raise InvalidInput(f"{path} cannot be read ({exc.strerror}): check that you may read it") from exc
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise InvalidInput(f"{path.name} is not UTF-8 JSON: {exc}") from exc
    else:
        raise InvalidInput(f"{path.name}: use a .json or .xlsx file, or a folder with organizations.csv, "
                           "needs.csv and seeds.csv")
    if problems:
        raise RosterInvalid(problems)
    return data


def write_roster_file(roster: dict[str, Any], path: Path) -> None:
    """Write JSON (UTF-8, readable), an .xlsx workbook, or CSV files into a folder (a path without suffix)."""
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        write_xlsx(roster, path)
    elif suffix == ".json":
        path.write_text(json.dumps(roster, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    elif path.is_dir() or not suffix:
        write_csv_folder(roster, path)
    else:
        raise InvalidInput(f"{path.name}: write a .json or .xlsx file, or a folder (a name without a suffix) "
                           "for organizations.csv, needs.csv and seeds.csv")
