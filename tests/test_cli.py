"""The command line outside the checkout: no stray empty databases, and a taken port said in plain words."""

import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from app.cli import cli
from app.config import get_settings
from app.roster.vocab import FORMAT

ROOT = Path(__file__).resolve().parents[1]
runner = CliRunner()
NEED_A_DATABASE = [["keys", "list"], ["export", "out.json"], ["events", "list"], ["programs", "list"], ["seed"],
                   ["import", "roster.json"], ["match", "--all"], ["index", "rebuild"], ["db", "downgrade", "base"],
                   ["serve"]]


@pytest.fixture(autouse=True)
def english_locale(monkeypatch: pytest.MonkeyPatch) -> None:
    """Messages in English unless a test asks for Japanese, whatever the machine's locale."""
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(name, raising=False)


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


def test_a_japanese_locale_gets_the_message_in_japanese(elsewhere: Path) -> None:
    result = runner.invoke(cli, ["keys", "list"], env={"LANG": "ja_JP.UTF-8"})
    assert result.exit_code == 1
    database = elsewhere / "iotmatch.db"
    assert f"{database} にデータベースがありません。先に `iotmatch db upgrade` を実行するか" in result.output
    assert not database.exists()


def test_only_db_upgrade_creates_the_database(elsewhere: Path) -> None:
    assert runner.invoke(cli, ["keys", "list"]).exit_code == 1
    upgraded = runner.invoke(cli, ["db", "upgrade"])
    assert upgraded.exit_code == 0, upgraded.output
    assert (elsewhere / "iotmatch.db").stat().st_size > 0
    listed = runner.invoke(cli, ["keys", "list"])
    assert listed.exit_code == 0, listed.output


def test_serve_on_a_taken_port_says_how_to_change_it_before_loading_anything(cli_env: dict[str, str]) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        # A process of its own, so what it imported before giving up is its own.
        script = ("import sys\nfrom app.cli import main\ntry:\n    main()\nfinally:\n"
                  "    print('model loaded' if 'torch' in sys.modules else 'nothing loaded', file=sys.stderr)")
        env = os.environ | cli_env | {"PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
        done = subprocess.run([sys.executable, "-c", script, "serve", "--host", "127.0.0.1", "--port", str(port)],
                              capture_output=True, text=True, env=env, timeout=120, check=False)
    assert done.returncode == 1, done.stderr
    assert f"port {port} on 127.0.0.1 is already in use" in done.stderr
    assert "--port" in done.stderr
    assert "IOTMATCH_PORT" in done.stderr
    assert done.stderr.strip().endswith("nothing loaded")
    assert "{" not in done.stderr + done.stdout  # plain words, not JSON log lines
