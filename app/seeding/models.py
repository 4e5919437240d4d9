"""What the seed has loaded into this database."""

from datetime import datetime

from sqlalchemy import DateTime, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, utcnow


class SeedLoad(Base):
    """One part of the shipped data the seed has dealt with: loaded (records > 0) or found already filled."""

    __tablename__ = "seed_loads"

    part: Mapped[str] = mapped_column(String(32), primary_key=True)
    records: Mapped[int] = mapped_column(Integer)
    loaded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
