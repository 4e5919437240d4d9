"""`iotmatch match` as the secretariat scripts it (one JSON line per need, and the text view), and `iotmatch eval`,
which reports bad input as messages, never a traceback."""

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

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


QRELS_FORMAT = "kyushu-iot-community/qrels-v1"
GOOD_JUDGMENTS = [{"need": "N-A1", "seed": "S-B1", "grade": 2}, {"need": "N-B1", "seed": "S-C1", "grade": 1}]


def _write(tmp_path: Path, name: str, content: Any) -> Path:
    path = tmp_path / name
    text = content if isinstance(content, str) else json.dumps(content, ensure_ascii=False)
    path.write_text(text, encoding="utf-8")
    return path


def _eval(roster: Path, qrels: Path) -> Result:
    return runner.invoke(cli, ["eval", "--roster", str(roster), "--qrels", str(qrels)])


def _assert_clean_failure(result: Result, *expected: str) -> None:
    """Non-zero exit with a message naming the problem, and no traceback."""
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit), result.exception  # not an uncaught error
    assert "Traceback" not in result.output
    for text in expected:
        assert text in result.output


def test_eval_leaves_out_and_reports_judgments_of_unknown_needs_and_seeds(cli_env: dict[str, str],
                                                                          tmp_path: Path) -> None:
    roster = _write(tmp_path, "roster.json", ROSTER)
    judgments = [*GOOD_JUDGMENTS, {"need": "N-NOPE", "seed": "S-A1", "grade": 2},
                 {"need": "N-C1", "seed": "S-NOPE", "grade": 1}]
    result = _eval(roster, _write(tmp_path, "qrels.json", {"format": QRELS_FORMAT, "judgments": judgments}))
    assert result.exit_code == 0, result.output
    metrics = json.loads(result.stdout)  # warnings go to stderr, so stdout stays JSON
    assert metrics["fused"]["queries"] == 2
    assert set(metrics["alone"]) == set(metrics["without"])
    assert "warning: 2 of 4 judgment(s)" in result.stderr
    assert "judgment 2 (need N-NOPE, seed S-A1): need not in the roster" in result.stderr
    assert "judgment 3 (need N-C1, seed S-NOPE): seed not in the roster" in result.stderr


@pytest.mark.parametrize(("qrels", "expected"), [
    ({"format": QRELS_FORMAT, "judgments": [{"need": "N-A1", "seed": "S-B1", "grade": "high"}]},
     ['judgment 0 / grade: must be an integer ≥ 0, found "high"']),
    ({"format": QRELS_FORMAT, "judgments": [*GOOD_JUDGMENTS, {"need": "N-A1", "seed": "S-C1"}]},
     ["judgment 2 / grade: missing"]),
    (GOOD_JUDGMENTS, ["must be a JSON object", "not a list"]),
    ("need,seed,grade\nN-A1,S-B1,2\n", ["qrels.json is not JSON"]),
    ({"foo": 1}, ["judgments: missing", "1 problem(s) in qrels.json"]),
    ({"format": QRELS_FORMAT, "judgments": [{"need": "", "seed": None, "grade": -1}, "N-A1"]},
     ["judgment 0 / need", "judgment 0 / seed", "judgment 0 / grade", "judgment 1: must be an object",
      "4 problem(s)"]),
], ids=["grade-word", "no-grade", "list", "not-json", "no-judgments", "every-problem"])
def test_eval_lists_qrels_problems_before_reading_the_roster(cli_env: dict[str, str], tmp_path: Path,
                                                             qrels: Any, expected: list[str]) -> None:
    # The roster does not exist: the qrels file must be rejected first, before any slow step.
    result = _eval(tmp_path / "absent.json", _write(tmp_path, "qrels.json", qrels))
    _assert_clean_failure(result, *expected, "nothing was evaluated")
    assert "absent.json" not in result.output


def test_eval_reports_a_missing_qrels_file(cli_env: dict[str, str], tmp_path: Path) -> None:
    _assert_clean_failure(_eval(_write(tmp_path, "roster.json", ROSTER), tmp_path / "nope.json"), "does not exist")


def test_eval_lists_every_roster_problem_like_import(cli_env: dict[str, str], tmp_path: Path) -> None:
    roster = copy.deepcopy(ROSTER)
    for org in roster["organizations"]:
        for posting in org["needs"] + org["seeds"]:
            posting["description"] = ""
    qrels = _write(tmp_path, "qrels.json", {"format": QRELS_FORMAT, "judgments": GOOD_JUDGMENTS})
    result = _eval(_write(tmp_path, "roster.json", roster), qrels)
    _assert_clean_failure(result, "error: ORG-A / N-A1 / description: must be a non-empty string",
                          "error: ORG-D / S-D1 / description:", "8 problem(s) in roster.json")


@pytest.mark.parametrize(("name", "content", "expected"), [
    ("absent.json", None, "does not exist"),
    ("roster.json", "{not json", "roster.json is not valid JSON (line 1, column 2)"),
    ("roster.txt", "{}", "use a .json or .xlsx file"),
])
def test_eval_reports_an_unreadable_roster(cli_env: dict[str, str], tmp_path: Path, name: str,
                                           content: str | None, expected: str) -> None:
    roster = tmp_path / name if content is None else _write(tmp_path, name, content)
    qrels = _write(tmp_path, "qrels.json", {"format": QRELS_FORMAT, "judgments": GOOD_JUDGMENTS})
    _assert_clean_failure(_eval(roster, qrels), expected)


def test_eval_refuses_qrels_that_name_nothing_in_the_roster(cli_env: dict[str, str], tmp_path: Path) -> None:
    qrels = _write(tmp_path, "qrels.json", {"format": QRELS_FORMAT, "judgments": [
        {"need": "D-N-0001", "seed": "D-S-0054", "grade": 2}]})
    result = _eval(_write(tmp_path, "roster.json", ROSTER), qrels)
    _assert_clean_failure(result, "warning: 1 of 1 judgment(s)", "belongs to this roster")


VARIANT: dict[str, Any] = {"format": "iotmatch/need-variant-v1", "needs": [
    {"id": "N-A1", "title": "Are our old machines running?",
     "description": "Nobody knows when the old machines stood still; we want to see it from the office."},
    {"id": "N-B1", "title": "Paper sales reports", "description": "We want to enter daily sales reports on tablets.",
     "tags": ["paperless"]}]}


def test_eval_reports_each_variant_beside_the_roster_on_the_same_judgments(cli_env: dict[str, str],
                                                                           tmp_path: Path) -> None:
    roster = _write(tmp_path, "roster.json", ROSTER)
    qrels = _write(tmp_path, "qrels.json", {"format": QRELS_FORMAT, "judgments": GOOD_JUDGMENTS})
    variant = _write(tmp_path, "plain.json", VARIANT)
    result = runner.invoke(cli, ["eval", "--roster", str(roster), "--qrels", str(qrels),
                                 "--variant", f"plain={variant}"])
    assert result.exit_code == 0, result.output
    metrics = json.loads(result.stdout)
    assert metrics["fused"]["queries"] == 2  # the roster's own wording, as without variants
    plain = metrics["variants"]["plain"]
    assert plain["fused"]["queries"] == 2
    assert set(plain["alone"]) == set(metrics["alone"])
    table = metrics["side_by_side"]
    assert table["fused"] == {"roster": metrics["fused"]["ndcg@10"], "plain": plain["fused"]["ndcg@10"]}
    assert set(table) == {"fused", *(f"{c} alone" for c in metrics["alone"]),
                          *(f"without {c}" for c in metrics["without"])}
    # The variant is ranked as a roster whose needs were written that way in the first place.
    rewritten = copy.deepcopy(ROSTER)
    for org in rewritten["organizations"]:
        for need in org["needs"]:
            new = next((n for n in VARIANT["needs"] if n["id"] == need["id"]), None)
            if new:
                need.update(title=new["title"], description=new["description"], tags=new.get("tags", []))
    alone = json.loads(_eval(_write(tmp_path, "rewritten.json", rewritten), qrels).stdout)
    assert {k: alone[k] for k in ("fused", "alone", "without")} == {k: plain[k] for k in ("fused", "alone", "without")}


@pytest.mark.parametrize(("option", "content", "expected"), [
    ("plain", None, "write NAME=FILE"),
    ("plain={path}", {"needs": [{"id": "N-A1", "title": " "}]},
     ["need 0 / title: must be a non-empty string", "need 0 / description:", "nothing was evaluated"]),
    ("plain={path}", {"format": "iotmatch/need-variant-v1"}, "needs: missing"),
    ("plain={path}", "not json", "is not JSON"),
    ("roster={path}", VARIANT, "the name 'roster' is taken"),
], ids=["no-file", "empty-fields", "no-needs", "not-json", "reserved-name"])
def test_eval_rejects_an_unusable_variant_before_any_slow_step(cli_env: dict[str, str], tmp_path: Path, option: str,
                                                               content: Any, expected: str | list[str]) -> None:
    path = _write(tmp_path, "variant.json", content if content is not None else "{}")
    qrels = _write(tmp_path, "qrels.json", {"format": QRELS_FORMAT, "judgments": GOOD_JUDGMENTS})
    # The roster does not exist: the variant is checked first.
    result = runner.invoke(cli, ["eval", "--roster", str(tmp_path / "absent.json"), "--qrels", str(qrels),
                                 "--variant", option.format(path=path)])
    _assert_clean_failure(result, *([expected] if isinstance(expected, str) else expected))
    assert "absent.json" not in result.output
