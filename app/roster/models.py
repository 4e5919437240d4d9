"""Member organizations and the needs and seeds they post."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Base, utcnow


class TimestampMixin:
    """Created/updated times; updated_at also feeds the index watermark."""

    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # Indexed: the engine polls its maximum to notice changes.
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow,
                                                 index=True)


class Organization(TimestampMixin, Base):
    """A member of the community (団体会員 or 個人会員)."""

    __tablename__ = "organizations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    external_id: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str | None] = mapped_column(String(200))
    member_type: Mapped[str] = mapped_column(String(16))
    roles: Mapped[list[str]] = mapped_column(JSON)
    support_type: Mapped[str | None] = mapped_column(String(32))
    prefecture: Mapped[str] = mapped_column(String(8), index=True)
    city: Mapped[str | None] = mapped_column(String(100))
    industry: Mapped[str] = mapped_column(String(1), index=True)
    capital_jpy: Mapped[int | None] = mapped_column(BigInteger)
    employees: Mapped[int | None] = mapped_column(Integer)
    founded_year: Mapped[int | None] = mapped_column(Integer)
    description: Mapped[str] = mapped_column(Text)
    website: Mapped[str | None] = mapped_column(String(500))
    contact_name: Mapped[str | None] = mapped_column(String(200))
    contact_email: Mapped[str | None] = mapped_column(String(320))
    contact_phone: Mapped[str | None] = mapped_column(String(50))
    certifications: Mapped[list[str] | None] = mapped_column(JSON)
    # Keys the source record had (so export writes back exactly those) and keys we do not model.
    source_keys: Mapped[list[str] | None] = mapped_column(JSON)
    extra: Mapped[dict[str, Any] | None] = mapped_column(JSON)

    needs: Mapped[list["Need"]] = relationship(
        back_populates="organization", cascade="all, delete-orphan", order_by="Need.position"
    )
    seeds: Mapped[list["Seed"]] = relationship(
        back_populates="organization", cascade="all, delete-orphan", order_by="Seed.position"
    )


class PostingMixin(TimestampMixin):
    """Columns needs and seeds share."""

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    external_id: Mapped[str] = mapped_column(String(64), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text)
    tags: Mapped[list[str] | None] = mapped_column(JSON)
    # Order within the organization's list, so an export keeps the roster's order.
    position: Mapped[int] = mapped_column(Integer, default=0)
    source_keys: Mapped[list[str] | None] = mapped_column(JSON)
    extra: Mapped[dict[str, Any] | None] = mapped_column(JSON)

    @property
    def text(self) -> str:
        """Title and description, the text that gets embedded and indexed."""
        return f"{self.title}\n{self.description}"


class Need(PostingMixin, Base):
    """課題 / ニーズ: what a member wants solved."""

    __tablename__ = "needs"
    __table_args__ = (Index("ix_needs_organization_id", "organization_id"),)

    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    budget_jpy: Mapped[int | None] = mapped_column(BigInteger)
    organization: Mapped[Organization] = relationship(back_populates="needs")


class Seed(PostingMixin, Base):
    """シーズ: a technology or service a member offers."""

    __tablename__ = "seeds"
    __table_args__ = (Index("ix_seeds_organization_id", "organization_id"),)

    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    industries_served: Mapped[list[str] | None] = mapped_column(JSON)
    # Prefectures where the offer is available; None or empty: anywhere.
    service_area: Mapped[list[str] | None] = mapped_column(JSON)
    organization: Mapped[Organization] = relationship(back_populates="seeds")


# Imported last, once Need and Seed exist: every change of a need or seed leaves its alert check, in any process.
from app.alerts import changes as _alert_changes  # noqa: E402,F401
