"""seeds: the prefectures where the offer is available

Revision ID: 0011_service_area
Revises: 0010_event_registration
Create Date: 2026-12-06 22:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011_service_area"
down_revision: str | None = "0010_event_registration"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Null or empty: available anywhere (exchange format v1 since 2026-12).
    with op.batch_alter_table("seeds") as batch:
        batch.add_column(sa.Column("service_area", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("seeds") as batch:
        batch.drop_column("service_area")
