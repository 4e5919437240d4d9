"""event schedule settings (minimum value, slot plan), locked meetings and removed pairs

Revision ID: 0006_event_schedule_edits
Revises: 0005_events
Create Date: 2026-12-06 21:59:58.478716
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_event_schedule_edits"
down_revision: str | None = "0005_events"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Existing events get the default minimum value of new events (app.events.service.DEFAULT_MIN_VALUE when
# this revision was written); it applies from their next scheduling run.
MIN_VALUE = "4.0"


def upgrade() -> None:
    op.create_table(
        "event_removed_pairs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("a_org_id", sa.Integer(), nullable=False),
        sa.Column("b_org_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["a_org_id"], ["organizations.id"], name=op.f("fk_event_removed_pairs_a_org_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["b_org_id"], ["organizations.id"], name=op.f("fk_event_removed_pairs_b_org_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["event_id"], ["events.id"], name=op.f("fk_event_removed_pairs_event_id_events"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_event_removed_pairs")),
        sa.UniqueConstraint("event_id", "a_org_id", "b_org_id", name="uq_event_removed_pairs_event_id_a_org_id"),
    )
    with op.batch_alter_table("event_removed_pairs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_event_removed_pairs_event_id"), ["event_id"], unique=False)

    with op.batch_alter_table("event_meetings", schema=None) as batch_op:
        batch_op.add_column(sa.Column("locked", sa.Boolean(), nullable=False, server_default=sa.false()))

    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("min_value", sa.Float(), nullable=False, server_default=sa.text(MIN_VALUE)))
        batch_op.add_column(sa.Column("slot_plan", sa.JSON(), nullable=True))
        batch_op.create_check_constraint(op.f("ck_events_min_value"), "min_value >= 0")

    # The defaults filled the existing rows; new rows get theirs from the application, like the other columns.
    with op.batch_alter_table("event_meetings", schema=None) as batch_op:
        batch_op.alter_column("locked", server_default=None)
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.alter_column("min_value", server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_events_min_value"), type_="check")
        batch_op.drop_column("slot_plan")
        batch_op.drop_column("min_value")

    with op.batch_alter_table("event_meetings", schema=None) as batch_op:
        batch_op.drop_column("locked")

    with op.batch_alter_table("event_removed_pairs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_event_removed_pairs_event_id"))

    op.drop_table("event_removed_pairs")
