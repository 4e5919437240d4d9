"""Tells the matching engine that members, needs or seeds changed in this process as soon as the change has
committed, so the next match request syncs without polling the database on every request."""

from app.commit_signals import CommitSignal
from app.roster.models import Need, Organization, Seed

ROSTER = CommitSignal("roster", (Organization, Need, Seed))


def version() -> int:
    """Grows with every committed transaction that touched a member, need or seed in this process."""
    return ROSTER.version()
