"""Two imports of the same new members at once: one creates them, the other finds them, and neither ends in a
traceback."""

import json
import os
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from app import cli as cli_module
from app.cli import cli
from app.db import make_session_factory
from app.roster.exchange import import_roster

runner = CliRunner()
ROOT = Path(__file__).resolve().parents[2]


def _roster(count: int) -> dict[str, Any]:
    """New members, each with a need and a seed."""
    orgs = [{"id": f"ORG-{i:04d}", "name": f"会員{i}", "member_type": "corporate", "roles": ["user"],
             "support_type": None, "prefecture": "福岡県", "industry": "E", "description": "製造業の会員。",
             "needs": [{"id": f"N-{i:04d}", "title": "課題", "description": "突発停止を減らしたい。"}],
             "seeds": [{"id": f"S-{i:04d}", "title": "技術", "description": "振動センサー。"}]}
            for i in range(count)]
    return {"format": "kyushu-iot-community/v1", "organizations": orgs}


def _write(tmp_path: Path, roster: dict[str, Any]) -> Path:
    path = tmp_path / "roster.json"
    path.write_text(json.dumps(roster, ensure_ascii=False), encoding="utf-8")
    return path


def _exported(tmp_path: Path) -> dict[str, Any]:
    out = tmp_path / "check.json"
    assert runner.invoke(cli, ["export", str(out)]).exit_code == 0
    return json.loads(out.read_text(encoding="utf-8"))


def _import_while_another_holds_the_members(engine: Engine, roster: dict[str, Any], path: Path) -> Any:
    """Run `iotmatch import` while another transaction has written the same members but not committed; it
    commits a second later, while the command waits for it."""
    other = make_session_factory(engine)()
    import_roster(other, roster)
    other.flush()
    timer = threading.Timer(1.0, other.commit)
    timer.start()
    try:
        return runner.invoke(cli, ["import", str(path)])
    finally:
        timer.join()
        other.close()


def test_an_import_overtaken_by_another_finds_its_members(cli_env: dict[str, str], engine: Engine,
                                                          tmp_path: Path) -> None:
    roster = _roster(20)
    result = _import_while_another_holds_the_members(engine, roster, _write(tmp_path, roster))
    assert result.exit_code == 0, result.output
    assert "organizations: 0 created, 0 updated, 20 unchanged" in result.output
    assert _exported(tmp_path) == roster


def test_an_import_overtaken_every_time_says_to_run_it_again(cli_env: dict[str, str], engine: Engine,
                                                             tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                             ) -> None:
    monkeypatch.setattr(cli_module, "IMPORT_ATTEMPTS", 1)
    roster = _roster(20)
    result = _import_while_another_holds_the_members(engine, roster, _write(tmp_path, roster))
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit)
    assert "The roster changed while this import ran" in result.stderr
    assert "Run the command again." in result.stderr
    assert _exported(tmp_path) == roster  # the other import's members, whole


def test_two_import_processes_at_once(cli_env: dict[str, str], tmp_path: Path) -> None:
    roster = _roster(300)
    path = _write(tmp_path, roster)
    env = {**os.environ, **cli_env, "PYTHONPATH": str(ROOT), "LANG": "C.UTF-8"}
    command = [sys.executable, "-m", "app.cli", "import", str(path)]
    processes = [subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                  text=True) for _ in range(2)]
    results = [(p.wait(timeout=120), p.stdout.read(), p.stderr.read())  # type: ignore[union-attr]
               for p in processes]
    for code, out, err in results:
        assert "Traceback" not in err, err
        assert code == 0 or (code == 1 and "Run the command again." in err), (code, out, err)
    outputs = [out for code, out, _ in results if code == 0]
    assert any("organizations: 300 created" in out for out in outputs), results
    assert all("organizations: 300 created" in out or "0 created, 0 updated, 300 unchanged" in out
               for out in outputs), results
    assert _exported(tmp_path) == roster
