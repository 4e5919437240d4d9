"""events: registration_closes_at, the deadline for members to register on the web pages

Revision ID: 0010_event_registration
Revises: 0009_web_sessions
Create Date: 2026-12-06 22:55:00.000000

Null means registration is not open to members (the secretariat adds participants itself).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010_event_registration"
down_revision: str | None = "0009_web_sessions"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("registration_closes_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_column("registration_closes_at")
