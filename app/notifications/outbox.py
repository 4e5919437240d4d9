"""Queue e-mails and webhooks in the caller's transaction: they exist exactly when the change that caused them
is committed, and a worker (app.notifications.worker) sends them afterwards."""

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.notifications.models import OutboxMessage


def _queued(session: Session, idempotency_key: str) -> OutboxMessage | None:
    pending = next((obj for obj in session.new if isinstance(obj, OutboxMessage)
                    and obj.idempotency_key == idempotency_key), None)
    return pending or session.scalar(select(OutboxMessage).where(OutboxMessage.idempotency_key == idempotency_key))


def enqueue_email(session: Session, *, to: str, subject: str, text: str, html: str | None = None,
                  idempotency_key: str, headers: dict[str, str] | None = None) -> OutboxMessage:
    """Queue an e-mail; one already queued under the same key is returned instead (never sent twice)."""
    existing = _queued(session, idempotency_key)
    if existing is not None:
        return existing
    message = OutboxMessage(idempotency_key=idempotency_key, kind="email", recipient=to, subject=subject,
                            body_text=text, body_html=html, headers=dict(headers or {}))
    session.add(message)
    return message


def enqueue_webhook(session: Session, *, url: str, payload: dict[str, Any], secret: str,
                    idempotency_key: str) -> OutboxMessage:
    """Queue a webhook POST of `payload`, signed with `secret`; one already queued under the key is returned."""
    existing = _queued(session, idempotency_key)
    if existing is not None:
        return existing
    message = OutboxMessage(idempotency_key=idempotency_key, kind="webhook", recipient=url, payload=payload,
                            secret=secret, headers={})
    session.add(message)
    return message
