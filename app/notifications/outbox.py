"""Queue e-mails and webhooks in the caller's transaction: they exist exactly when the change that caused them
is committed, and a worker (app.notifications.worker) sends them afterwards.

    from app.notifications.mail import public_link, render_email
    from app.notifications.outbox import enqueue_email, enqueue_webhook

    subject, text, html = render_email("intro_request", lang, name=contact_name, url=public_link(f"/intro/{id}"))
    enqueue_email(session, to=f"{contact_name} <{address}>", subject=subject, text=text, html=html,
                  idempotency_key=f"intro:{id}:requested",
                  headers={"List-Unsubscribe": f"<{unsubscribe}>",
                           "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"})
    enqueue_webhook(session, url=lab.webhook_url, payload={...}, secret=lab.webhook_secret,
                    idempotency_key=f"alert:{need_id}:{seed_id}:lab:{lab.id}")

The caller commits (or its request does); nothing is sent if it rolls back. `idempotency_key` names what the
message is about, so queueing it again returns the one already queued (a key longer than the column, e.g. one
holding a long e-mail address, is stored as a prefix and its SHA-256: stored_key()); it becomes
the e-mail's Message-ID and the webhook's X-Iotmatch-Delivery header, by which a copy sent again after a crash is
recognised. `to` is an address, with a display name if wanted (Japanese is fine); `headers` are extra e-mail
headers; `secret_body=True` has the bodies blanked once sent. The worker retries failures with backoff
(docs/operations.md).
"""

import hashlib
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.notifications.models import OutboxMessage

KEY_MAX = 200  # the idempotency_key column's length


def stored_key(idempotency_key: str) -> str:
    """The key as the outbox stores it: itself when it fits the column, else a readable prefix and the key's
    SHA-256, the same every time, so queueing again still finds the message."""
    if len(idempotency_key) <= KEY_MAX:
        return idempotency_key
    digest = hashlib.sha256(idempotency_key.encode()).hexdigest()
    return f"{idempotency_key[:KEY_MAX - len(digest) - 1]}#{digest}"


def _queued(session: Session, idempotency_key: str) -> OutboxMessage | None:
    pending = next((obj for obj in session.new if isinstance(obj, OutboxMessage)
                    and obj.idempotency_key == idempotency_key), None)
    return pending or session.scalar(select(OutboxMessage).where(OutboxMessage.idempotency_key == idempotency_key))


def enqueue_email(session: Session, *, to: str, subject: str, text: str, html: str | None = None,
                  idempotency_key: str, headers: dict[str, str] | None = None,
                  secret_body: bool = False) -> OutboxMessage:
    """Queue an e-mail; one already queued under the same key is returned instead (never sent twice).

    `secret_body`: the text holds a secret (a sign-in link); the worker blanks the bodies once the mail is sent
    or given up, keeping the subject and recipient for the record."""
    idempotency_key = stored_key(idempotency_key)
    existing = _queued(session, idempotency_key)
    if existing is not None:
        return existing
    message = OutboxMessage(idempotency_key=idempotency_key, kind="email", recipient=to, subject=subject,
                            body_text=text, body_html=html, headers=dict(headers or {}),
                            redact_after_send=secret_body)
    session.add(message)
    return message


def enqueue_webhook(session: Session, *, url: str, payload: dict[str, Any], secret: str,
                    idempotency_key: str) -> OutboxMessage:
    """Queue a webhook POST of `payload`, signed with `secret`; one already queued under the key is returned."""
    idempotency_key = stored_key(idempotency_key)
    existing = _queued(session, idempotency_key)
    if existing is not None:
        return existing
    message = OutboxMessage(idempotency_key=idempotency_key, kind="webhook", recipient=url, payload=payload,
                            secret=secret, headers={})
    session.add(message)
    return message
