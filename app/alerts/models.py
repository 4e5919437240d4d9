"""Alerts: what members subscribe to, the checks a change of a need or seed leaves behind, and the notifications
those checks produce."""

from datetime import datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Base, utcnow
from app.labs.models import Lab
from app.roster.models import Need, Organization

EMAIL_MODES = ("immediate", "digest", "none")
SEARCH_TARGETS = ("seeds", "needs")


class AlertPreference(Base):
    """A member's alert settings; a member without a row has the defaults (every column's default)."""

    __tablename__ = "alert_preferences"
    __table_args__ = (CheckConstraint("email_mode IN ('immediate', 'digest', 'none')", name="email_mode"),)

    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"),
                                                 primary_key=True)
    email_mode: Mapped[str] = mapped_column(String(16), default="immediate")
    # Needs nobody switched on or off follow this; new needs are therefore subscribed unless the member said no.
    needs_default: Mapped[bool] = mapped_column(Boolean, default=True)
    # The other way round: new needs that the member's seeds answer.
    seeds_enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    language: Mapped[str] = mapped_column(String(2), default="ja")  # of the e-mails
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)


class NeedAlertSwitch(Base):
    """One need switched on or off by its member, whatever the member's default."""

    __tablename__ = "alert_need_switches"

    need_id: Mapped[int] = mapped_column(ForeignKey("needs.id", ondelete="CASCADE"), primary_key=True)
    enabled: Mapped[bool] = mapped_column(Boolean)
    need: Mapped[Need] = relationship()


class SavedSearch(Base):
    """A free-text search a member keeps, with the search API's filters; new results above the threshold alert."""

    __tablename__ = "alert_saved_searches"
    __table_args__ = (CheckConstraint("target IN ('seeds', 'needs')", name="target"),
                      Index("ix_alert_saved_searches_organization_id", "organization_id"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    q: Mapped[str] = mapped_column(String(1000))
    target: Mapped[str] = mapped_column(String(8), default="seeds")
    prefecture: Mapped[str | None] = mapped_column(String(8))
    role: Mapped[str | None] = mapped_column(String(32))
    industry: Mapped[str | None] = mapped_column(String(1))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    organization: Mapped[Organization] = relationship()


class AlertCheck(Base):
    """A need or seed created or edited, waiting to be ranked against the subscriptions.

    Written in the transaction of the change and deleted in the transaction that writes its notifications, so
    a crash in between leaves the check to be done again, never an alert lost or sent twice. It names the
    posting by its id, not by a key: a posting deleted meanwhile simply has nothing to check.
    """

    __tablename__ = "alert_checks"
    __table_args__ = (CheckConstraint("kind IN ('need', 'seed')", name="kind"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(8))
    external_id: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class AlertNotification(Base):
    """A member told that a need, seed or saved search of theirs has a new match; once per (topic, match).

    `topic` is what the member subscribed to: `need:<id>` (a seed answers it), `seed:<id>` (a need it answers)
    or `search:<id>`; `match_id` is the need or seed that came up. Texts are kept as they were when found, so
    the list and the e-mails still read well after the posting changes.
    """

    __tablename__ = "alert_notifications"
    __table_args__ = (UniqueConstraint("topic", "match_id", name="uq_alert_notifications_topic_match"),
                      CheckConstraint("match_kind IN ('need', 'seed')", name="match_kind"),
                      Index("ix_alert_notifications_organization_id", "organization_id"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    topic: Mapped[str] = mapped_column(String(80))
    topic_title: Mapped[str] = mapped_column(String(1000))
    match_kind: Mapped[str] = mapped_column(String(8))
    match_id: Mapped[str] = mapped_column(String(64))
    match_title: Mapped[str] = mapped_column(String(300))
    partner_name: Mapped[str] = mapped_column(String(200))
    score: Mapped[float] = mapped_column(Float)
    reason_ja: Mapped[str] = mapped_column(Text, default="")
    reason_en: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # True while the alert waits for the member's daily digest.
    digest_due: Mapped[bool] = mapped_column(Boolean, default=False, index=True)


class AlertOptOut(Base):
    """An address that unsubscribed from a member's alert e-mails (one-click link): it gets no more of them."""

    __tablename__ = "alert_opt_outs"
    __table_args__ = (UniqueConstraint("organization_id", "address", name="uq_alert_opt_outs_organization_address"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    address: Mapped[str] = mapped_column(String(320))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class LabWebhook(Base):
    """A lab site's webhook: new matches in the lab's prefecture and focus industries are POSTed to `url`,
    signed with `secret`."""

    __tablename__ = "alert_lab_webhooks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    lab_id: Mapped[str] = mapped_column(ForeignKey("labs.id", ondelete="CASCADE"), index=True)
    url: Mapped[str] = mapped_column(String(2000))
    secret: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    lab: Mapped[Lab] = relationship()
