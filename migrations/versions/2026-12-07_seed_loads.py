"""seed loads: the shipped data goes into a database once

Revision ID: 0008_seed_loads
Revises: 0007_id_counters
Create Date: 2026-12-07 10:05:12.000000

A database seeded before this revision has no rows here: the next `iotmatch seed` finds its tables filled,
loads nothing and records that.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008_seed_loads"
down_revision: str | None = "0007_id_counters"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "seed_loads",
        sa.Column("part", sa.String(length=32), nullable=False),
        sa.Column("records", sa.Integer(), nullable=False),
        sa.Column("loaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("part", name=op.f("pk_seed_loads")),
    )


def downgrade() -> None:
    op.drop_table("seed_loads")
