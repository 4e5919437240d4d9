"""Delivering one outbox message: an e-mail over SMTP (smtplib), or a signed webhook POST (httpx).

E-mails are MIME multipart/alternative with a text/plain and a text/html part, both UTF-8; a Japanese subject
or display name is encoded as RFC 2047 words. The Message-ID is made from the message's idempotency key, so a
message resent after a crash carries the same id as the first copy (mail systems and clients that see the id
twice keep one).

Webhooks are POSTed as JSON with these headers (docs/labs.md shows how a receiver checks them):

    X-Iotmatch-Delivery   the idempotency key: the same on every retry of one message (drop repeats by it)
    X-Iotmatch-Timestamp  Unix seconds when this attempt was signed
    X-Iotmatch-Signature  sha256=<hex HMAC-SHA256 with the webhook's secret over "<timestamp>.<body>">

Any 2xx answer is a delivery; anything else, or no answer, is retried by the worker with backoff.
"""

import hashlib
import hmac
import json
import smtplib
import ssl
import time
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from typing import Any
from urllib.parse import quote

import httpx

from app.config import Settings
from app.db import utcnow
from app.notifications.models import OutboxMessage
from app.notifications.outbox import stored_key

DELIVERY_HEADER = "X-Iotmatch-Delivery"
TIMESTAMP_HEADER = "X-Iotmatch-Timestamp"
SIGNATURE_HEADER = "X-Iotmatch-Signature"
USER_AGENT = "iotmatch-webhook/1"
# Headers the sender writes itself; a row's extra headers cannot replace them.
OWN_HEADERS = frozenset({"from", "to", "subject", "message-id", "date", "mime-version", "content-type",
                         "content-transfer-encoding"})


class DeliveryError(Exception):
    """A message could not be delivered this time. `permanent`: retrying cannot help (the server refused the
    address or the content for good), so the message is marked failed at once."""

    def __init__(self, reason: str, *, permanent: bool = False) -> None:
        super().__init__(reason)
        self.permanent = permanent


def message_id(idempotency_key: str, mail_from: str) -> str:
    """`<key@domain>` with the key made safe for a Message-ID; the same key always gives the same id, whether
    given as queued or as stored (a long key is stored shortened)."""
    idempotency_key = stored_key(idempotency_key)
    domain = parseaddr(mail_from)[1].rpartition("@")[2] or "iotmatch.localhost"
    local = quote(idempotency_key, safe="-_!~*'+=").replace("..", ".%2E")  # dot-atom: no empty atoms
    if len(local) > 120:  # keep the header short; the hash keeps it unique
        local = local[:60] + "." + hashlib.sha256(idempotency_key.encode()).hexdigest()[:32]
    return f"<{local.strip('.')}@{domain}>"


def build_email(message: OutboxMessage, settings: Settings) -> EmailMessage:
    """The MIME message for an outbox row: From, To, Subject, Date, Message-ID, the row's extra headers, and a
    text/plain part with a text/html alternative (when the row has HTML)."""
    email = EmailMessage()
    email["From"] = settings.mail_from
    email["To"] = message.recipient
    email["Subject"] = message.subject
    email["Date"] = format_datetime(utcnow())
    email["Message-ID"] = message_id(message.idempotency_key, settings.mail_from)
    for name, value in (message.headers or {}).items():
        if name.lower() not in OWN_HEADERS:
            email[name] = value
    email.set_content(message.body_text or "", charset="utf-8")
    if message.body_html:
        email.add_alternative(message.body_html, subtype="html", charset="utf-8")
    return email


def envelope_recipient(recipient: str) -> str:
    """The bare address of a To: value that may carry a display name ("博多 花子 <hanako@…>")."""
    return parseaddr(recipient)[1] or recipient


class SmtpSender:
    """One SMTP connection, opened on first use and reused for a batch; close() ends it."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._client: smtplib.SMTP | None = None

    def _connect(self) -> smtplib.SMTP:
        s = self.settings
        context = ssl.create_default_context()
        client: smtplib.SMTP
        if s.smtp_ssl:
            client = smtplib.SMTP_SSL(s.smtp_host, s.smtp_port, timeout=s.smtp_timeout_seconds, context=context)
        else:
            client = smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=s.smtp_timeout_seconds)
            if s.smtp_starttls:
                client.starttls(context=context)
        if s.smtp_username:
            client.login(s.smtp_username, s.smtp_password)
        return client

    def send(self, message: OutboxMessage) -> None:
        """Send the row's e-mail; DeliveryError when the server is unreachable or refuses it."""
        email = build_email(message, self.settings)
        to = envelope_recipient(message.recipient)
        try:
            if self._client is None:
                self._client = self._connect()
            from_address = parseaddr(self.settings.mail_from)[1]
            self._client.send_message(email, from_addr=from_address, to_addrs=[to])
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            raise DeliveryError(f"recipient refused: {exc.recipients}", permanent=all(c >= 500 for c in codes)) \
                from exc
        except (smtplib.SMTPDataError, smtplib.SMTPSenderRefused) as exc:
            self.close()
            raise DeliveryError(f"SMTP {exc.smtp_code}: {exc.smtp_error!r}", permanent=exc.smtp_code >= 500) \
                from exc
        except (smtplib.SMTPException, OSError) as exc:
            self.close()  # the connection is in an unknown state: the next message opens a new one
            raise DeliveryError(f"{type(exc).__name__}: {exc}") from exc

    def close(self) -> None:
        """End the connection (quietly: it may already be gone)."""
        client, self._client = self._client, None
        if client is not None:
            try:
                client.quit()
            except (smtplib.SMTPException, OSError):
                client.close()


def webhook_body(payload: dict[str, Any]) -> bytes:
    """The exact bytes POSTed (and signed): compact UTF-8 JSON."""
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """The signature header's value: sha256=<hex HMAC-SHA256 over b"<timestamp>." + body>."""
    digest = hmac.new(secret.encode("utf-8"), timestamp.encode("ascii") + b"." + body, hashlib.sha256)
    return "sha256=" + digest.hexdigest()


def verify(secret: str, timestamp: str, body: bytes, signature: str, *, tolerance: float = 300.0,
           now: float | None = None) -> bool:
    """Whether a received webhook is genuine and recent (what a lab's receiver does; docs/labs.md)."""
    try:
        age = abs((time.time() if now is None else now) - int(timestamp))
    except ValueError:
        return False
    return age <= tolerance and hmac.compare_digest(sign(secret, timestamp, body), signature)


class WebhookSender:
    """POSTs webhooks with one HTTP client per worker."""

    def __init__(self, settings: Settings) -> None:
        self._client = httpx.Client(timeout=settings.webhook_timeout_seconds, follow_redirects=False,
                                    headers={"User-Agent": USER_AGENT})

    def send(self, message: OutboxMessage) -> None:
        """POST the row's payload, signed; DeliveryError unless the receiver answers 2xx."""
        body = webhook_body(message.payload or {})
        timestamp = str(int(time.time()))
        headers = {"Content-Type": "application/json; charset=utf-8", DELIVERY_HEADER: message.idempotency_key,
                   TIMESTAMP_HEADER: timestamp, SIGNATURE_HEADER: sign(message.secret or "", timestamp, body)}
        try:
            response = self._client.post(message.recipient, content=body, headers=headers)
        except httpx.HTTPError as exc:
            raise DeliveryError(f"{type(exc).__name__}: {exc}") from exc
        if not response.is_success:
            raise DeliveryError(f"HTTP {response.status_code}: {response.text[:200]}")

    def close(self) -> None:
        self._client.close()

