"""Signed-in browser sessions, kept on the server so that signing out ends them everywhere."""

from datetime import datetime

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, utcnow


class WebSignIn(Base):
    """One signed-in browser session: its cookie names it; signing out deletes it, so a copied cookie stops working.

    It is bound to a person (signed in by an e-mail link) or to an API key (the secretariat's key sign-in).
    """

    __tablename__ = "web_sessions"
    __table_args__ = (
        CheckConstraint("(api_key_id IS NOT NULL AND person_id IS NULL)"
                        " OR (api_key_id IS NULL AND person_id IS NOT NULL)", name="binding"),
    )

    # SHA-256 of the session id the cookie holds: the table alone cannot be turned into cookies.
    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    api_key_id: Mapped[int | None] = mapped_column(ForeignKey("api_keys.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
