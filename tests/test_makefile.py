"""`make run` and `make test` install only when pyproject.toml changed, not on every start."""

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")


def _planned(target: str, venv: Path) -> str:
    """The commands `make TARGET` would run with this venv (dry run)."""
    done = subprocess.run(["make", "-n", "-C", str(ROOT), target, f"VENV={venv}"], capture_output=True, text=True,
                          check=True)
    return done.stdout


def _venv(tmp_path: Path, *stamps: str, age: float = 0) -> Path:
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True)
    (venv / "bin" / "python").touch()
    when = (ROOT / "pyproject.toml").stat().st_mtime + age
    for stamp in stamps:
        (venv / stamp).touch()
        os.utime(venv / stamp, (when, when))
    return venv


def test_an_installed_venv_is_not_installed_again(tmp_path: Path) -> None:
    venv = _venv(tmp_path, ".installed", age=60)
    assert "pip install" not in _planned("install", venv)
    assert "iotmatch serve" in _planned("run", venv)
    assert "pip install" not in _planned("run", venv)


def test_the_dev_install_counts_for_the_plain_one_but_not_the_other_way(tmp_path: Path) -> None:
    dev = _venv(tmp_path / "dev", ".installed", ".installed-dev", age=60)
    assert "pip install" not in _planned("install", dev)
    assert "pip install" not in _planned("install-dev", dev)
    plain = _venv(tmp_path / "plain", ".installed", age=60)
    assert "pip install --quiet -e '.[dev]'" in _planned("install-dev", plain)


def test_a_changed_pyproject_installs_again(tmp_path: Path) -> None:
    venv = _venv(tmp_path, ".installed", ".installed-dev", age=-60)
    assert "pip install --quiet -e ." in _planned("run", venv)
    assert "pip install --quiet -e '.[dev]'" in _planned("test", venv)


def test_a_fresh_checkout_installs(tmp_path: Path) -> None:
    assert "pip install --quiet -e ." in _planned("run", _venv(tmp_path))
