"""A real `iotmatch serve` with the matching engine under 20 concurrent members: 1,000 creates, edits,
deletes, matches and searches, then every acknowledged write looked up again (bench/soak.py, whose own run
makes 2,000). The crash this guards against struck within the first 250 creates."""

from pathlib import Path

import pytest

from bench import soak
from tests.conftest import BACKENDS, new_database

OPERATIONS = 1000


@pytest.mark.soak
@pytest.mark.parametrize("backend", BACKENDS)
def test_concurrent_writes_and_matches_against_a_real_server(backend: str, tmp_path: Path) -> None:
    url, drop = new_database(backend, tmp_path)
    try:
        report = soak.run(url, tmp_path, operations=OPERATIONS, clients=20)
    finally:
        drop()
    log = (tmp_path / "server.log").read_text(errors="replace")[-4000:]
    assert not report["crashed"], log
    assert report["server_errors"] == 0, (report["statuses"], log)
    assert report["connection_errors"] == 0, report
    assert report["lost_writes"] == [], report["lost_writes"][:20]
    assert report["postings_checked"] > 0.3 * OPERATIONS  # creates are 45 % of the mix
