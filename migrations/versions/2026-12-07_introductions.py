"""introductions: introductions asked for between members

Revision ID: 0014_introductions
Revises: 0013_accounts
Create Date: 2026-12-07 09:02:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014_introductions"
down_revision: str | None = "0013_accounts"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STATES = "'requested', 'accepted', 'declined', 'withdrawn', 'brokered'"
KINDS = f"{STATES}, 'note', 'nudged', 'contacted', 'met', 'deal'"
OPEN = sa.text("state = 'requested'")


def upgrade() -> None:
    op.create_table(
        "introductions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("need_id", sa.Integer(), nullable=False),
        sa.Column("seed_id", sa.Integer(), nullable=False),
        sa.Column("asker_id", sa.Integer(), nullable=False),
        sa.Column("recipient_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("reply", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_nudged_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(f"state IN ({STATES})", name=op.f("ck_introductions_state")),
        sa.ForeignKeyConstraint(["need_id"], ["needs.id"], name=op.f("fk_introductions_need_id_needs"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["seed_id"], ["seeds.id"], name=op.f("fk_introductions_seed_id_seeds"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["asker_id"], ["organizations.id"],
                                name=op.f("fk_introductions_asker_id_organizations"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["recipient_id"], ["organizations.id"],
                                name=op.f("fk_introductions_recipient_id_organizations"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_introductions")),
    )
    with op.batch_alter_table("introductions", schema=None) as batch_op:
        for column in ("need_id", "seed_id", "asker_id", "recipient_id", "state", "created_at"):
            batch_op.create_index(batch_op.f(f"ix_introductions_{column}"), [column], unique=False)
        batch_op.create_index("uq_introductions_open_pair", ["need_id", "seed_id"], unique=True,
                              sqlite_where=OPEN, postgresql_where=OPEN)
    op.create_table(
        "introduction_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("introduction_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=True),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(f"kind IN ({KINDS})", name=op.f("ck_introduction_events_kind")),
        sa.ForeignKeyConstraint(["introduction_id"], ["introductions.id"],
                                name=op.f("fk_introduction_events_introduction_id_introductions"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["organization_id"], ["organizations.id"],
                                name=op.f("fk_introduction_events_organization_id_organizations"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_introduction_events")),
    )
    with op.batch_alter_table("introduction_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_introduction_events_introduction_id"), ["introduction_id"],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table("introduction_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_introduction_events_introduction_id"))
    op.drop_table("introduction_events")
    with op.batch_alter_table("introductions", schema=None) as batch_op:
        batch_op.drop_index("uq_introductions_open_pair")
        for column in ("created_at", "state", "recipient_id", "asker_id", "seed_id", "need_id"):
            batch_op.drop_index(batch_op.f(f"ix_introductions_{column}"))
    op.drop_table("introductions")
