"""introductions: introductions asked for between members

Revision ID: 0014_introductions
Revises: 0013_accounts
Create Date: 2026-12-07 09:02:00
"""

from collections.abc import Sequence

revision: str = "0014_introductions"
down_revision: str | None = "0013_accounts"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
