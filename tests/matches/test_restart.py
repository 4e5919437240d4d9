"""A real `iotmatch serve` saves its index when it stops, if the index changed, so a restart after members
posted loads the snapshot instead of rebuilding every index from the database; a server with several workers
loads it once and forks them, and they share the snapshot's mapped vectors rather than each reading a copy."""

import os
import signal
import time
from pathlib import Path

import httpx

from bench import soak
from tests.conftest import new_database

TITLE = "斜面の草刈りロボット"
TEXT = "みかん畑の斜面を自動で走る小型の草刈りロボットで、高齢の農家の作業を減らします"


def test_a_restart_after_a_change_loads_the_snapshot_saved_when_the_server_stopped(tmp_path: Path) -> None:
    url, drop = new_database("sqlite", tmp_path)
    env = {**os.environ, "IOTMATCH_DATABASE_URL": url, "IOTMATCH_DATA_DIR": str(tmp_path / "var"),
           "IOTMATCH_LOG_LEVEL": "info", "IOTMATCH_ALERT_POLL_SECONDS": "0",
           "IOTMATCH_HNSW_THRESHOLD": "20"}  # seeds in HNSW, which is mapped (exact indexes are read)
    try:
        _, keys = soak.prepare(url, env, members=1)
        headers = {"Authorization": f"Bearer {next(iter(keys.values()))}"}
        port = soak.free_port()
        first, second = tmp_path / "first.log", tmp_path / "second.log"
        with soak.running_server(env, port, first), \
                httpx.Client(base_url=f"http://127.0.0.1:{port}", headers=headers, timeout=30) as client:
            post = client.post("/v1/seeds", json={"title": TITLE, "description": TEXT})
            assert post.status_code == 201, post.text
        assert "saved the index snapshot" in first.read_text()

        base = f"http://127.0.0.1:{port}"
        with soak.running_server(env, port, second, workers=2) as server:
            with httpx.Client(base_url=base, headers=headers, timeout=30) as client:
                assert client.get("/v1/search", params={"q": TEXT}).json()["matches"][0]["title"] == TITLE
            snapshot = (tmp_path / "var" / "index").resolve()
            mapping = [pid for pid in _children(server.pid)
                       if any(Path(f).parent.parent == snapshot and f.endswith(".faiss") for f in _mapped_files(pid))]
            assert len(mapping) == 2  # both workers read the vectors from the snapshot's pages
            os.kill(mapping[0], signal.SIGKILL)  # a worker that dies is replaced, forked from the server again
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and (mapping[0] in _children(server.pid)
                                                   or len(_children(server.pid)) < 2):
                time.sleep(0.1)
            assert mapping[0] not in _children(server.pid)
            assert len(_children(server.pid)) == 2
            for _ in range(4):  # a connection each: whichever worker answers
                with httpx.Client(base_url=base, headers=headers, timeout=30) as client:
                    assert client.get("/v1/search", params={"q": TEXT}).json()["matches"][0]["title"] == TITLE
        log = second.read_text()
        assert "stopped with status" in log
        assert log.count("matching index: loaded snapshot") == 1, log  # once, by the server its workers fork from
        assert "saved the index snapshot" not in log  # nothing changed: nothing to save
    finally:
        drop()


def _children(pid: int) -> list[int]:
    return [int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


def _mapped_files(pid: int) -> set[str]:
    """The files a process maps into its memory."""
    lines = [line.split(maxsplit=5) for line in Path(f"/proc/{pid}/maps").read_text().splitlines()]
    return {fields[5] for fields in lines if len(fields) == 6}
