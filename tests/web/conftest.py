"""A seeded community and one matching engine for the web tests; a live server and Chromium for the browser ones."""

import json
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from fastapi import FastAPI

from app import migrate
from app.alerts import changes as alert_changes
from app.auth import service as auth_service
from app.config import Settings
from app.db import make_engine, make_session_factory, session_scope
from app.labs import service as lab_service
from app.main import create_app
from app.matches.engine import MatchingEngine
from app.roster.exchange import import_roster
from embeddings.encoder import SentenceTransformerEncoder
from matching.vocabulary import load_vocabulary
from seed import DEMO_ROSTER, LABS, VOCABULARY
from tests.conftest import BACKENDS, new_database

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
# The member whose need the browser story follows (a poultry farm in Kagoshima) and another member.
MEMBER = "ORG-0064"
OTHER_MEMBER = "ORG-0002"


@dataclass
class Community:
    """The seeded database, its keys and an app serving it."""

    url: str
    settings: Settings
    keys: dict[str, str]
    app: FastAPI


def seed_community(url: str) -> dict[str, str]:
    """The `iotmatch seed` data (labs and demo members) plus one key per kind of visitor; returns the tokens."""
    migrate.upgrade(url)
    engine = make_engine(url)
    try:
        with session_scope(make_session_factory(engine)) as session:
            lab_service.upsert_labs(db_session=session, labs_in=json.loads(LABS.read_text(encoding="utf-8"))["labs"])
            with alert_changes.quiet(session):  # as `iotmatch seed`: the demo members are nobody's news
                import_roster(session, json.loads(DEMO_ROSTER.read_text(encoding="utf-8")))
            keys = {
                "secretariat": auth_service.create_key(db_session=session, role="secretariat")[1],
                "member": auth_service.create_key(db_session=session, role="member", organization=MEMBER)[1],
                "other": auth_service.create_key(db_session=session, role="member", organization=OTHER_MEMBER)[1],
                "lab": auth_service.create_key(db_session=session, role="lab", lab="lab-kagoshima-pref")[1],
            }
    finally:
        engine.dispose()
    return keys


def _community(url: str, data_dir: Path, encoder: SentenceTransformerEncoder, **overrides: Any) -> Community:
    keys = seed_community(url)
    # No per-address limits: every test's requests come from the same address (tests/web/test_limits.py sets them).
    settings = Settings(database_url=url, data_dir=data_dir, auth_failures_per_minute=0,
                        anonymous_searches_per_minute=0, **overrides)
    matching = MatchingEngine(settings, encoder, load_vocabulary(VOCABULARY))
    engine = make_engine(url)
    try:
        with session_scope(make_session_factory(engine)) as session:
            matching.rebuild(session)
    finally:
        engine.dispose()
    return Community(url, settings, keys, create_app(settings, matching=matching))


@pytest.fixture(scope="module", params=BACKENDS)
def community(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
              encoder: SentenceTransformerEncoder) -> Iterator[Community]:
    """The seeded community on each backend, with an app whose engine is built once for the module."""
    folder = tmp_path_factory.mktemp("web")
    url, drop = new_database(request.param, folder)
    yield _community(url, folder / "var", encoder)
    drop()


@pytest.fixture(scope="module")
def sqlite_community(tmp_path_factory: pytest.TempPathFactory,
                     encoder: SentenceTransformerEncoder) -> Community:
    """The seeded community on SQLite, for the browser."""
    folder = tmp_path_factory.mktemp("web")
    return _community(f"sqlite:///{folder / 'web.db'}", folder / "var", encoder)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def live_server(sqlite_community: Community) -> Iterator[str]:
    """The app served by uvicorn on a free local port, in a background thread; yields its base URL."""
    yield from serve(sqlite_community.app, _free_port())


def serve(app: FastAPI, port: int) -> Iterator[str]:
    """Serve the app with uvicorn on the local port in a background thread; yields its base URL until closed."""
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser(live_server: str) -> Iterator[object]:
    """Debian's Chromium, headless, driven by Playwright; the tests skip only where it is not installed."""
    if not CHROMIUM.exists() and shutil.which("chromium") is None:
        pytest.skip("Chromium is not installed (apt-get install chromium); CI installs it")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


EVENT_MEMBERS = ["ORG-0064", "ORG-0022", "ORG-0033", "ORG-0036"]  # a poultry farm and livestock-sensing vendors


def schedule_event(community: Community) -> str:
    """A matching event with four participants, scheduled from the engine's scores; returns its code."""
    from datetime import date, time

    from app.events import planning
    from app.events import service as event_service
    from app.events.scoring import pair_scores

    engine = make_engine(community.url)
    try:
        with session_scope(make_session_factory(engine)) as session:
            event = event_service.create_event(
                db_session=session, name="九州IoTビジネスマッチング会", date=date(2027, 2, 10), venue="鹿児島市",
                tables=2, slots=event_service.plan_slots(start=time(13, 0), count=3, minutes=20, breaks={2: 10}))
            for org in EVENT_MEMBERS:
                event_service.add_participant(db_session=session, event=event, organization=org)
            planning.store_candidates(db_session=session, event=event,
                                      scores=pair_scores(community.app.state.matching, EVENT_MEMBERS))
            planning.run_schedule(db_session=session, event=event, time_limit_s=2.0)
            return event.code
    finally:
        engine.dispose()
