"""accounts: people who sign in by e-mail, and their sign-in links

Revision ID: 0013_accounts
Revises: 0012_outbox
Create Date: 2026-12-07 09:01:00

People sign in to the pages with a one-time link e-mailed to them; a browser session is now bound to a person or
(as before) to an API key. Sessions signed in before this revision keep working: they are bound to their key.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013_accounts"
down_revision: str | None = "0012_outbox"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "people",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=True),
        sa.Column("invited_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_sign_in_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("removed_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("role IN ('member', 'secretariat')", name=op.f("ck_people_role")),
        sa.CheckConstraint("(role = 'member' AND organization_id IS NOT NULL)"
                           " OR (role = 'secretariat' AND organization_id IS NULL)", name=op.f("ck_people_scope")),
        sa.ForeignKeyConstraint(["invited_by_id"], ["people.id"], name=op.f("fk_people_invited_by_id_people"),
                                ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["organization_id"], ["organizations.id"],
                                name=op.f("fk_people_organization_id_organizations"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_people")),
        sa.UniqueConstraint("email", name=op.f("uq_people_email")),
    )
    with op.batch_alter_table("people", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_people_organization_id"), ["organization_id"], unique=False)

    op.create_table(
        "sign_in_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sign_in_links")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_sign_in_links_token_hash")),
    )
    with op.batch_alter_table("sign_in_links", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sign_in_links_email"), ["email"], unique=False)
        batch_op.create_index(batch_op.f("ix_sign_in_links_expires_at"), ["expires_at"], unique=False)

    op.create_table(
        "invitations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("invited_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("accepted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["invited_by_id"], ["people.id"], name=op.f("fk_invitations_invited_by_id_people"),
                                ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["organization_id"], ["organizations.id"],
                                name=op.f("fk_invitations_organization_id_organizations"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invitations")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_invitations_token_hash")),
    )
    with op.batch_alter_table("invitations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_invitations_organization_id"), ["organization_id"], unique=False)

    with op.batch_alter_table("web_sessions", schema=None) as batch_op:
        batch_op.alter_column("api_key_id", existing_type=sa.Integer(), nullable=True)
        batch_op.add_column(sa.Column("person_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_web_sessions_person_id"), ["person_id"], unique=False)
        batch_op.create_foreign_key(batch_op.f("fk_web_sessions_person_id_people"), "people", ["person_id"], ["id"],
                                    ondelete="CASCADE")
        batch_op.create_check_constraint("binding", "(api_key_id IS NOT NULL AND person_id IS NULL)"
                                                    " OR (api_key_id IS NULL AND person_id IS NOT NULL)")


def downgrade() -> None:
    # Sessions of people have no key to fall back to: they end (their holders sign in again).
    op.execute("DELETE FROM web_sessions WHERE person_id IS NOT NULL")
    with op.batch_alter_table("web_sessions", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_web_sessions_binding"), type_="check")
        batch_op.drop_constraint(batch_op.f("fk_web_sessions_person_id_people"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_web_sessions_person_id"))
        batch_op.drop_column("person_id")
        batch_op.alter_column("api_key_id", existing_type=sa.Integer(), nullable=False)

    with op.batch_alter_table("invitations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_invitations_organization_id"))
    op.drop_table("invitations")

    with op.batch_alter_table("sign_in_links", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sign_in_links_expires_at"))
        batch_op.drop_index(batch_op.f("ix_sign_in_links_email"))
    op.drop_table("sign_in_links")

    with op.batch_alter_table("people", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_people_organization_id"))
    op.drop_table("people")
