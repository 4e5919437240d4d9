"""API keys, stored as a lookup prefix and the SHA-256 of the secret."""

from datetime import datetime

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Base, utcnow
from app.labs.models import Lab
from app.roster.models import Organization

KEY_ROLES = ("secretariat", "member", "lab")


class ApiKey(Base):
    """A key for the API: the secretariat's, a member's (bound to its organization) or a lab's (bound to the lab)."""

    __tablename__ = "api_keys"
    __table_args__ = (
        CheckConstraint("role IN ('secretariat', 'member', 'lab')", name="role"),
        # The role decides the binding, so a member key can never lose its organization.
        CheckConstraint(
            "(role = 'secretariat' AND organization_id IS NULL AND lab_id IS NULL)"
            " OR (role = 'member' AND organization_id IS NOT NULL AND lab_id IS NULL)"
            " OR (role = 'lab' AND lab_id IS NOT NULL AND organization_id IS NULL)",
            name="scope",
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    prefix: Mapped[str] = mapped_column(String(16), unique=True)
    secret_hash: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(16))
    organization_id: Mapped[int | None] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True)
    lab_id: Mapped[str | None] = mapped_column(ForeignKey("labs.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    organization: Mapped[Organization | None] = relationship()
    lab: Mapped[Lab | None] = relationship()
