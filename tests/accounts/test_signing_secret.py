"""Processes sharing a data folder sign alike: a cookie or an e-mailed link made by one is accepted by another."""

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

SIGN = """
from app.alerts.service import unsubscribe_token
from app.config import get_settings
from app.web.session import WebSession
import json
print(json.dumps({"cookie": WebSession(person_id=7).encode(),
                  "link": unsubscribe_token(get_settings(), 3, "hanako@example.jp")}))
"""

CHECK = """
from app.alerts.service import read_unsubscribe_token
from app.config import get_settings
from app.web.session import decode
import json, sys
signed = json.loads(sys.stdin.read())
session = decode(signed["cookie"])
print(json.dumps({"person": session and session.person_id,
                  "link": list(read_unsubscribe_token(get_settings(), signed["link"]))}))
"""


def _run(code: str, data_dir: Path, given: str = "") -> str:
    env = {k: v for k, v in os.environ.items() if k != "IOTMATCH_SESSION_SECRET"}
    env.update(IOTMATCH_DATA_DIR=str(data_dir), PYTHONPATH=str(ROOT))
    done = subprocess.run([sys.executable, "-c", code], input=given, capture_output=True, text=True, env=env,
                          cwd=ROOT, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_without_a_configured_secret_processes_sharing_the_data_folder_accept_each_others_signatures(
        tmp_path: Path) -> None:
    data_dir = tmp_path / "var"
    signed = _run(SIGN, data_dir)
    checked = json.loads(_run(CHECK, data_dir, signed))

    assert checked == {"person": 7, "link": [3, "hanako@example.jp"]}
    key = data_dir / "secret.key"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert [p.name for p in data_dir.iterdir()] == ["secret.key"]  # no temporary file left behind


def test_another_data_folder_refuses_them(tmp_path: Path) -> None:
    signed = _run(SIGN, tmp_path / "one" / "var")
    done = subprocess.run(
        [sys.executable, "-c", CHECK], input=signed, capture_output=True, text=True, check=False, timeout=120,
        env={**{k: v for k, v in os.environ.items() if k != "IOTMATCH_SESSION_SECRET"},
             "IOTMATCH_DATA_DIR": str(tmp_path / "two" / "var"), "PYTHONPATH": str(ROOT)}, cwd=tmp_path)
    assert done.returncode != 0
    assert "NotFound" in done.stderr
