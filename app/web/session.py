"""The browser session: a signed cookie holding the CSRF token and, once signed in, the person's (or the key's)
id and a session id.

The cookie carries no secret; each request re-reads the person or key, so removing the person or revoking the key
signs the browser out. A signed-in session is also kept on the server (web_sessions), and signing out deletes it: a copy
of the cookie taken before is refused from then on, not valid until it expires. The signing key is
IOTMATCH_SESSION_SECRET, else the one kept in the data folder (app.config.signing_secret), so sessions survive
restarts and every worker accepts every other's cookies.
"""

import base64
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass, field
from datetime import timedelta

from fastapi import Request
from sqlalchemy import delete
from sqlalchemy.orm import Session
from starlette.responses import Response

from app.config import get_settings, signing_secret
from app.db import as_utc, utcnow
from app.errors import Forbidden
from app.messages import error
from app.web.models import WebSignIn

COOKIE = "iotm_session"
MAX_AGE_SECONDS = 8 * 3600


def _secret() -> bytes:
    return signing_secret(get_settings())


def _sign(payload: bytes) -> str:
    return hmac.new(_secret(), payload, hashlib.sha256).hexdigest()


@dataclass
class WebSession:
    """What the cookie holds; `changed` tells the response to write it back."""

    csrf: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    key_id: int | None = None
    issued: int = field(default_factory=lambda: int(time.time()))
    changed: bool = False
    session_id: str | None = None  # names the server-side record of a signed-in session
    person_id: int | None = None  # signed in by an e-mail link (else key_id: by an API key)

    def encode(self) -> str:
        """The signed cookie value."""
        payload = base64.urlsafe_b64encode(json.dumps(
            {"c": self.csrf, "k": self.key_id, "i": self.issued, "s": self.session_id, "p": self.person_id},
            separators=(",", ":")).encode())
        return f"{payload.decode()}.{_sign(payload)}"


def decode(value: str | None) -> WebSession | None:
    """The session in a cookie value, or None when it is missing, forged, malformed or expired."""
    if not value or "." not in value:
        return None
    payload, signature = value.rsplit(".", 1)
    if not hmac.compare_digest(_sign(payload.encode()), signature):
        return None
    try:
        data = json.loads(base64.urlsafe_b64decode(payload.encode()))
        session = WebSession(csrf=str(data["c"]), key_id=data["k"], issued=int(data["i"]), session_id=data.get("s"),
                             person_id=data.get("p"))
    except (ValueError, KeyError, TypeError):
        return None
    if session.key_id is not None and not isinstance(session.key_id, int):
        return None
    if session.person_id is not None and not isinstance(session.person_id, int):
        return None
    if session.session_id is not None and not isinstance(session.session_id, str):
        return None
    if time.time() - session.issued > MAX_AGE_SECONDS:
        return None
    return session


def load(request: Request) -> WebSession:
    """The request's session, or a new anonymous one (marked changed so it gets written)."""
    return decode(request.cookies.get(COOKIE)) or WebSession(changed=True)


def _hash(session_id: str) -> str:
    return hashlib.sha256(session_id.encode("utf-8")).hexdigest()


def signed_in(db_session: Session, key_id: int | None = None, *, person_id: int | None = None) -> WebSession:
    """A fresh session for the key or the person, recorded on the server: a new CSRF token, so none from before
    sign-in stays valid. Expired records of any browser are cleared on the way."""
    assert (key_id is None) != (person_id is None), "a session is bound to a key or to a person"
    now = utcnow()
    db_session.execute(delete(WebSignIn).where(WebSignIn.expires_at < now))
    session = WebSession(key_id=key_id, person_id=person_id, changed=True, session_id=secrets.token_urlsafe(32))
    assert session.session_id is not None
    db_session.add(WebSignIn(id_hash=_hash(session.session_id), api_key_id=key_id, person_id=person_id,
                             created_at=now, expires_at=now + timedelta(seconds=MAX_AGE_SECONDS)))
    db_session.flush()
    return session


def is_live(db_session: Session, session: WebSession) -> bool:
    """Whether the signed-in session is still on record for its person or key (not signed out, not expired)."""
    if (session.key_id is None and session.person_id is None) or session.session_id is None:
        return False
    record = db_session.get(WebSignIn, _hash(session.session_id))
    if record is None or record.api_key_id != session.key_id or record.person_id != session.person_id:
        return False
    return as_utc(record.expires_at) > utcnow()


def signed_out(db_session: Session, session: WebSession) -> WebSession:
    """End the session on the server and start an anonymous one."""
    if session.session_id is not None:
        db_session.execute(delete(WebSignIn).where(WebSignIn.id_hash == _hash(session.session_id)))
    return WebSession(changed=True)


def signed_out_key(db_session: Session, key_id: int) -> None:
    """End every session signed in with the key."""
    db_session.execute(delete(WebSignIn).where(WebSignIn.api_key_id == key_id))


def write(response: Response, request: Request, session: WebSession) -> None:
    """Set the cookie: HttpOnly, SameSite=Lax, Secure when the page was served over HTTPS."""
    response.set_cookie(COOKIE, session.encode(), max_age=MAX_AGE_SECONDS, httponly=True, samesite="lax",
                        secure=request.url.scheme == "https", path="/")


def clear(response: Response, request: Request) -> None:
    """Remove the cookie (sign-out)."""
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="lax", secure=request.url.scheme == "https")


def check_csrf(session: WebSession, token: str | None) -> None:
    """403 unless the form carried the session's CSRF token."""
    if not token or not hmac.compare_digest(token, session.csrf):
        raise error(Forbidden, "web.csrf")
