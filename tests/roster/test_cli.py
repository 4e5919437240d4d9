"""The import/export commands and the spreadsheet readers, as the secretariat uses them."""

import json
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from app.cli import cli
from app.roster.spreadsheet import write_xlsx

runner = CliRunner()


def test_import_then_export_gives_back_the_same_records(cli_env: dict[str, str], tmp_path: Path,
                                                       dev_roster: dict[str, Any]) -> None:
    source = tmp_path / "roster.json"
    source.write_text(json.dumps(dev_roster, ensure_ascii=False), encoding="utf-8")
    result = runner.invoke(cli, ["import", str(source)])
    assert result.exit_code == 0, result.output
    assert "70 created" in result.output
    out = tmp_path / "out.json"
    assert runner.invoke(cli, ["export", str(out)]).exit_code == 0
    assert json.loads(out.read_text(encoding="utf-8")) == dev_roster


def test_invalid_file_prints_all_problems_and_exits_non_zero(cli_env: dict[str, str], tmp_path: Path,
                                                            dev_roster: dict[str, Any]) -> None:
    bad = json.loads(json.dumps(dev_roster))
    bad["organizations"][0]["industry"] = "Q9"
    bad["organizations"][1]["capital_jpy"] = -5
    bad["organizations"][2]["contact"] = {"email": "nobody"}
    source = tmp_path / "bad.json"
    source.write_text(json.dumps(bad, ensure_ascii=False), encoding="utf-8")
    result = runner.invoke(cli, ["import", str(source)])
    assert result.exit_code == 1
    assert result.output.count("error:") == 3
    assert "nothing was imported" in result.output
    out = tmp_path / "out.json"
    runner.invoke(cli, ["export", str(out)])
    assert json.loads(out.read_text(encoding="utf-8"))["organizations"] == []


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


def test_csv_row_with_unknown_owner_is_reported(cli_env: dict[str, str], tmp_path: Path) -> None:
    folder = tmp_path / "csv"
    folder.mkdir()
    (folder / "organizations.csv").write_text("id,name\n", encoding="utf-8")
    (folder / "needs.csv").write_text("organization_id,id,title,description\nX-9,N-1,t,d\n", encoding="utf-8")
    (folder / "seeds.csv").write_text("organization_id,id,title,description\n", encoding="utf-8")
    result = runner.invoke(cli, ["import", str(folder)])
    assert result.exit_code == 1
    assert "needs row 2 / organization_id" in result.output
