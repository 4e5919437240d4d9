"""`iotmatch match` as the secretariat scripts it: one JSON line per need, and the text view."""

import json
from pathlib import Path

from typer.testing import CliRunner

from app.cli import cli
from tests.api.conftest import ROSTER

runner = CliRunner()


def _import(tmp_path: Path) -> None:
    path = tmp_path / "roster.json"
    path.write_text(json.dumps(ROSTER, ensure_ascii=False), encoding="utf-8")
    result = runner.invoke(cli, ["import", str(path)])
    assert result.exit_code == 0, result.output


def test_match_all_jsonl_prints_one_line_per_need_with_seed_score_reasons(cli_env: dict[str, str],
                                                                           tmp_path: Path) -> None:
    _import(tmp_path)
    result = runner.invoke(cli, ["match", "--all", "--limit", "2", "--format", "jsonl"])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    needs = {n["id"]: o["id"] for o in ROSTER["organizations"] for n in o["needs"]}
    seeds = {s["id"]: o["id"] for o in ROSTER["organizations"] for s in o["seeds"]}
    assert [line["need"] for line in lines] == sorted(needs)
    for line in lines:
        assert set(line) == {"need", "matches"}
        assert len(line["matches"]) == 2
        for match in line["matches"]:
            assert set(match) == {"seed", "score", "reasons"}
            assert isinstance(match["score"], float)
            assert seeds[match["seed"]] != needs[line["need"]]  # never the need's own member
            assert match["reasons"][-1]["type"] == "summary"
            assert match["reasons"][-1]["text"].endswith("。")
        scores = [m["score"] for m in line["matches"]]
        assert scores == sorted(scores, reverse=True)


def test_match_rejects_an_unknown_need_and_a_bad_format(cli_env: dict[str, str], tmp_path: Path) -> None:
    _import(tmp_path)
    unknown = runner.invoke(cli, ["match", "N-NOPE"])
    assert unknown.exit_code == 1
    assert "N-NOPE" in unknown.output
    assert runner.invoke(cli, ["match", "--all", "--format", "xml"]).exit_code == 2


def test_index_rebuild_reports_what_it_indexed_and_with_which_model(cli_env: dict[str, str], tmp_path: Path) -> None:
    _import(tmp_path)
    result = runner.invoke(cli, ["index", "rebuild"])
    assert result.exit_code == 0, result.output
    assert "indexed 4 seeds and 4 needs with use-multilingual-v3@" in result.output
    manifest = json.loads(next((tmp_path / "var" / "index").glob("v*/manifest.json")).read_text(encoding="utf-8"))
    assert manifest["model_id"].startswith("use-multilingual-v3@")
    assert manifest["counts"] == {"seed": 4, "need": 4}
