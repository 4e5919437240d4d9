"""Files with problems: every problem of a spreadsheet in one pass, and clear messages (no tracebacks) for
files that cannot be read: broken or deep JSON, text no database stores, oversized sheets."""

import json
import resource
import tracemalloc
import zipfile
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook
from typer.testing import CliRunner

from app.cli import cli
from app.roster.files import MAX_DEPTH
from app.roster.spreadsheet import MAX_COLUMNS, MAX_ROWS, ORG_COLUMNS, read_xlsx, write_xlsx
from tests.roster.conftest import demo_roster

runner = CliRunner()
FORMAT = "kyushu-iot-community/v1"


def _failed(args: list[str]) -> list[str]:
    """The error lines of a command that stopped with a message (exit 1), not an exception."""
    result = runner.invoke(cli, args)
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    return result.stderr.splitlines()


def _exported(tmp_path: Path) -> dict[str, Any]:
    out = tmp_path / "check.json"
    assert runner.invoke(cli, ["export", str(out)]).exit_code == 0
    return json.loads(out.read_text(encoding="utf-8"))


ORGS = ("id,name,member_type,roles,prefecture,industry,description\n"
        "C-1,株式会社一,corporate,user,福岡県,Q9,説明。\n"
        ",株式会社二,corporate,user,福岡県,E,説明。\n"
        "C-3,株式会社三,corporate,robot,九州県,E,説明。\n")
SEEDS = ("organization_id,id,title,description,industries_served\n"
         "X-9,S-1,t,d,E\n"
         "C-3,S-2,t,d,E;9\n"
         "C-3,S-3,,d,\n")

# A row without an owner is located by its row, a record without an id by its row, any other by its ids.
RECORD_PROBLEMS = [
    "error: seeds row 2 / organization_id: names no organization in the organizations sheet",
    "error: C-1 / industry: unknown JSIC major division 'Q9' (A..T)",
    "error: organizations row 3 / id: id is required (a non-empty string)",
    "error: C-3 / roles: unknown role 'robot' (allowed: vendor_hw, vendor_sys, sier, user, support)",
    "error: C-3 / prefecture: '九州県' is not one of the 47 prefectures (kanji)",
    "error: C-3 / S-2 / industries_served: unknown JSIC major division '9' (A..T)",
    "error: C-3 / S-3 / title: is required",
]


def test_csv_folder_reports_every_problem_of_every_file(cli_env: dict[str, str], tmp_path: Path) -> None:
    folder = tmp_path / "csv"
    folder.mkdir()
    (folder / "organizations.csv").write_text(ORGS, encoding="utf-8")
    (folder / "needs.csv").write_bytes("organization_id,id,title,description\n".encode("utf-16"))
    (folder / "seeds.csv").write_text(SEEDS, encoding="utf-8")
    errors = _failed(["import", str(folder)])
    assert errors == [
        "error: csv / needs.csv: is neither UTF-8 nor Shift_JIS (CP932) text: in Excel, save it with "
        '"CSV UTF-8 (コンマ区切り) (*.csv)" and import again',
        *RECORD_PROBLEMS,
        "8 problem(s); nothing was imported.",
    ]
    assert _exported(tmp_path)["organizations"] == []


def test_workbook_reports_every_problem_of_every_sheet(cli_env: dict[str, str], tmp_path: Path) -> None:
    book = Workbook()
    orgs = book.active
    assert orgs is not None
    orgs.title = "organizations"
    for line in ORGS.splitlines():
        orgs.append(line.split(","))
    seeds = book.create_sheet("seeds")
    for line in SEEDS.splitlines():
        seeds.append(line.split(","))
    path = tmp_path / "roster.xlsx"
    book.save(path)
    assert _failed(["import", str(path)]) == [
        "error: roster.xlsx / needs: sheet is missing", *RECORD_PROBLEMS, "8 problem(s); nothing was imported."]


def test_header_without_an_id_column_is_one_problem_not_one_per_row(cli_env: dict[str, str],
                                                                     tmp_path: Path) -> None:
    folder = tmp_path / "csv"
    folder.mkdir()
    (folder / "organizations.csv").write_text(ORGS.replace("id,", "code,", 1), encoding="utf-8")
    (folder / "needs.csv").write_text("organization_id,id,title,description\n", encoding="utf-8")
    (folder / "seeds.csv").write_text(SEEDS, encoding="utf-8")
    assert _failed(["import", str(folder)]) == [
        "error: organizations / header: missing column(s): id", "1 problem(s); nothing was imported."]


@pytest.mark.parametrize(("content", "expected"), [
    (b'{"format": "kyushu-iot-community/v1",\n  "organizations": [\n    {"id": "A",}\n  ]\n}',
     "broken.json is not valid JSON (line 3, column 16): Expecting property name enclosed in double quotes"),
    ('{"format": "名簿"}'.encode("cp932"), "broken.json is not UTF-8 text (an invalid byte at offset 12)"),
    (b"[" * 200_000 + b"]" * 200_000, f"broken.json nests lists and objects more than {MAX_DEPTH} levels deep"),
    (b'{"format": "kyushu-iot-community/v1", "x": ' + b"[" * 100 + b"]" * 100 + b"}",
     f"broken.json nests lists and objects more than {MAX_DEPTH} levels deep"),
    (b'{"capital_jpy": ' + b"9" * 5000 + b"}", "broken.json holds a number too long to read"),
])
def test_unreadable_json_is_named_with_its_cause(cli_env: dict[str, str], tmp_path: Path, content: bytes,
                                                 expected: str) -> None:
    path = tmp_path / "broken.json"
    path.write_bytes(content)
    errors = _failed(["import", str(path)])
    assert errors[0].startswith(expected), errors


def test_json_with_a_byte_order_mark_imports(cli_env: dict[str, str], tmp_path: Path) -> None:
    roster = demo_roster()
    roster["organizations"] = roster["organizations"][:2]
    path = tmp_path / "bom.json"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps(roster, ensure_ascii=False).encode("utf-8"))
    result = runner.invoke(cli, ["import", str(path)])
    assert result.exit_code == 0, result.output
    assert _exported(tmp_path) == roster


def test_text_no_database_stores_and_numbers_beyond_its_columns_are_problems(cli_env: dict[str, str],
                                                                            tmp_path: Path) -> None:
    roster = demo_roster()
    orgs = roster["organizations"] = roster["organizations"][:3]
    orgs[0]["name"] = "NUL\x00in the name"
    orgs[1]["description"] = "lone \ud800 surrogate"
    orgs[1]["x_custom"] = {"deep": ["fine", "\x00"]}
    orgs[2]["capital_jpy"] = 2**70
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(roster), encoding="utf-8")  # ASCII escapes: \u0000, \ud800
    assert _failed(["import", str(path)]) == [
        f"error: {orgs[0]['id']} / name: must not contain NUL characters",
        f"error: {orgs[1]['id']} / x_custom.deep: must not contain NUL characters",
        f"error: {orgs[1]['id']} / description: must be valid Unicode text",
        f"error: {orgs[2]['id']} / capital_jpy: must be at most {2**63 - 1}",
        "4 problem(s); nothing was imported.",
    ]
    assert _exported(tmp_path)["organizations"] == []


def _big_sheet(path: Path, rows: int, far_cell_row: int | None) -> Path:
    """A workbook whose organizations sheet has `rows` rows with a value in column A (and, on one row, one
    in column XFD, the last Excel has), written straight as XML: a dozen megabytes that zip to about one."""
    write_xlsx({"format": FORMAT, "organizations": []}, path)
    body = ['<row r="1"><c r="A1" t="inlineStr"><is><t>id</t></is></c></row>']
    for r in range(2, rows + 1):
        far = f'<c r="XFD{r}" t="inlineStr"><is><t>x</t></is></c>' if r == far_cell_row else ""
        body.append(f'<row r="{r}"><c r="A{r}" t="inlineStr"><is><t>ORG-{r}</t></is></c>{far}</row>')
    xml = ('<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
           f'<dimension ref="A1:XFD{rows}"/><sheetData>{"".join(body)}</sheetData></worksheet>')
    with zipfile.ZipFile(path) as archive:
        entries = {name: archive.read(name) for name in archive.namelist()}
    entries["xl/worksheets/sheet1.xml"] = xml.encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return path


def test_a_cell_in_column_xfd_stops_the_read_without_using_much_memory(cli_env: dict[str, str],
                                                                       tmp_path: Path) -> None:
    book = _big_sheet(tmp_path / "far.xlsx", 200_000, far_cell_row=2)
    assert book.stat().st_size < 2_000_000
    tracemalloc.start()
    try:
        _, problems = read_xlsx(book)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert [str(p) for p in problems] == [
        f"far.xlsx / organizations: has a value in column XFD (row 2): a roster sheet uses at most {MAX_COLUMNS} "
        "columns; delete the cells beyond column GR"]
    assert peak < 50_000_000  # reading every declared cell (A1:XFD200000) would take tens of gigabytes
    errors = _failed(["import", str(book)])
    assert errors[0].startswith("error: far.xlsx / organizations: has a value in column XFD (row 2)")


def test_a_sheet_longer_than_the_cap_is_refused(tmp_path: Path) -> None:
    book = _big_sheet(tmp_path / "long.xlsx", MAX_ROWS + 1, far_cell_row=None)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    _, problems = read_xlsx(book)
    assert [str(p) for p in problems] == [
        f"long.xlsx / organizations: has more than {MAX_ROWS:,} rows: a roster sheet holds at most {MAX_ROWS:,} "
        "(delete the empty rows below the data, or split the file)"]
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 500_000  # KiB: under half a gigabyte


def test_csv_beyond_the_column_cap_is_refused(cli_env: dict[str, str], tmp_path: Path) -> None:
    folder = tmp_path / "csv"
    folder.mkdir()
    header = ",".join(ORG_COLUMNS) + "," * (MAX_COLUMNS - len(ORG_COLUMNS)) + ",extra"
    (folder / "organizations.csv").write_text(header + "\n", encoding="utf-8")
    (folder / "needs.csv").write_text("organization_id,id,title,description\n", encoding="utf-8")
    (folder / "seeds.csv").write_text("organization_id,id,title,description\n", encoding="utf-8")
    errors = _failed(["import", str(folder)])
    assert errors[0] == (f"error: csv / organizations.csv: has a value in column GS (row 1): a roster sheet uses "
                         f"at most {MAX_COLUMNS} columns; delete the cells beyond column GR")
