"""alerts: alert subscriptions and notifications

Revision ID: 0015_alerts
Revises: 0014_introductions
Create Date: 2026-12-07 09:03:00
"""

from collections.abc import Sequence

revision: str = "0015_alerts"
down_revision: str | None = "0014_introductions"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
