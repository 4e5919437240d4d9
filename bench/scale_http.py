"""The national-scale roster over HTTP: a real `iotmatch serve` on the folder `bench.scale` prepared. Time from
process start to /readyz, memory of each process, and with one worker the latency of sequential requests; with
several, the throughput of concurrent clients.

    python -m bench.scale_http --workdir DIR [--workers 2] [--clients 16] [--seconds 60] [--requests 300]

Prints JSON. The server runs with no rate limit and no alert pass, so the figures are of requests in a steady
state; the clients run in this process, on the same cores as the server.
"""

import argparse
import json
import os
import platform
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import select

from bench import soak
from bench.latency import percentiles, sequential_requests


def memory_mb(pid: int) -> dict[str, int]:
    """A process's resident memory: in all, its own (anonymous), mapped from files, and its proportional share
    (pages shared with other processes counted in part)."""
    status = Path(f"/proc/{pid}/status").read_text()
    rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()

    def kb(text: str, key: str) -> int:
        return int(text.split(f"{key}:")[1].split()[0])

    return {"rss_mb": kb(status, "VmRSS") // 1024, "anonymous_mb": kb(status, "RssAnon") // 1024,
            "file_mb": kb(status, "RssFile") // 1024, "pss_mb": kb(rollup, "Pss") // 1024}


def server_memory(server: int, workers: int) -> dict[str, Any]:
    """Memory of the server's processes: with one worker, the server itself; with several, the server (which
    loaded the engine and forked them) and each worker, and the proportional shares of all of them added up (what
    the server costs the machine: pages shared between the processes counted once)."""
    if workers == 1:
        return {"worker": memory_mb(server)}
    children = [int(pid) for pid in Path(f"/proc/{server}/task/{server}/children").read_text().split()]
    own, forked = memory_mb(server), [memory_mb(pid) for pid in children]
    return {"server": own, "workers": forked, "total_pss_mb": own["pss_mb"] + sum(w["pss_mb"] for w in forked)}


def concurrent(base: str, token: str, needs: list[str], clients: int, seconds: float) -> dict[str, Any]:
    """Match requests from `clients` threads, each one after another, for `seconds`."""
    samples: list[float] = []
    statuses: Counter[str] = Counter()
    lock = threading.Lock()
    stop = time.monotonic() + seconds

    def client_loop(offset: int) -> None:
        with httpx.Client(base_url=base, timeout=30, headers={"Authorization": f"Bearer {token}"}) as client:
            i = offset
            while time.monotonic() < stop:
                began = time.perf_counter()
                try:
                    status = str(client.get(f"/v1/needs/{needs[i % len(needs)]}/matches").status_code)
                except httpx.HTTPError as exc:
                    status = type(exc).__name__
                with lock:
                    samples.append(time.perf_counter() - began)
                    statuses[status] += 1
                i += clients

    threads = [threading.Thread(target=client_loop, args=(k,)) for k in range(clients)]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    return {"clients": clients, "seconds": round(elapsed, 1), "requests_per_s": round(len(samples) / elapsed, 1),
            "latency": percentiles(samples), "statuses": dict(statuses)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", type=Path, required=True)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--requests", type=int, default=300)
    args = parser.parse_args()
    url = f"sqlite:///{args.workdir / 'db.sqlite'}"
    env = os.environ | {"HF_HUB_OFFLINE": "1", "IOTMATCH_DATABASE_URL": url,
                        "IOTMATCH_DATA_DIR": str(args.workdir / "var"), "IOTMATCH_RATE_LIMIT_PER_MINUTE": "0",
                        "IOTMATCH_ALERT_POLL_SECONDS": "0", "IOTMATCH_LOG_LEVEL": "info"}
    os.environ.update(env)

    from app.auth import service as auth_service
    from app.db import make_engine, make_session_factory, session_scope
    from app.roster.models import Need

    factory = make_session_factory(make_engine(url))
    with session_scope(factory) as session:
        needs = list(session.scalars(select(Need.external_id).order_by(Need.external_id)))
        _, token = auth_service.create_key(db_session=session, role="secretariat", name="scale bench")
    port = soak.free_port()
    base = f"http://127.0.0.1:{port}"
    began = time.perf_counter()
    with soak.running_server(env, port, args.workdir / "serve.log", workers=args.workers) as server:
        ready_s = time.perf_counter() - began
        report: dict[str, Any] = {
            "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
            "workers": args.workers, "needs": len(needs), "ready_s": round(ready_s, 1),
            "memory_after_start": server_memory(server.pid, args.workers)}
        with httpx.Client(base_url=base, timeout=30, headers={"Authorization": f"Bearer {token}"}) as client:
            first = time.perf_counter()
            client.get(f"/v1/needs/{needs[-1]}/matches").raise_for_status()
            report["first_match_ms"] = round((time.perf_counter() - first) * 1000, 1)
        if args.workers == 1:
            with httpx.Client(base_url=base, timeout=30, headers={"Authorization": f"Bearer {token}"}) as client:
                report["sequential"] = sequential_requests(client, needs, args.requests)
        else:
            report["concurrent_match"] = concurrent(base, token, needs, args.clients, args.seconds)
        report["memory_after_requests"] = server_memory(server.pid, args.workers)
    print(json.dumps(report, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
