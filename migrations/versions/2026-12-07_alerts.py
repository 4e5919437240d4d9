"""alerts: alert subscriptions and notifications

Revision ID: 0015_alerts
Revises: 0014_introductions
Create Date: 2026-12-07 09:03:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015_alerts"
down_revision: str | None = "0014_introductions"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "alert_preferences",
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("email_mode", sa.String(length=16), nullable=False),
        sa.Column("needs_default", sa.Boolean(), nullable=False),
        sa.Column("seeds_enabled", sa.Boolean(), nullable=False),
        sa.Column("language", sa.String(length=2), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("email_mode IN ('immediate', 'digest', 'none')",
                           name=op.f("ck_alert_preferences_email_mode")),
        sa.ForeignKeyConstraint(["organization_id"], ["organizations.id"], ondelete="CASCADE",
                                name=op.f("fk_alert_preferences_organization_id_organizations")),
        sa.PrimaryKeyConstraint("organization_id", name=op.f("pk_alert_preferences")),
    )
    op.create_table(
        "alert_need_switches",
        sa.Column("need_id", sa.Integer(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["need_id"], ["needs.id"], ondelete="CASCADE",
                                name=op.f("fk_alert_need_switches_need_id_needs")),
        sa.PrimaryKeyConstraint("need_id", name=op.f("pk_alert_need_switches")),
    )
    op.create_table(
        "alert_saved_searches",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("q", sa.String(length=1000), nullable=False),
        sa.Column("target", sa.String(length=8), nullable=False),
        sa.Column("prefecture", sa.String(length=8), nullable=True),
        sa.Column("role", sa.String(length=32), nullable=True),
        sa.Column("industry", sa.String(length=1), nullable=True),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("target IN ('seeds', 'needs')", name=op.f("ck_alert_saved_searches_target")),
        sa.ForeignKeyConstraint(["organization_id"], ["organizations.id"], ondelete="CASCADE",
                                name=op.f("fk_alert_saved_searches_organization_id_organizations")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_saved_searches")),
    )
    op.create_index("ix_alert_saved_searches_organization_id", "alert_saved_searches", ["organization_id"])
    op.create_table(
        "alert_checks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("external_id", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("kind IN ('need', 'seed')", name=op.f("ck_alert_checks_kind")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_checks")),
    )
    op.create_table(
        "alert_notifications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("topic", sa.String(length=80), nullable=False),
        sa.Column("topic_title", sa.String(length=1000), nullable=False),
        sa.Column("match_kind", sa.String(length=8), nullable=False),
        sa.Column("match_id", sa.String(length=64), nullable=False),
        sa.Column("match_title", sa.String(length=300), nullable=False),
        sa.Column("partner_name", sa.String(length=200), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("reason_ja", sa.Text(), nullable=False),
        sa.Column("reason_en", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("digest_due", sa.Boolean(), nullable=False),
        sa.CheckConstraint("match_kind IN ('need', 'seed')", name=op.f("ck_alert_notifications_match_kind")),
        sa.ForeignKeyConstraint(["organization_id"], ["organizations.id"], ondelete="CASCADE",
                                name=op.f("fk_alert_notifications_organization_id_organizations")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_notifications")),
        sa.UniqueConstraint("topic", "match_id", name="uq_alert_notifications_topic_match"),
    )
    op.create_index("ix_alert_notifications_organization_id", "alert_notifications", ["organization_id"])
    op.create_index(op.f("ix_alert_notifications_digest_due"), "alert_notifications", ["digest_due"])
    op.create_table(
        "alert_opt_outs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("address", sa.String(length=320), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["organization_id"], ["organizations.id"], ondelete="CASCADE",
                                name=op.f("fk_alert_opt_outs_organization_id_organizations")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_opt_outs")),
        sa.UniqueConstraint("organization_id", "address", name="uq_alert_opt_outs_organization_address"),
    )
    op.create_table(
        "alert_lab_webhooks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("lab_id", sa.String(length=64), nullable=False),
        sa.Column("url", sa.String(length=2000), nullable=False),
        sa.Column("secret", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["lab_id"], ["labs.id"], ondelete="CASCADE",
                                name=op.f("fk_alert_lab_webhooks_lab_id_labs")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_lab_webhooks")),
    )
    op.create_index(op.f("ix_alert_lab_webhooks_lab_id"), "alert_lab_webhooks", ["lab_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_alert_lab_webhooks_lab_id"), table_name="alert_lab_webhooks")
    op.drop_table("alert_lab_webhooks")
    op.drop_table("alert_opt_outs")
    op.drop_index(op.f("ix_alert_notifications_digest_due"), table_name="alert_notifications")
    op.drop_index("ix_alert_notifications_organization_id", table_name="alert_notifications")
    op.drop_table("alert_notifications")
    op.drop_table("alert_checks")
    op.drop_index("ix_alert_saved_searches_organization_id", table_name="alert_saved_searches")
    op.drop_table("alert_saved_searches")
    op.drop_table("alert_need_switches")
    op.drop_table("alert_preferences")
