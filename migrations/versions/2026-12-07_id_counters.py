"""id counters: numbered member, need and seed ids are never handed out twice

Revision ID: 0007_id_counters
Revises: 0006_event_schedule_edits
Create Date: 2026-12-07 09:12:40.000000

The counters start at the highest number any record names: the members, needs and seeds that exist, and the
ids that outlive their records in the events' meeting and candidate details and schedule reports. Feedback
points at needs and seeds by row and goes with them, so its ids are among the tables'.
"""

import re
from collections.abc import Iterator, Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0007_id_counters"
down_revision: str | None = "0006_event_schedule_edits"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NUMBERED = re.compile(r"^(ORG|N|S)-(\d{1,9})$")
PREFIXES = ("ORG", "N", "S")


def _strings(value: Any) -> Iterator[str]:
    """Every string in a JSON value."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def _used_ids(connection: sa.Connection) -> Iterator[str]:
    for table in ("organizations", "needs", "seeds"):
        yield from connection.scalars(sa.select(sa.column("external_id")).select_from(sa.table(table)))
    for table, column in (("event_meetings", "detail"), ("event_candidates", "detail"),
                          ("events", "schedule_report")):
        for value in connection.scalars(sa.select(sa.column(column, sa.JSON)).select_from(sa.table(table))):
            yield from _strings(value)


def upgrade() -> None:
    counters = op.create_table(
        "id_counters",
        sa.Column("prefix", sa.String(length=16), nullable=False),
        sa.Column("last", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("prefix", name=op.f("pk_id_counters")),
    )
    highest = dict.fromkeys(PREFIXES, 0)
    for external_id in _used_ids(op.get_bind()):
        match = NUMBERED.match(external_id)
        if match:
            highest[match.group(1)] = max(highest[match.group(1)], int(match.group(2)))
    op.bulk_insert(counters, [{"prefix": prefix, "last": last} for prefix, last in highest.items()])


def downgrade() -> None:
    op.drop_table("id_counters")
