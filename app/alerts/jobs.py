"""The daily digest, a periodic job of the outbox worker (inline in the server or `iotmatch worker`): it needs no
matching engine, only the alerts waiting for it."""

from sqlalchemy.orm import Session, sessionmaker

from app.alerts import service
from app.config import get_settings
from app.db import session_scope
from app.notifications.worker import register_job

DIGEST_EVERY_SECONDS = 300


def send_digests(session_factory: sessionmaker[Session]) -> int:
    """Queue the digests that are due (safe to repeat: one per member, address and day)."""
    with session_scope(session_factory) as session:
        return service.send_digests(session, get_settings())


register_job("alerts.daily_digest", send_digests, every=DIGEST_EVERY_SECONDS)
