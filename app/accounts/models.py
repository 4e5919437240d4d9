"""People, their one-time sign-in links and the invitations members send to colleagues.

Links and invitations are stored as the SHA-256 of their secret: the table alone signs nobody in.
"""

from datetime import datetime

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Base, utcnow
from app.roster.models import Organization

PERSON_ROLES = ("member", "secretariat")


class Person(Base):
    """Someone who signs in with an e-mail address: for one member (acting as that member) or as the
    secretariat's staff. Removed people keep their row (the audit names them) but can no longer sign in."""

    __tablename__ = "people"
    __table_args__ = (
        CheckConstraint("role IN ('member', 'secretariat')", name="role"),
        CheckConstraint("(role = 'member' AND organization_id IS NOT NULL)"
                        " OR (role = 'secretariat' AND organization_id IS NULL)", name="scope"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Lower-cased, so one address is one person however it is typed.
    email: Mapped[str] = mapped_column(String(320), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    organization_id: Mapped[int | None] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True)
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_sign_in_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    removed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    organization: Mapped[Organization | None] = relationship()

    @property
    def actor(self) -> str:
        """How changes this person makes are recorded."""
        return f"person-{self.id}"


class SignInLink(Base):
    """A one-time sign-in link sent to an address: single use, valid until expires_at.

    It names the address, not a person: who the address signs in as is decided when the link is used, so a
    roster contact's person is created on first sign-in, and an address removed meanwhile signs nobody in.
    """

    __tablename__ = "sign_in_links"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    email: Mapped[str] = mapped_column(String(320), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Invitation(Base):
    """A member's invitation of a colleague: accepting it creates the colleague's person for that member."""

    __tablename__ = "invitations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    email: Mapped[str] = mapped_column(String(320))
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"), index=True)
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    accepted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    organization: Mapped[Organization] = relationship()
