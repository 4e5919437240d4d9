"""Introductions asked for between members, and every step taken on them."""

from datetime import datetime

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Base, utcnow
from app.roster.models import Need, Organization, Seed

# requested: waiting for the other member; accepted: both see each other's contact; declined: the asker's contact
# stays hidden and the pair is no longer suggested to it; withdrawn: the asker took it back; brokered: the
# secretariat makes the introduction itself.
STATES = ("requested", "accepted", "declined", "withdrawn", "brokered")
OPEN_STATE = "requested"
# What an event row records: the state changes above, and the steps either member or the secretariat adds.
EVENT_KINDS = (*STATES, "note", "nudged", "contacted", "met", "deal")


def _in(values: tuple[str, ...]) -> str:
    return ", ".join(f"'{v}'" for v in values)


class Introduction(Base):
    """One request by a member (the asker) to be introduced to the member on the other side of a need–seed pair."""

    __tablename__ = "introductions"
    __table_args__ = (
        CheckConstraint(f"state IN ({_in(STATES)})", name="state"),
        # One open request per pair, whichever member asked: the database keeps it so under concurrent requests.
        Index("uq_introductions_open_pair", "need_id", "seed_id", unique=True,
              sqlite_where=text("state = 'requested'"), postgresql_where=text("state = 'requested'")),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    need_id: Mapped[int] = mapped_column(ForeignKey("needs.id", ondelete="CASCADE"), index=True)
    seed_id: Mapped[int] = mapped_column(ForeignKey("seeds.id", ondelete="CASCADE"), index=True)
    asker_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"), index=True)
    recipient_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"), index=True)
    state: Mapped[str] = mapped_column(String(16), default=OPEN_STATE, index=True)
    message: Mapped[str] = mapped_column(Text)
    reply: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    answered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_nudged_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    need: Mapped[Need] = relationship()
    seed: Mapped[Seed] = relationship()
    asker: Mapped[Organization] = relationship(foreign_keys=[asker_id])
    recipient: Mapped[Organization] = relationship(foreign_keys=[recipient_id])
    events: Mapped[list["IntroductionEvent"]] = relationship(
        back_populates="introduction", cascade="all, delete-orphan", order_by="IntroductionEvent.id")


class IntroductionEvent(Base):
    """One step on an introduction: who (a member, the secretariat or the service's own job), when, what."""

    __tablename__ = "introduction_events"
    __table_args__ = (CheckConstraint(f"kind IN ({_in(EVENT_KINDS)})", name="kind"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    introduction_id: Mapped[int] = mapped_column(ForeignKey("introductions.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    # The member that took the step; null for the secretariat and the nudge job.
    organization_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id", ondelete="SET NULL"))
    actor: Mapped[str] = mapped_column(String(100))  # e.g. member-key-3, secretariat-key-1, nudge-job
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    introduction: Mapped[Introduction] = relationship(back_populates="events")
    organization: Mapped[Organization | None] = relationship()
