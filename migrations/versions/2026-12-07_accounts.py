"""accounts: people who sign in by e-mail, and their sign-in links

Revision ID: 0013_accounts
Revises: 0012_outbox
Create Date: 2026-12-07 09:01:00
"""

from collections.abc import Sequence

revision: str = "0013_accounts"
down_revision: str | None = "0012_outbox"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
