"""roster labs and embedding cache

Revision ID: 0001_roster
Revises:
Create Date: 2026-11-22 15:11:09.072071
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001_roster"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "embedding_cache",
        sa.Column("model_id", sa.String(length=200), nullable=False),
        sa.Column("text_hash", sa.String(length=64), nullable=False),
        sa.Column("dimension", sa.Integer(), nullable=False),
        sa.Column("vector", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("model_id", "text_hash", name=op.f("pk_embedding_cache")),
    )
    op.create_table(
        "labs",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("name_en", sa.String(length=200), nullable=True),
        sa.Column("prefecture", sa.String(length=8), nullable=False),
        sa.Column("city", sa.String(length=100), nullable=True),
        sa.Column("member_bodies", sa.JSON(), nullable=False),
        sa.Column("focus_fields", sa.JSON(), nullable=False),
        sa.Column("industries", sa.JSON(), nullable=False),
        sa.Column("brand_color", sa.String(length=16), nullable=False),
        sa.Column("allowed_origins", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_labs")),
    )
    op.create_table(
        "organizations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("external_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("name_en", sa.String(length=200), nullable=True),
        sa.Column("member_type", sa.String(length=16), nullable=False),
        sa.Column("roles", sa.JSON(), nullable=False),
        sa.Column("support_type", sa.String(length=32), nullable=True),
        sa.Column("prefecture", sa.String(length=8), nullable=False),
        sa.Column("city", sa.String(length=100), nullable=True),
        sa.Column("industry", sa.String(length=1), nullable=False),
        sa.Column("capital_jpy", sa.BigInteger(), nullable=True),
        sa.Column("employees", sa.Integer(), nullable=True),
        sa.Column("founded_year", sa.Integer(), nullable=True),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("website", sa.String(length=500), nullable=True),
        sa.Column("contact_name", sa.String(length=200), nullable=True),
        sa.Column("contact_email", sa.String(length=320), nullable=True),
        sa.Column("contact_phone", sa.String(length=50), nullable=True),
        sa.Column("certifications", sa.JSON(), nullable=True),
        sa.Column("source_keys", sa.JSON(), nullable=True),
        sa.Column("extra", sa.JSON(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_organizations")),
        sa.UniqueConstraint("external_id", name=op.f("uq_organizations_external_id")),
    )
    with op.batch_alter_table("organizations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_organizations_industry"), ["industry"], unique=False)
        batch_op.create_index(batch_op.f("ix_organizations_prefecture"), ["prefecture"], unique=False)

    op.create_table(
        "needs",
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("budget_jpy", sa.BigInteger(), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("external_id", sa.String(length=64), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("tags", sa.JSON(), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("source_keys", sa.JSON(), nullable=True),
        sa.Column("extra", sa.JSON(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_needs_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_needs")),
        sa.UniqueConstraint("external_id", name=op.f("uq_needs_external_id")),
    )
    with op.batch_alter_table("needs", schema=None) as batch_op:
        batch_op.create_index("ix_needs_organization_id", ["organization_id"], unique=False)

    op.create_table(
        "seeds",
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("industries_served", sa.JSON(), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("external_id", sa.String(length=64), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("tags", sa.JSON(), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("source_keys", sa.JSON(), nullable=True),
        sa.Column("extra", sa.JSON(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_seeds_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_seeds")),
        sa.UniqueConstraint("external_id", name=op.f("uq_seeds_external_id")),
    )
    with op.batch_alter_table("seeds", schema=None) as batch_op:
        batch_op.create_index("ix_seeds_organization_id", ["organization_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("seeds", schema=None) as batch_op:
        batch_op.drop_index("ix_seeds_organization_id")

    op.drop_table("seeds")
    with op.batch_alter_table("needs", schema=None) as batch_op:
        batch_op.drop_index("ix_needs_organization_id")

    op.drop_table("needs")
    with op.batch_alter_table("organizations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_organizations_prefecture"))
        batch_op.drop_index(batch_op.f("ix_organizations_industry"))

    op.drop_table("organizations")
    op.drop_table("labs")
    op.drop_table("embedding_cache")
