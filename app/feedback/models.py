"""Feedback on need–seed pairs; every statement is kept, the latest per giver and pair is the current one."""

from datetime import datetime

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Base, utcnow
from app.roster.models import Need, Organization, Seed

STATUSES = ("interested", "not_relevant", "contacted", "met", "deal")


class Feedback(Base):
    """One statement about a pair: by a member (organization_id) or the secretariat (organization_id null)."""

    __tablename__ = "feedback"
    __table_args__ = (
        CheckConstraint("status IN ('interested', 'not_relevant', 'contacted', 'met', 'deal')", name="status"),
        Index("ix_feedback_organization_id", "organization_id"),
        Index("ix_feedback_need_id", "need_id"),
        Index("ix_feedback_seed_id", "seed_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    need_id: Mapped[int] = mapped_column(ForeignKey("needs.id", ondelete="CASCADE"))
    seed_id: Mapped[int] = mapped_column(ForeignKey("seeds.id", ondelete="CASCADE"))
    organization_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    api_key_id: Mapped[int | None] = mapped_column(ForeignKey("api_keys.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(16))
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    need: Mapped[Need] = relationship()
    seed: Mapped[Seed] = relationship()
    organization: Mapped[Organization | None] = relationship()
