"""The shipped community data (labs, demo members, support programs), loaded into a new database once.

`make run` seeds on every start, so the seed must never undo what happened since: a lab's allowed origins the
secretariat set, a member's own changes, the needs it posted, the records someone deleted. Each part is
therefore loaded only into an empty table, and a row in seed_loads remembers that it was done, so a part is
never loaded again, not even after its table was emptied. A database whose roster came from elsewhere (an
import, the API) keeps it as it is: the demo members are not added to real ones.
"""

import json
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.alerts import changes as alert_changes
from app.labs import service as lab_service
from app.labs.models import Lab
from app.programs import service as program_service
from app.programs.models import ProgramRecord
from app.roster.exchange import import_roster
from app.roster.models import Organization
from app.seeding.models import SeedLoad

PARTS = ("labs", "members", "programs")
TABLES: dict[str, Any] = {"labs": Lab, "members": Organization, "programs": ProgramRecord}


@dataclass
class SeedReport:
    """What one run did: records loaded per part, and the parts left alone because their table had data."""

    loaded: dict[str, str] = field(default_factory=dict)
    kept: dict[str, int] = field(default_factory=dict)


def _load(db_session: Session, part: str) -> str:
    """Load one part into its empty table; returns what was loaded, in words."""
    from seed import DEMO_ROSTER, LABS

    if part == "labs":
        count = lab_service.upsert_labs(db_session=db_session,
                                        labs_in=json.loads(LABS.read_text(encoding="utf-8"))["labs"])
        return f"{count} labs"
    if part == "members":
        with alert_changes.quiet(db_session):  # the demo members are nobody's news: no alerts for them
            report = import_roster(db_session, json.loads(DEMO_ROSTER.read_text(encoding="utf-8")))
        created = report.created
        return f"{created['organizations']} members, {created['needs']} needs, {created['seeds']} seeds"
    return f"{program_service.ensure_catalog(db_session=db_session)} support programs"


def load_shipped_data(*, db_session: Session) -> SeedReport:
    """Load each part the seed has not dealt with yet into its table, if that table is empty."""
    report = SeedReport()
    done = set(db_session.scalars(select(SeedLoad.part)))
    for part in PARTS:
        if part in done:
            continue
        existing = db_session.scalar(select(func.count()).select_from(TABLES[part])) or 0
        if existing:
            report.kept[part] = existing
            db_session.add(SeedLoad(part=part, records=0))
        else:
            report.loaded[part] = _load(db_session, part)
            db_session.add(SeedLoad(part=part, records=db_session.scalar(
                select(func.count()).select_from(TABLES[part])) or 0))
    db_session.flush()
    return report
