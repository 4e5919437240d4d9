"""`iotmatch programs ...` as the secretariat uses it: suggestions for members, catalog import/export/list."""

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from app.cli import cli
from tests.programs.members import MAN, OKU, ROSTER, SME_REASON, SUMMER_2018, by_program, codes

runner = CliRunner()


@pytest.fixture
def roster(cli_env: dict[str, str], tmp_path: Path) -> None:
    """The worked-case members imported with `iotmatch import`."""
    source = tmp_path / "roster.json"
    source.write_text(json.dumps(ROSTER, ensure_ascii=False), encoding="utf-8")
    result = runner.invoke(cli, ["import", str(source)])
    assert result.exit_code == 0, result.output


def run(*args: str) -> str:
    result = runner.invoke(cli, ["programs", *args])
    assert result.exit_code == 0, result.output
    return result.output


def suggest_json(*args: str) -> dict[str, Any]:
    return json.loads(run("suggest", "--as-of", SUMMER_2018, "--json", *args))


def test_manufacturer_text_report(roster: None) -> None:
    out = run("suggest", "--org", "ORG-MFG", "--need", "N-MFG", "--as-of", SUMMER_2018)

    assert "九州精工株式会社 (ORG-MFG): 中小企業" in out
    assert "課題 N-MFG: IoTセンサーの設備導入" in out
    assert "投資額 800万円（ニーズの予算） / 判定日 2018年7月1日" in out
    assert "求めていること: 設備投資（設備導入）" in out
    ranked = out.split("課題に合う支援制度（")[1].split("課題と関連の薄い制度")[0]
    first = ranked.split("  2. ")[0]
    assert first.startswith("5件、合う順）\n  1. monozukuri-general  ものづくり・商業・サービス経営力向上支援事業")
    assert "[対象になる見込み]" in first
    assert "補助率1/2・上限1,000万円・見込み400万円" in first
    assert "✓ 資本金2億円・従業員150人のため中小企業に該当します" in first
    assert "security" not in ranked


def test_manufacturer_json_report(roster: None) -> None:
    general = by_program(suggest_json("--org", "ORG-MFG", "--investment", str(800 * MAN)))["monozukuri-general"]
    assert general["status"] == "eligible"
    assert general["estimated_support_jpy"] == 400 * MAN


def test_large_manufacturer_sees_why_sme_programs_are_refused(roster: None) -> None:
    out = run("suggest", "--org", "ORG-BIG", "--investment", str(800 * MAN), "--as-of", SUMMER_2018)
    refused = out.split("対象外（")[1]
    assert "monozukuri-general" in refused
    assert f"✗ {SME_REASON}" in refused
    result = by_program(suggest_json("--org", "ORG-BIG", "--investment", str(800 * MAN)))
    assert result["it-introduction"]["status"] == "ineligible"


def test_farm_is_a_small_business(roster: None) -> None:
    out = run("suggest", "--org", "ORG-FARM", "--need", "N-FARM", "--as-of", SUMMER_2018)
    assert "星ふる高原牧場 (ORG-FARM): 中小企業・小規模事業者" in out
    small = by_program(suggest_json("--org", "ORG-FARM", "--need", "N-FARM"))["monozukuri-small"]
    assert (small["status"], small["rate"], small["estimated_support_jpy"]) == ("eligible", "2/3", 200 * MAN)


def test_three_smes_with_repeated_partner_options(roster: None) -> None:
    result = suggest_json("--org", "ORG-A", "--need", "N-A", "--partner", "ORG-B", "--partner", "ORG-C",
                          "--investment", str(3_000 * MAN))
    linkage = by_program(result)["monozukuri-data-linkage"]
    assert [p["id"] for p in result["partners"]] == ["ORG-B", "ORG-C"]
    assert linkage["status"] == "eligible"
    assert linkage["cap_jpy"] == 3_600 * MAN
    assert linkage["estimated_support_jpy"] == 2_000 * MAN


def test_partners_may_be_listed_with_commas(roster: None) -> None:
    result = suggest_json("--org", "ORG-A", "--need", "N-A", "--partner", "ORG-B,ORG-C")
    assert [p["id"] for p in result["partners"]] == ["ORG-B", "ORG-C"]
    assert by_program(result)["monozukuri-data-linkage"]["cap_jpy"] == 3_600 * MAN


def test_connected_industries_tax_after_its_deadline(roster: None) -> None:
    late = by_program(json.loads(run("suggest", "--org", "ORG-CI", "--need", "N-CI", "--investment",
                                     str(6_000 * MAN), "--as-of", "2026-01-01", "--json")))
    small = by_program(suggest_json("--org", "ORG-CI", "--need", "N-CI", "--investment", str(3_000 * MAN)))
    assert codes(late["connected-industries-tax"]["conflicting"]) == {"window"}
    assert codes(small["connected-industries-tax"]["conflicting"]) == {"min_investment"}


def test_bridging_rd_with_a_public_research_partner(roster: None) -> None:
    result = by_program(suggest_json("--org", "ORG-RD", "--need", "N-RD", "--partner", "ORG-LAB",
                                     "--investment", str(3 * OKU)))
    assert result["bridging-rd"]["status"] == "eligible"
    assert result["bridging-rd"]["rate"] == "2/3"
    assert result["bridging-rd"]["estimated_support_jpy"] == 1 * OKU  # 上限1億円


def test_unknown_member_and_bad_date_fail(roster: None) -> None:
    unknown = runner.invoke(cli, ["programs", "suggest", "--org", "ORG-NONE"])
    assert unknown.exit_code == 1
    assert "No member with id 'ORG-NONE'" in unknown.output
    bad_date = runner.invoke(cli, ["programs", "suggest", "--org", "ORG-MFG", "--as-of", "2018/07/01"])
    assert bad_date.exit_code == 2


def test_list_export_edit_import(cli_env: dict[str, str], tmp_path: Path) -> None:
    listing = run("list")
    assert "26 programs" in listing
    assert "monozukuri-general" in listing
    assert "r1" in listing

    exported = tmp_path / "programs.yaml"
    assert "wrote 26 programs" in run("export", str(exported))
    data = yaml.safe_load(exported.read_text(encoding="utf-8"))
    bridging = next(p for p in data["programs"] if p["id"] == "bridging-rd")
    bridging["subsidy"]["cap_jpy"] = 5_000 * MAN
    data["programs"] = [p for p in data["programs"] if p["id"] != "security-camp"]
    edited = tmp_path / "edited.yaml"
    edited.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")

    out = run("import", str(edited), "--retire-missing")
    assert "0 created, 0 restored, 1 updated, 24 unchanged, 1 retired" in out
    listed = json.loads(run("list", "--all", "--json"))
    by_id = {p["id"]: p for p in listed}
    assert by_id["bridging-rd"]["revision"] == 2
    assert by_id["bridging-rd"]["document"]["subsidy"]["cap_jpy"] == 5_000 * MAN
    assert by_id["security-camp"]["retired_at"] is not None
    assert "25 programs" in run("list")
    assert "0 created, 0 restored, 0 updated, 25 unchanged" in run("import", str(edited))


def test_invalid_catalog_file_imports_nothing(cli_env: dict[str, str], tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump({"programs": [{"id": "Bad Id", "name": "x"}]}, allow_unicode=True),
                   encoding="utf-8")
    result = runner.invoke(cli, ["programs", "import", str(bad)])
    assert result.exit_code == 1
    assert "programs[0] (id=Bad Id): id: String should match pattern" in result.output
    assert "nothing was imported" in result.output
    missing = runner.invoke(cli, ["programs", "import", str(tmp_path / "none.yaml")])
    assert missing.exit_code == 1
    assert "cannot read" in missing.output
    assert "r2" not in run("list")
