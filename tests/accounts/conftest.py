"""The API tests' small community behind the pages, with a real SMTP server that the service's worker sends to.

Links are read from the mails as they arrived at the server, as a member would open them.
"""

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.config import Settings
from app.main import create_app
from tests.api.conftest import CONTACT_A, CONTACT_B, World, make_world
from tests.mail import Mailbox

BASE = "http://testserver"
HANAKO = CONTACT_A["email"]  # the roster contact of ORG-A
ICHIRO = CONTACT_B["email"]  # the roster contact of ORG-B
STRANGER = "nobody@unknown.example.jp"
RESPONSE_SECONDS = 0.3


@pytest.fixture
def accounts_settings(database_url: str, tmp_path: Path, smtp_server: Mailbox) -> Settings:
    """Settings on the test database, mailing to the test SMTP server, with no per-address limits unless a test
    sets them (every request of a test comes from one address)."""
    return Settings(database_url=database_url, data_dir=tmp_path / "var", public_url=BASE,
                    smtp_host=smtp_server.host, smtp_port=smtp_server.port, worker="inline", worker_poll_seconds=0.1,
                    rate_limit_per_minute=0, auth_failures_per_minute=0, anonymous_searches_per_minute=0,
                    sign_in_links_per_minute=0, sign_in_requests_per_minute=0,
                    sign_in_response_seconds=RESPONSE_SECONDS)


@pytest.fixture
def world(session: Session) -> World:
    """Four members (ORG-A and ORG-B with a roster contact), two labs, a key per role."""
    return make_world(session)


@pytest.fixture
def app_client(accounts_settings: Settings, world: World) -> Iterator[TestClient]:
    """The app (pages, no matching engine) with its mail worker running."""
    with TestClient(create_app(accounts_settings, load_matching=False), base_url=BASE) as client:
        yield client
