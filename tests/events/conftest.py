"""Event fixtures: members from the shipped demo roster, and helpers to build events and candidate pairs."""

import copy
import json
from datetime import date, time
from typing import Any

import pytest
from sqlalchemy.orm import Session

from app.events import planning
from app.events import service as event_service
from app.events.models import Event
from app.events.scoring import PairScore
from app.roster.exchange import import_roster
from seed import DEMO_ROSTER

EVENT_DAY = date(2026, 12, 10)


def demo_roster(ids: list[str] | None = None) -> dict[str, Any]:
    """The demo roster, or only the listed members."""
    roster = json.loads(DEMO_ROSTER.read_text(encoding="utf-8"))
    if ids is not None:
        roster["organizations"] = [o for o in roster["organizations"] if o["id"] in ids]
    return copy.deepcopy(roster)


def org(n: int) -> str:
    return f"ORG-{n:04d}"


@pytest.fixture
def members(session: Session) -> list[str]:
    """Twelve demo members in the database."""
    ids = [org(n) for n in range(1, 13)]
    import_roster(session, demo_roster(ids))
    session.flush()
    return ids


def make_event(session: Session, *, slots: int = 3, tables: int = 10, max_meetings: int = 6,
               day: date = EVENT_DAY, code: str | None = None, min_value: float = 0.0) -> Event:
    """An event of back-to-back 20-minute slots from 13:00 with a 30-minute break after the first. The hand-made
    pair values of these tests are small, so no minimum value unless asked for."""
    specs = event_service.plan_slots(start=time(13, 0), count=slots, minutes=20,
                                     breaks={1: 30} if slots > 1 else None)
    return event_service.create_event(db_session=session, name="商談会", date=day, venue="福岡", tables=tables,
                                      slots=specs, default_max_meetings=max_meetings, code=code,
                                      min_value=min_value)


def with_candidates(session: Session, event: Event, values: dict[tuple[str, str], float]) -> None:
    """Store hand-made pair values, as the matching engine would."""
    scores = [PairScore(min(pair), max(pair), value) for pair, value in values.items()]
    planning.store_candidates(db_session=session, event=event, scores=scores)
