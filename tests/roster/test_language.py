"""`iotmatch import` and `export` in Japanese or English: chosen by --lang or by the locale."""

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from app.cli import cli
from app.messages import reason_ja
from app.roster.files import read_roster_file
from app.roster.validation import RosterInvalid, validate_roster
from tests.roster.conftest import demo_roster

runner = CliRunner()


def _bad_roster(tmp_path: Path) -> Path:
    roster = demo_roster()
    orgs = roster["organizations"] = roster["organizations"][:3]
    orgs[0]["industry"] = "Q9"
    orgs[1]["capital_jpy"] = -5
    orgs[2]["contact"] = {"email": "nobody"}
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(roster, ensure_ascii=False), encoding="utf-8")
    return path


def _good_roster(tmp_path: Path) -> Path:
    roster = demo_roster()
    roster["organizations"] = roster["organizations"][:3]
    path = tmp_path / "good.json"
    path.write_text(json.dumps(roster, ensure_ascii=False), encoding="utf-8")
    return path


def test_problems_and_summary_in_japanese_with_lang_ja(cli_env: dict[str, str], tmp_path: Path) -> None:
    result = runner.invoke(cli, ["import", str(_bad_roster(tmp_path)), "--lang", "ja"])
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "エラー: ORG-0001 / industry: 'Q9' は日本標準産業分類の大分類（A〜T）ではありません",
        "エラー: ORG-0002 / capital_jpy: 0以上の整数にしてください（-5 です）",
        "エラー: ORG-0003 / contact.email: 'nobody' は正しいメールアドレスではありません",
        "問題が 3 件あります。何も取り込んでいません。",
    ]
    result = runner.invoke(cli, ["import", str(_good_roster(tmp_path)), "--lang", "ja", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[:2] == [
        "試行（--dry-run）: ファイルに問題はありません。何も書き込んでいません。取り込むと次のとおり変わります:",
        "会員: 新規 3 件、更新 0 件、変更なし 0 件"]
    result = runner.invoke(cli, ["export", str(tmp_path / "out.json"), "--lang", "ja"])
    assert result.output == f"0 会員を {tmp_path / 'out.json'} に書き出しました。\n"


@pytest.mark.parametrize(("variables", "japanese"), [
    ({"LANG": "ja_JP.UTF-8"}, True),
    ({"LC_ALL": "ja_JP.UTF-8", "LANG": "en_US.UTF-8"}, True),
    ({"LC_ALL": "C.UTF-8", "LANG": "ja_JP.UTF-8"}, False),  # LC_ALL comes first, as for every program
    ({"LANG": "en_US.UTF-8"}, False),
    ({}, False),
])
def test_the_locale_chooses_the_language(cli_env: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                         variables: dict[str, str], japanese: bool) -> None:
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    result = runner.invoke(cli, ["import", str(_good_roster(tmp_path))])
    assert result.exit_code == 0, result.output
    first = result.output.splitlines()[0]
    assert first == ("会員: 新規 3 件、更新 0 件、変更なし 0 件" if japanese
                     else "organizations: 3 created, 0 updated, 0 unchanged")
    # --lang wins over the locale
    result = runner.invoke(cli, ["import", str(_good_roster(tmp_path)), "--lang", "en"])
    assert result.output.splitlines()[0] == "organizations: 0 created, 0 updated, 3 unchanged"


def test_file_errors_and_sheet_rows_in_japanese(cli_env: dict[str, str], tmp_path: Path) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text('{"format": 1,}', encoding="utf-8")
    result = runner.invoke(cli, ["import", str(broken), "--lang", "ja"])
    assert result.exit_code == 1
    assert result.stderr.startswith("broken.json は正しいJSONではありません（1 行 14 文字目）")
    folder = tmp_path / "csv"
    folder.mkdir()
    (folder / "organizations.csv").write_text("id,name\n", encoding="utf-8")
    (folder / "needs.csv").write_text("organization_id,id,title,description\nX-9,N-1,t,d\n", encoding="utf-8")
    result = runner.invoke(cli, ["import", str(folder), "--lang", "ja"])
    assert result.stderr.splitlines() == [
        "エラー: csv / seeds.csv: ファイルがありません",
        "エラー: needs シート 2 行目 / organization_id: organizations シートにない会員の ID です",
        "問題が 2 件あります。何も取り込んでいません。",
    ]
    result = runner.invoke(cli, ["export", str(tmp_path / "out.txt"), "--lang", "ja"])
    assert result.exit_code == 1
    assert "out.txt: 書き出し先は .json か .xlsx のファイル" in result.stderr


def test_an_unknown_language_is_a_usage_error(cli_env: dict[str, str], tmp_path: Path) -> None:
    result = runner.invoke(cli, ["import", str(_good_roster(tmp_path)), "--lang", "fr"])
    assert result.exit_code == 2
    assert "use one of en, ja" in result.output


def _problems_of(data: Any) -> list[str]:
    return [p.reason for p in validate_roster(data)]


def test_every_roster_reason_has_its_japanese(tmp_path: Path) -> None:
    org = demo_roster()["organizations"][0]
    bad = dict(org, id="ORG/1", name="x" * 201, member_type="company", roles=["support", "support", "robot"],
               prefecture="九州県", industry="Z", capital_jpy=2**70, employees=-1, founded_year=87,
               website="ftp://x", contact={"name": 5, "email": "nobody", "phone": "abc"}, certifications="ISO",
               description="\x00", needs=[{"id": "", "title": "", "description": "d", "budget_jpy": 0, "tags": "x"},
                                          {"id": "N-1" * 30, "title": "t", "description": "\ud800"}],
               seeds=[{"id": "S-1", "title": "t", "description": "d", "industries_served": ["9"]},
                      {"id": "S-1", "title": "t", "description": "d"}, "not an object"])
    other = dict(org, roles=[], support_type="university", contact="x", needs="x")
    reasons = _problems_of({"format": "v0", "organizations": [bad, other]}) + _problems_of([]) + _problems_of({})
    folder = tmp_path / "csv"
    folder.mkdir()
    (folder / "organizations.csv").write_text("name\n", encoding="utf-8")
    (folder / "needs.csv").write_bytes("organization_id,id\n".encode("utf-16"))
    (folder / "seeds.csv").write_text('organization_id,id\nX,S-1\n"unterminated\n', encoding="utf-8")
    with pytest.raises(RosterInvalid) as caught:
        read_roster_file(folder)
    reasons += [p.reason for p in caught.value.problems]
    assert len(reasons) > 30
    untranslated = [r for r in reasons if reason_ja(r) is None]
    assert untranslated == []
