"""The API's small community with a matching engine, a real SMTP server and the outbox's worker.

The community existed before anyone subscribed: the checks its import left are dropped, so each test sees only
the alerts of what it changes. The server's own alert thread is off (alert_poll_seconds=0) except where a test
turns it on; the tests run the passes themselves, so they know when they are done.

One engine serves every test of a database: it syncs with the emptied and refilled tables like a server whose
roster changed, and its concept phrasings (the slow part of a first sync) are embedded once.

Scores are standardized over the collection, so four members score lower than the real roster: the thresholds
here sit where this community's clear answers are (seeds about machine monitoring score 2.6 to 4.4 for the
monitoring need, unrelated ones below 2; a search's own subject about 1, others below 0.3).
"""

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete
from sqlalchemy.orm import Session, sessionmaker

from app.alerts import service
from app.alerts.models import AlertCheck
from app.config import Settings
from app.db import make_engine, make_session_factory, session_scope
from app.main import create_app
from app.matches.engine import MatchingEngine
from app.notifications.worker import Worker
from embeddings.encoder import SentenceTransformerEncoder
from matching.vocabulary import Vocabulary, load_vocabulary
from seed import VOCABULARY
from tests.api.conftest import World, make_world
from tests.mail import Mailbox


@pytest.fixture(scope="session")
def vocabulary() -> Vocabulary:
    """The shipped domain vocabulary, loaded once."""
    return load_vocabulary(VOCABULARY)


@dataclass
class Alerts:
    """The app, its engine and database, and the two workers a test drives by hand."""

    client: TestClient
    world: World
    engine: MatchingEngine
    settings: Settings
    factory: sessionmaker[Session]

    def process(self, engine: MatchingEngine | None = None) -> int:
        """Rank every pending check, as the server's alert thread does."""
        done = 0
        while True:
            with session_scope(self.factory) as session:
                batch = service.process_checks(session, engine or self.engine, self.settings)
            done += batch
            if batch == 0:
                return done

    def deliver(self) -> int:
        """Send what the outbox holds, as the outbox worker does (its periodic jobs left out: the digest test
        says when the day's digest is due)."""
        worker, sent = Worker(self.factory, self.settings), 0
        while True:
            claim_id, ids = worker.claim()
            if not ids:
                return sent
            sent += worker.deliver(claim_id, ids)

    def post(self, path: str, role: str, body: dict[str, Any], status: int = 201) -> dict[str, Any]:
        """A request with the role's key that must answer `status`."""
        response = self.client.post(path, json=body, headers=self.world.headers(role))
        assert response.status_code == status, response.text
        return response.json() if response.content else {}

    def patch(self, path: str, role: str, body: dict[str, Any]) -> dict[str, Any]:
        response = self.client.patch(path, json=body, headers=self.world.headers(role))
        assert response.status_code == 200, response.text
        result: dict[str, Any] = response.json()
        return result

    def get(self, path: str, role: str, **params: Any) -> Any:
        response = self.client.get(path, params=params, headers=self.world.headers(role))
        assert response.status_code == 200, response.text
        return response.json()


def alert_settings(database_url: str, tmp_path: Path, **overrides: Any) -> Settings:
    """Settings on the test database (SMTP from the smtp_server fixture's environment), alert thread off."""
    values: dict[str, Any] = {"database_url": database_url, "data_dir": tmp_path / "var", "rate_limit_per_minute": 0,
                              "auth_failures_per_minute": 0, "anonymous_searches_per_minute": 0,
                              "alert_poll_seconds": 0, "worker": "off", "public_url": "https://match.example.jp",
                              "alert_min_score": 2.5, "alert_min_search_score": 0.6}
    return Settings(**(values | overrides))


@pytest.fixture(scope="session")
def shared_engine(database_url: str, tmp_path_factory: pytest.TempPathFactory, encoder: SentenceTransformerEncoder,
                  vocabulary: Vocabulary) -> MatchingEngine:
    """The matching engine of the database's tests."""
    return MatchingEngine(alert_settings(database_url, tmp_path_factory.mktemp("alerts")), encoder, vocabulary)


@pytest.fixture
def alerts(database_url: str, tmp_path: Path, session: Session, smtp_server: Mailbox,
           shared_engine: MatchingEngine) -> Iterator[Alerts]:
    """The community, the app with the shared engine, and no alert pending."""
    world = make_world(session)
    session.execute(delete(AlertCheck))
    session.commit()
    settings = alert_settings(database_url, tmp_path)
    engine = shared_engine
    db = make_engine(database_url)
    try:
        with TestClient(create_app(settings, engine)) as client:
            yield Alerts(client, world, engine, settings, make_session_factory(db))
    finally:
        db.dispose()
