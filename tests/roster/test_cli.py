"""The import/export commands and the spreadsheet readers, as the secretariat uses them."""

import json
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from app.cli import PROGRESS_THRESHOLD, cli, main
from app.config import get_settings
from app.roster.spreadsheet import write_xlsx
from tests.conftest import DEV_ROSTER

runner = CliRunner()


def test_import_then_export_gives_back_the_same_records(cli_env: dict[str, str], tmp_path: Path,
                                                       dev_roster: dict[str, Any]) -> None:
    result = runner.invoke(cli, ["import", str(DEV_ROSTER)])
    assert result.exit_code == 0, result.output
    assert "organizations: 70 created" in result.output
    out = tmp_path / "out.json"
    assert runner.invoke(cli, ["export", str(out)]).exit_code == 0
    assert json.loads(out.read_text(encoding="utf-8")) == dev_roster


def _write(path: Path, roster: dict[str, Any]) -> Path:
    path.write_text(json.dumps(roster, ensure_ascii=False), encoding="utf-8")
    return path


def _export(tmp_path: Path) -> dict[str, Any]:
    out = tmp_path / "export.json"
    result = runner.invoke(cli, ["export", str(out)])
    assert result.exit_code == 0, result.output
    return json.loads(out.read_text(encoding="utf-8"))


def test_file_with_three_errors_prints_each_with_its_location_and_changes_nothing(
    cli_env: dict[str, str], tmp_path: Path, dev_roster: dict[str, Any],
) -> None:
    assert runner.invoke(cli, ["import", str(_write(tmp_path / "roster.json", dev_roster))]).exit_code == 0
    bad = json.loads(json.dumps(dev_roster))
    orgs = bad["organizations"]
    orgs[0]["industry"] = "Q9"
    orgs[1]["capital_jpy"] = -5
    orgs[2]["contact"] = {"email": "nobody"}
    orgs[3]["name"] = "a valid change that must not be saved either"
    result = runner.invoke(cli, ["import", str(_write(tmp_path / "bad.json", bad))])
    assert result.exit_code == 1
    errors = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert len(errors) == 3, result.output
    assert f"{orgs[0]['id']} / industry: unknown JSIC major division 'Q9'" in errors[0]
    assert f"{orgs[1]['id']} / capital_jpy: must be a non-negative integer" in errors[1]
    assert f"{orgs[2]['id']} / contact.email: 'nobody' is not a valid e-mail address" in errors[2]
    assert "3 problem(s); nothing was imported." in result.output
    assert _export(tmp_path) == dev_roster


def test_reimport_updates_reports_missing_and_prunes_only_when_asked(
    cli_env: dict[str, str], tmp_path: Path, dev_roster: dict[str, Any],
) -> None:
    runner.invoke(cli, ["import", str(_write(tmp_path / "roster.json", dev_roster))])
    smaller = json.loads(json.dumps(dev_roster))
    gone = smaller["organizations"].pop()
    smaller["organizations"][0]["description"] += " 改訂"
    source = _write(tmp_path / "smaller.json", smaller)

    result = runner.invoke(cli, ["import", str(source)])
    assert result.exit_code == 0, result.output
    assert "organizations: 0 created, 1 updated" in result.output
    assert f"1 not in the file (kept; use --prune to remove): {gone['id']}" in result.output
    assert len(_export(tmp_path)["organizations"]) == len(dev_roster["organizations"])

    result = runner.invoke(cli, ["import", str(source), "--prune", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "dry run: the file is valid; nothing was written" in result.output
    assert f"1 removed: {gone['id']}" in result.output
    assert len(_export(tmp_path)["organizations"]) == len(dev_roster["organizations"])

    result = runner.invoke(cli, ["import", str(source), "--prune"])
    assert result.exit_code == 0, result.output
    assert f"1 removed: {gone['id']}" in result.output
    assert _export(tmp_path) == smaller


def test_large_file_shows_a_progress_bar(cli_env: dict[str, str], tmp_path: Path) -> None:
    orgs = [{"id": f"ORG-{i:04d}", "name": f"会員{i}", "member_type": "corporate", "roles": ["user"],
             "support_type": None, "prefecture": "福岡県", "industry": "E", "description": "製造業の会員。",
             "needs": [], "seeds": []} for i in range(PROGRESS_THRESHOLD)]
    roster = {"format": "kyushu-iot-community/v1", "organizations": orgs}
    result = runner.invoke(cli, ["import", str(_write(tmp_path / "large.json", roster))])
    assert result.exit_code == 0, result.output
    assert "importing: 100%|" in result.stderr
    assert f"{PROGRESS_THRESHOLD}/{PROGRESS_THRESHOLD}" in result.stderr

    small = {"format": "kyushu-iot-community/v1", "organizations": orgs[:3]}
    result = runner.invoke(cli, ["import", str(_write(tmp_path / "small.json", small))])
    assert "importing" not in result.stderr


def test_xlsx_and_csv_import_the_same_records(cli_env: dict[str, str], tmp_path: Path,
                                              dev_roster: dict[str, Any]) -> None:
    book = tmp_path / "roster.xlsx"
    write_xlsx(dev_roster, book)
    assert runner.invoke(cli, ["import", str(book)]).exit_code == 0
    out = tmp_path / "out.json"
    runner.invoke(cli, ["export", str(out)])
    exported = json.loads(out.read_text(encoding="utf-8"))
    first_in, first_out = dev_roster["organizations"][0], exported["organizations"][0]
    assert first_out["name"] == first_in["name"]
    assert first_out["seeds"][0]["tags"] == first_in["seeds"][0]["tags"]
    assert sum(len(o["seeds"]) for o in exported["organizations"]) == 118

    folder = tmp_path / "csv"
    folder.mkdir()
    (folder / "organizations.csv").write_text(
        "id,name,member_type,roles,prefecture,industry,capital_jpy,description\n"
        "C-1,株式会社CSV,corporate,vendor_hw;sier,熊本県,E,\"30,000,000\",センサーを作る会社。\n", encoding="utf-8")
    (folder / "needs.csv").write_text("organization_id,id,title,description\n", encoding="utf-8")
    (folder / "seeds.csv").write_text(
        "organization_id,id,title,description,tags,industries_served\n"
        "C-1,S-C1,振動センサー,後付けの振動センサー。,振動;予知保全,E;D\n", encoding="utf-8")
    result = runner.invoke(cli, ["import", str(folder)])
    assert result.exit_code == 0, result.output
    runner.invoke(cli, ["export", str(out)])
    org = next(o for o in json.loads(out.read_text(encoding="utf-8"))["organizations"] if o["id"] == "C-1")
    assert org["roles"] == ["vendor_hw", "sier"]
    assert org["capital_jpy"] == 30_000_000
    assert org["seeds"][0]["industries_served"] == ["E", "D"]


@pytest.mark.parametrize("name", ["export.xlsx", "export-csv"])
def test_exported_spreadsheets_reimport_as_unchanged(cli_env: dict[str, str], tmp_path: Path,
                                                     dev_roster: dict[str, Any], name: str) -> None:
    runner.invoke(cli, ["import", str(_write(tmp_path / "roster.json", dev_roster))])
    target = tmp_path / name
    assert runner.invoke(cli, ["export", str(target)]).exit_code == 0
    result = runner.invoke(cli, ["import", str(target)])
    assert result.exit_code == 0, result.output
    assert "organizations: 0 created, 0 updated, 70 unchanged" in result.output
    assert "seeds: 0 created, 0 updated, 118 unchanged" in result.output


def test_csv_row_with_unknown_owner_is_reported(cli_env: dict[str, str], tmp_path: Path) -> None:
    folder = tmp_path / "csv"
    folder.mkdir()
    (folder / "organizations.csv").write_text("id,name\n", encoding="utf-8")
    (folder / "needs.csv").write_text("organization_id,id,title,description\nX-9,N-1,t,d\n", encoding="utf-8")
    (folder / "seeds.csv").write_text("organization_id,id,title,description\n", encoding="utf-8")
    result = runner.invoke(cli, ["import", str(folder)])
    assert result.exit_code == 1
    assert "needs row 2 / organization_id" in result.output


def test_database_without_schema_gets_a_message_not_a_traceback(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "empty.db").touch()  # e.g. left behind by an older version that created it on connecting
    monkeypatch.setenv("IOTMATCH_DATABASE_URL", f"sqlite:///{tmp_path / 'empty.db'}")
    monkeypatch.setattr(sys, "argv", ["iotmatch", "export", str(tmp_path / "out.json")])
    get_settings.cache_clear()
    try:
        with pytest.raises(SystemExit) as exited:
            main()
    finally:
        get_settings.cache_clear()
    assert exited.value.code == 1
    err = capsys.readouterr().err
    assert "no such table: organizations" in err
    assert "iotmatch db upgrade" in err
    assert "Traceback" not in err


def test_export_to_an_unknown_kind_of_file_says_which_work(cli_env: dict[str, str], tmp_path: Path) -> None:
    result = runner.invoke(cli, ["export", str(tmp_path / "roster.txt")])
    assert result.exit_code == 1
    assert "write a .json or .xlsx file, or a folder" in result.output


def _csv_folder(tmp_path: Path, organizations: bytes) -> Path:
    folder = tmp_path / "csv"
    folder.mkdir()
    (folder / "organizations.csv").write_bytes(organizations)
    (folder / "needs.csv").write_text("organization_id,id,title,description\n", encoding="utf-8-sig")
    (folder / "seeds.csv").write_text("organization_id,id,title,description\n", encoding="utf-8")
    return folder


def _failed_cleanly(result: Any) -> str:
    """The error output of a command that ended with exit status 1 and a message, not an exception."""
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    return str(result.stderr)


ORG_CSV = ("id,name,member_type,roles,prefecture,industry,description\r\n"
           "C-1,株式会社有明センサー,corporate,vendor_hw,佐賀県,E,有明海の水質センサーを作る会社。\r\n")


def test_csv_saved_by_japanese_excel_in_cp932_imports(cli_env: dict[str, str], tmp_path: Path) -> None:
    # "CSV (コンマ区切り)" in Japanese Excel writes Shift_JIS (CP932) with CRLF line ends.
    result = runner.invoke(cli, ["import", str(_csv_folder(tmp_path, ORG_CSV.encode("cp932")))])
    assert result.exit_code == 0, result.output
    org = _export(tmp_path)["organizations"][0]
    assert (org["name"], org["prefecture"]) == ("株式会社有明センサー", "佐賀県")


@pytest.mark.parametrize("encoding", ["utf-16", "euc-jp"])
def test_csv_in_another_encoding_is_a_clean_error(cli_env: dict[str, str], tmp_path: Path, encoding: str) -> None:
    result = runner.invoke(cli, ["import", str(_csv_folder(tmp_path, ORG_CSV.encode(encoding)))])
    err = _failed_cleanly(result)
    assert "error: csv / organizations.csv: is neither UTF-8 nor Shift_JIS (CP932) text" in err
    assert "CSV UTF-8" in err
    assert _export(tmp_path)["organizations"] == []


def _damaged_workbooks(tmp_path: Path, dev_roster: dict[str, Any]) -> dict[str, bytes]:
    good = tmp_path / "good.xlsx"
    write_xlsx(dev_roster, good)
    other_zip = tmp_path / "other.zip"
    with zipfile.ZipFile(other_zip, "w") as archive:
        archive.writestr("readme.txt", "not a workbook")
    raw = good.read_bytes()
    return {"text": b"id,name\nC-1,x\n", "truncated": raw[: len(raw) // 2], "other-zip": other_zip.read_bytes(),
            "flipped": raw[:3000] + bytes(b ^ 0xFF for b in raw[3000:3400]) + raw[3400:]}


def test_damaged_workbook_is_a_clean_error(cli_env: dict[str, str], tmp_path: Path,
                                           dev_roster: dict[str, Any]) -> None:
    for name, content in _damaged_workbooks(tmp_path, dev_roster).items():
        book = tmp_path / f"{name}.xlsx"
        book.write_bytes(content)
        err = _failed_cleanly(runner.invoke(cli, ["import", str(book)]))
        assert f"{name}.xlsx cannot be read as an Excel workbook (.xlsx)" in err, name
        assert "Excel ブック (*.xlsx)" in err


def test_ids_the_api_cannot_address_are_reported(cli_env: dict[str, str], tmp_path: Path) -> None:
    org = {"id": "ORG/1 #x", "name": "株式会社テスト", "member_type": "corporate", "roles": ["user"],
           "support_type": None, "prefecture": "福岡県", "industry": "E", "description": "会員です。",
           "needs": [{"id": "N/1?", "title": "t", "description": "d"}],
           "seeds": [{"id": "S-1%", "title": "t", "description": "d"}, {"id": "S-2", "title": "t", "description": "d"}]}
    roster = {"format": "kyushu-iot-community/v1", "organizations": [org]}
    err = _failed_cleanly(runner.invoke(cli, ["import", str(_write(tmp_path / "ids.json", roster))]))
    errors = [line for line in err.splitlines() if line.startswith("error:")]
    assert len(errors) == 3, err
    assert errors[0].startswith("error: organizations[0] / id: id 'ORG/1 #x' may hold only letters")
    assert errors[1].startswith("error: organizations[0] / needs[0] / id: id 'N/1?'")
    assert errors[2].startswith("error: organizations[0] / seeds[0] / id: id 'S-1%'")
    assert "no spaces, '/', '?', '#', '%'" in errors[0]
    assert _export(tmp_path)["organizations"] == []
