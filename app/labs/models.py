"""The regional IoT labs (地方版IoT推進ラボ) of Kyushu."""

from datetime import datetime

from sqlalchemy import JSON, DateTime, String
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, utcnow


class Lab(Base):
    """A regional IoT lab: its region and focus fields drive defaults for its web site's requests."""

    __tablename__ = "labs"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str | None] = mapped_column(String(200))
    prefecture: Mapped[str] = mapped_column(String(8))
    city: Mapped[str | None] = mapped_column(String(100))
    member_bodies: Mapped[list[str]] = mapped_column(JSON, default=list)
    focus_fields: Mapped[list[str]] = mapped_column(JSON, default=list)
    industries: Mapped[list[str]] = mapped_column(JSON, default=list)
    brand_color: Mapped[str] = mapped_column(String(16), default="#1f6feb")
    allowed_origins: Mapped[list[str]] = mapped_column(JSON, default=list)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)
