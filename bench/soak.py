"""Soak test of a real `iotmatch serve` process with the matching engine: concurrent members create, edit,
delete and match needs and seeds; afterwards every acknowledged write must be found as acknowledged.

    python -m bench.soak --database-url sqlite:///soak.db [--operations 2000] [--clients 20]

The database is migrated and loaded with the shipped seed data first, then one member key per client is
issued. The report (JSON) counts answers by status; a run passes with no server error, no lost
connection, no crash and no lost or resurrected write.
"""

import argparse
import json
import os
import random
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import select

from app.auth import service as auth_service
from app.db import make_engine, make_session_factory, session_scope
from app.roster.models import Organization

WORDS = ("工場の設備が夜間に止まる", "ハウスの温度を遠隔で見たい", "介護記録を音声で入力", "冷蔵庫の温度を常時記録",
         "配管の漏れを早く見つけたい", "検査員が足りない", "在庫の数が合わない", "Remote monitoring of pumps")
# Relative weights of the operations a client picks from.
MIX = {"create_need": 30, "create_seed": 15, "edit": 20, "delete": 10, "match": 15, "search": 10}


def free_port() -> int:
    """A TCP port nobody listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def cli(args: list[str], env: dict[str, str]) -> str:
    """Run an iotmatch command as a user would; its output, or an exception with it."""
    done = subprocess.run([sys.executable, "-m", "app.cli", *args], env=env, capture_output=True, text=True,
                          timeout=600, check=False)
    if done.returncode:
        raise RuntimeError(f"iotmatch {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


def prepare(database_url: str, env: dict[str, str], members: int) -> tuple[str, dict[str, str]]:
    """Migrate, load the seed data, and issue a secretariat key and one key per member used."""
    cli(["db", "upgrade"], env)
    cli(["seed"], env)
    factory = make_session_factory(make_engine(database_url))
    with session_scope(factory) as session:
        orgs = list(session.scalars(select(Organization.external_id).order_by(Organization.external_id)))
        _, secretariat = auth_service.create_key(db_session=session, role="secretariat", name="soak")
        keys = {org: auth_service.create_key(db_session=session, role="member", organization=org, name="soak")[1]
                for org in orgs[:members]}
    return secretariat, keys


@contextmanager
def running_server(env: dict[str, str], port: int, log: Path, *, workers: int = 1) -> Iterator[subprocess.Popen[bytes]]:
    """`iotmatch serve` on the port until /readyz says ready (and every worker has started); stopped afterwards."""
    with log.open("wb") as out:
        process = subprocess.Popen([sys.executable, "-m", "app.cli", "serve", "--port", str(port),
                                    "--workers", str(workers)], env=env, stdout=out, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 600
            while True:
                if process.poll() is not None:
                    raise RuntimeError(f"the server exited with {process.returncode}: see {log}")
                try:
                    ready = httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2).status_code == 200
                    # Several workers: each says so in the log (at log level info), as one /readyz answers for one.
                    started = workers == 1 or \
                        log.read_text(errors="replace").count("Application startup complete") >= workers
                    if ready and started:
                        break
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError("the server was not ready within 600 s")
                time.sleep(0.5)
            yield process
        finally:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()


@dataclass
class Ledger:
    """What the server acknowledged: each posting's last acknowledged state, or None once deleted."""

    postings: dict[tuple[str, str], dict[str, Any] | None] = field(default_factory=dict)
    statuses: Counter[str] = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def note(self, operation: str, status: int | str) -> None:
        with self.lock:
            self.statuses[f"{operation} {status}"] += 1

    def percentile_ms(self, share: float) -> float:
        ordered = sorted(self.seconds)
        return round(1000 * ordered[min(len(ordered) - 1, int(share * len(ordered)))], 1) if ordered else 0.0


class Member:
    """One client: a member key, its own postings, and a random stream of operations."""

    def __init__(self, base_url: str, org: str, key: str, ledger: Ledger, rng: random.Random) -> None:
        self.client = httpx.Client(base_url=base_url, headers={"Authorization": f"Bearer {key}"}, timeout=60)
        self.org, self.ledger, self.rng = org, ledger, rng
        self.mine: list[tuple[str, str]] = []

    def text(self) -> dict[str, str]:
        words = self.rng.sample(WORDS, 2)
        return {"title": f"{words[0]} {self.rng.randrange(10**6)}", "description": "、".join(words)}

    def step(self) -> None:
        operation = self.rng.choices(list(MIX), weights=list(MIX.values()))[0]
        if operation in ("edit", "delete", "match") and not self.mine:
            operation = "create_need"
        started = time.perf_counter()
        try:
            getattr(self, operation)()
            with self.ledger.lock:
                self.ledger.seconds.append(time.perf_counter() - started)
        except httpx.TransportError as exc:
            self.ledger.note(operation, "connection lost")
            self.ledger.errors.append(f"{operation}: {exc!r}")

    def _create(self, kind: str) -> None:
        body = self.text()
        response = self.client.post(f"/v1/{kind}s", json=body)
        self.ledger.note(f"create_{kind}", response.status_code)
        if response.status_code == 201:
            posting = (kind, response.json()["id"])
            self.mine.append(posting)
            with self.ledger.lock:
                self.ledger.postings[posting] = body

    def create_need(self) -> None:
        self._create("need")

    def create_seed(self) -> None:
        self._create("seed")

    def edit(self) -> None:
        kind, posting_id = self.rng.choice(self.mine)
        body = self.text()
        response = self.client.patch(f"/v1/{kind}s/{posting_id}", json=body)
        self.ledger.note("edit", response.status_code)
        if response.status_code == 200:
            with self.ledger.lock:
                self.ledger.postings[(kind, posting_id)] = body

    def delete(self) -> None:
        posting = self.rng.choice(self.mine)
        response = self.client.delete(f"/v1/{posting[0]}s/{posting[1]}")
        self.ledger.note("delete", response.status_code)
        if response.status_code == 204:
            self.mine.remove(posting)
            with self.ledger.lock:
                self.ledger.postings[posting] = None

    def match(self) -> None:
        kind, posting_id = self.rng.choice(self.mine)
        response = self.client.get(f"/v1/{kind}s/{posting_id}/matches", params={"limit": 5, "programs": "false"})
        self.ledger.note("match", response.status_code)

    def search(self) -> None:
        response = self.client.get("/v1/search", params={"q": self.rng.choice(WORDS), "limit": 5})
        self.ledger.note("search", response.status_code)


def drive(base_url: str, keys: dict[str, str], operations: int, clients: int, seed: int = 7) -> Ledger:
    """Send `operations` requests from `clients` threads, each a member; what was acknowledged."""
    ledger = Ledger()
    orgs = list(keys)
    members = [Member(base_url, orgs[i % len(orgs)], keys[orgs[i % len(orgs)]], ledger, random.Random(seed + i))
               for i in range(clients)]
    remaining = iter(range(operations))
    remaining_lock = threading.Lock()

    def work(member: Member) -> None:
        while True:
            with remaining_lock:
                if next(remaining, None) is None:
                    return
            member.step()

    threads = [threading.Thread(target=work, args=(m,)) for m in members]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return ledger


def audit(base_url: str, secretariat: str, ledger: Ledger) -> list[str]:
    """Acknowledged writes that the server no longer shows as acknowledged."""
    problems = []
    with httpx.Client(base_url=base_url, headers={"Authorization": f"Bearer {secretariat}"}, timeout=60) as client:
        for (kind, posting_id), body in ledger.postings.items():
            response = client.get(f"/v1/{kind}s/{posting_id}")
            if body is None:
                if response.status_code != 404:
                    problems.append(f"{kind} {posting_id}: deleted, but answered {response.status_code}")
            elif response.status_code != 200:
                problems.append(f"{kind} {posting_id}: acknowledged, but answered {response.status_code}")
            elif {k: response.json()[k] for k in body} != body:
                problems.append(f"{kind} {posting_id}: not as last acknowledged")
    return problems


def run(database_url: str, workdir: Path, *, operations: int = 2000, clients: int = 20) -> dict[str, Any]:
    """Prepare the database, serve it, drive it, audit it; the report."""
    env = {**os.environ, "IOTMATCH_DATABASE_URL": database_url, "IOTMATCH_DATA_DIR": str(workdir / "var"),
           "IOTMATCH_RATE_LIMIT_PER_MINUTE": "0", "IOTMATCH_LOG_LEVEL": "warning", "PYTHONFAULTHANDLER": "1"}
    secretariat, keys = prepare(database_url, env, members=clients)
    port = free_port()
    log = workdir / "server.log"
    with running_server(env, port, log) as process:
        base_url = f"http://127.0.0.1:{port}"
        started = time.monotonic()
        ledger = drive(base_url, keys, operations, clients)
        seconds = time.monotonic() - started
        crashed = process.poll() is not None
        lost = [] if crashed else audit(base_url, secretariat, ledger)
    server_errors = sum(n for status, n in ledger.statuses.items() if status.split()[-1].startswith("5"))
    return {
        "database": database_url.split(":", 1)[0], "operations": operations, "clients": clients,
        "seconds": round(seconds, 1), "requests_per_second": round(operations / seconds, 1),
        "latency_ms": {"p50": ledger.percentile_ms(0.5), "p99": ledger.percentile_ms(0.99)},
        "statuses": dict(sorted(ledger.statuses.items())), "server_errors": server_errors,
        "connection_errors": len(ledger.errors), "crashed": crashed, "postings_checked": len(ledger.postings),
        "lost_writes": lost, "passed": not (server_errors or ledger.errors or crashed or lost),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True, help="an empty database (SQLite file or PostgreSQL)")
    parser.add_argument("--workdir", type=Path, default=Path("var/soak"))
    parser.add_argument("--operations", type=int, default=2000)
    parser.add_argument("--clients", type=int, default=20)
    args = parser.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    report = run(args.database_url, args.workdir, operations=args.operations, clients=args.clients)
    print(json.dumps(report, ensure_ascii=False, indent=2))
    sys.exit(0 if report["passed"] else 1)


if __name__ == "__main__":
    main()
