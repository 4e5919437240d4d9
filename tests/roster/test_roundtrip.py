"""Export, import, export again: nothing changes and the files are the same bytes, in every format; and no
exported cell runs as a formula."""

import csv
import io
import json
import zipfile
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy import select
from typer.testing import CliRunner

from app.cli import cli
from app.cli_support import cli_session
from app.roster.cells import FORMULA_START, decode_list
from app.roster.models import Need
from app.roster.spreadsheet import MAX_XLSX_CELL
from app.web.forms import PostingForm
from tests.roster.conftest import FORMULA, NASTY_TAGS, demo_roster, with_nasty_values

runner = CliRunner()
TARGETS = ["roster.json", "roster.xlsx", "roster-csv"]


def _roster(which: str, dev_roster: dict[str, Any], target: str = "") -> dict[str, Any]:
    long_text = MAX_XLSX_CELL if target.endswith(".xlsx") else 150_000
    return with_nasty_values(dev_roster if which == "dev" else demo_roster(), long_text)


def _invoke(*args: str) -> str:
    result = runner.invoke(cli, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def _import_json(tmp_path: Path, roster: dict[str, Any]) -> None:
    source = tmp_path / "source.json"
    source.write_text(json.dumps(roster, ensure_ascii=False), encoding="utf-8")
    _invoke("import", str(source))


def _bytes(path: Path) -> dict[str, bytes]:
    files = sorted(path.iterdir()) if path.is_dir() else [path]
    return {f.name: f.read_bytes() for f in files}


def _exported_json(tmp_path: Path) -> dict[str, Any]:
    out = tmp_path / "check.json"
    _invoke("export", str(out))
    return json.loads(out.read_text(encoding="utf-8"))


@pytest.mark.parametrize("which", ["dev", "demo"])
@pytest.mark.parametrize("target", TARGETS)
def test_export_import_changes_nothing_and_exports_the_same_bytes(
    cli_env: dict[str, str], tmp_path: Path, dev_roster: dict[str, Any], which: str, target: str,
) -> None:
    roster = _roster(which, dev_roster, target)
    _import_json(tmp_path, roster)
    first, second = tmp_path / "first" / target, tmp_path / "second" / target
    first.parent.mkdir()
    second.parent.mkdir()
    _invoke("export", str(first))

    output = _invoke("import", str(first))
    counts = {kind: sum(len(o[kind]) for o in roster["organizations"]) for kind in ("needs", "seeds")}
    counts["organizations"] = len(roster["organizations"])
    for kind, n in counts.items():
        assert f"{kind}: 0 created, 0 updated, {n} unchanged" in output, output

    _invoke("export", str(second))
    assert _bytes(second) == _bytes(first)
    # Nothing a spreadsheet cannot hold (explicit nulls, empty values, keys of no column) was lost either.
    assert _exported_json(tmp_path) == roster


def _meaningful(value: Any) -> Any:
    """The values a spreadsheet can hold: no empty ones, no keys the format does not define."""
    if isinstance(value, dict):
        return {k: _meaningful(v) for k, v in value.items()
                if k not in ("service_area", "x_note") and v not in (None, "", [], {})}
    if isinstance(value, list):
        return [_meaningful(v) for v in value]
    return value


@pytest.mark.parametrize("target", ["roster.xlsx", "roster-csv"])
def test_spreadsheets_carry_every_text_exactly_into_an_empty_database(
    cli_env: dict[str, str], tmp_path: Path, dev_roster: dict[str, Any], target: str,
) -> None:
    roster = _roster("dev", dev_roster, target)
    _import_json(tmp_path, roster)
    exported = tmp_path / target
    _invoke("export", str(exported))
    _invoke("import", str(tmp_path / "source.json"), "--prune")  # the same roster…
    empty = tmp_path / "empty.json"
    empty.write_text(json.dumps({"format": roster["format"], "organizations": []}), encoding="utf-8")
    assert "70 removed" in _invoke("import", str(empty), "--prune")  # …then none: the sheet creates every record

    output = _invoke("import", str(exported))
    assert "organizations: 70 created" in output
    again = _exported_json(tmp_path)
    assert _meaningful(again) == _meaningful(roster)
    first = again["organizations"][0]
    assert first["name_en"] == FORMULA
    assert first["city"] == "'quoted city"
    assert next(n for o in again["organizations"] for n in o["needs"] if n.get("tags") == NASTY_TAGS)


def _sheet_xml(book: Path) -> str:
    with zipfile.ZipFile(book) as archive:
        return "".join(archive.read(n).decode() for n in archive.namelist() if n.startswith("xl/worksheets/"))


def test_workbook_stores_formula_text_as_text(cli_env: dict[str, str], tmp_path: Path,
                                              dev_roster: dict[str, Any]) -> None:
    _import_json(tmp_path, _roster("dev", dev_roster, "roster.xlsx"))
    book = tmp_path / "roster.xlsx"
    _invoke("export", str(book))
    assert "<f>" not in _sheet_xml(book)  # no formula anywhere
    sheet = load_workbook(book)["organizations"]
    header = [c.value for c in sheet[1]]
    cell = sheet.cell(row=2, column=header.index("name_en") + 1)
    assert (cell.value, cell.data_type, cell.quotePrefix) == (FORMULA, "s", True)
    phone = sheet.cell(row=2, column=header.index("contact_phone") + 1)
    assert (phone.value, phone.data_type, phone.quotePrefix) == ("+81 92 000 0000", "s", True)


def test_csv_cells_never_start_a_formula(cli_env: dict[str, str], tmp_path: Path,
                                         dev_roster: dict[str, Any]) -> None:
    _import_json(tmp_path, _roster("dev", dev_roster))
    folder = tmp_path / "roster-csv"
    _invoke("export", str(folder))
    cells = []
    for name in ("organizations.csv", "needs.csv", "seeds.csv"):
        text = (folder / name).read_text(encoding="utf-8")
        assert text.startswith("\ufeff")
        cells += [c for row in csv.reader(io.StringIO(text[1:], newline="")) for c in row]
    assert not [c for c in cells if c[:1] in FORMULA_START]
    assert "'" + FORMULA in cells
    assert "''=not a formula either" in cells  # a quote of the text's own before a formula character: doubled
    assert "'quoted city" in cells  # …and before anything else: left as it is
    tags = next(c for c in cells if c.startswith("a\\;b;c\\；d;e\\,f;"))  # separators in tags are escaped
    assert tags.endswith(";trailing\\\\")
    assert decode_list(tags) == NASTY_TAGS


def test_tags_from_the_web_form_read_back_from_a_csv_export(cli_env: dict[str, str], tmp_path: Path) -> None:
    """A tag typed with a separator the form does not split on used to split on re-import (`1 updated`)."""
    roster = demo_roster()
    roster["organizations"] = [o for o in roster["organizations"] if o["needs"]][:3]
    _import_json(tmp_path, roster)
    with cli_session() as session:
        need = session.scalars(select(Need).order_by(Need.id)).first()
        assert need is not None
        form = PostingForm("need", need.title, need.description, tags="予兆保全\\;振動、IoT\\,AI")
        need.tags = form.values()["tags"]
    assert need.tags == ["予兆保全;振動", "IoT,AI"]
    folder = tmp_path / "csv"
    _invoke("export", str(folder))
    assert "needs: 0 created, 0 updated" in _invoke("import", str(folder))


def test_text_longer_than_a_workbook_cell_is_refused_not_cut(cli_env: dict[str, str], tmp_path: Path,
                                                             dev_roster: dict[str, Any]) -> None:
    roster = _roster("dev", dev_roster, "roster.xlsx")
    roster["organizations"][3]["description"] += "余"
    _import_json(tmp_path, roster)
    book = tmp_path / "roster.xlsx"
    result = runner.invoke(cli, ["export", str(book)])
    assert result.exit_code == 1
    assert f"{roster['organizations'][3]['id']} / description is longer than 32767 characters" in result.output
    assert "export as JSON or as CSV files" in result.output
    assert not book.exists()
