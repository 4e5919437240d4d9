"""The support-program catalog in the database, with every change kept as a revision."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, DateTime, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Base, utcnow

REVISION_ACTIONS = ("create", "update", "retire")


class ProgramRecord(Base):
    """One program of the catalog: its document validates as app.programs.catalog.Program."""

    __tablename__ = "programs"

    id: Mapped[str] = mapped_column(String(100), primary_key=True)
    document: Mapped[dict[str, Any]] = mapped_column(JSON)
    retired_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)

    revisions: Mapped[list["ProgramRevision"]] = relationship(
        back_populates="program", cascade="all, delete-orphan", order_by="ProgramRevision.revision"
    )


class ProgramRevision(Base):
    """A program's document as one change left it, who made the change and what it was."""

    __tablename__ = "program_revisions"
    __table_args__ = (CheckConstraint("action IN ('create', 'update', 'retire')", name="action"),)

    program_id: Mapped[str] = mapped_column(
        ForeignKey("programs.id", ondelete="CASCADE"), primary_key=True
    )
    revision: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    document: Mapped[dict[str, Any]] = mapped_column(JSON)
    changed_by: Mapped[str] = mapped_column(String(200))
    changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    action: Mapped[str] = mapped_column(String(8))

    program: Mapped[ProgramRecord] = relationship(back_populates="revisions")
