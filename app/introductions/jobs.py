"""The worker's periodic job for introductions: remind the member asked of a request left unanswered.

A request unanswered for IOTMATCH_INTRODUCTION_NUDGE_DAYS days gets a reminder, and again after each further
period while it stays unanswered. Each reminder's idempotency key names the request and its number, so workers
running the job at the same moment queue it once.
"""

from sqlalchemy.orm import Session, sessionmaker

from app.config import get_settings
from app.db import session_scope
from app.introductions import service as introduction_service
from app.notifications.worker import register_job

EVERY_SECONDS = 600.0


def nudge_unanswered(session_factory: sessionmaker[Session]) -> int:
    """Queue the reminders that are due; returns how many."""
    with session_scope(session_factory) as session:
        return introduction_service.nudge_unanswered(db_session=session, days=get_settings().introduction_nudge_days)


register_job("introductions.nudge_unanswered", nudge_unanswered, every=EVERY_SECONDS)
