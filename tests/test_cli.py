"""The command line outside the checkout: no stray empty databases."""

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from app.cli import cli
from app.config import get_settings
from app.roster.vocab import FORMAT

runner = CliRunner()
NEED_A_DATABASE = [["keys", "list"], ["export", "out.json"], ["events", "list"], ["programs", "list"], ["seed"],
                   ["import", "roster.json"], ["match", "--all"], ["index", "rebuild"], ["db", "downgrade", "base"],
                   ["serve"]]


@pytest.fixture
def elsewhere(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Another folder as the working directory, with the default settings (a SQLite file there)."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "roster.json").write_text(json.dumps({"format": FORMAT, "organizations": []}), encoding="utf-8")
    monkeypatch.delenv("IOTMATCH_DATABASE_URL", raising=False)
    monkeypatch.setenv("IOTMATCH_DATA_DIR", str(tmp_path / "var"))
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


@pytest.mark.parametrize("command", NEED_A_DATABASE, ids=" ".join)
def test_commands_that_need_a_database_say_so_instead_of_creating_one(elsewhere: Path, command: list[str]) -> None:
    result = runner.invoke(cli, command)
    assert result.exit_code == 1, result.output
    database = elsewhere / "iotmatch.db"
    assert f"no database at {database}: run `iotmatch db upgrade` first" in result.output
    assert not database.exists()
    assert not (elsewhere / "out.json").exists()


def test_only_db_upgrade_creates_the_database(elsewhere: Path) -> None:
    assert runner.invoke(cli, ["keys", "list"]).exit_code == 1
    upgraded = runner.invoke(cli, ["db", "upgrade"])
    assert upgraded.exit_code == 0, upgraded.output
    assert (elsewhere / "iotmatch.db").stat().st_size > 0
    listed = runner.invoke(cli, ["keys", "list"])
    assert listed.exit_code == 0, listed.output
