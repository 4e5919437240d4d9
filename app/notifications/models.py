"""The outbox: every e-mail and webhook the service sends, written in the transaction of the change that causes it."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, CheckConstraint, DateTime, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, utcnow

MESSAGE_KINDS = ("email", "webhook")
MESSAGE_STATES = ("pending", "sent", "failed")


class OutboxMessage(Base):
    """One message to deliver. `idempotency_key` names what it is about (e.g. an alert for one need–seed pair),
    so the same message is never queued twice, and receivers can drop a redelivered webhook."""

    __tablename__ = "outbox_messages"
    __table_args__ = (
        CheckConstraint("kind IN ('email', 'webhook')", name="kind"),
        CheckConstraint("status IN ('pending', 'sent', 'failed')", name="status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)  # outbox.KEY_MAX
    kind: Mapped[str] = mapped_column(String(16))
    recipient: Mapped[str] = mapped_column(String(2000))  # an e-mail address, or a webhook's URL
    subject: Mapped[str] = mapped_column(String(500), default="")
    body_text: Mapped[str] = mapped_column(Text, default="")
    body_html: Mapped[str | None] = mapped_column(Text)
    # The bodies hold a live secret (a sign-in or invitation link): blanked once sent or given up, so that no
    # backup of the database holds a usable link.
    redact_after_send: Mapped[bool] = mapped_column(Boolean, default=False)
    headers: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)  # extra e-mail headers (List-Unsubscribe)
    payload: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # a webhook's JSON body
    secret: Mapped[str | None] = mapped_column(String(200))  # a webhook's signing secret
    status: Mapped[str] = mapped_column(String(16), default="pending", index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    locked_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))  # a worker's claim
    claimed_by: Mapped[str | None] = mapped_column(String(64))  # which claim of which worker holds it
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
