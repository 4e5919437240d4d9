"""Issue, list, revoke and check API keys. A key is shown once; only the hash of its secret is kept."""

import hashlib
import hmac
import re
import secrets
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session, selectinload

from app.auth.models import KEY_ROLES, ApiKey
from app.db import as_utc, utcnow
from app.errors import InvalidInput, NotFound, Unauthorized
from app.labs import service as lab_service
from app.messages import choices, error, phrase
from app.roster.models import Organization

TOKEN_PREFIX = "iotm"
TOKEN = re.compile(rf"^{TOKEN_PREFIX}_([0-9a-f]{{8}})_([A-Za-z0-9_-]{{32,128}})$")
# last_used_at is written at most this often per key, so reads do not each become a write.
LAST_USED_RESOLUTION = timedelta(minutes=1)
SCOPE_RULES = {
    "secretariat": phrase("auth.scope_secretariat"),
    "member": phrase("auth.scope_member"),
    "lab": phrase("auth.scope_lab"),
}


def hash_secret(secret: str) -> str:
    """The stored form of a key's secret."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def _organization(db_session: Session, external_id: str) -> Organization:
    org = db_session.scalar(select(Organization).where(Organization.external_id == external_id))
    if org is None:
        raise error(NotFound, "not_found.organization", field="organization", id=external_id)
    return org


def create_key(*, db_session: Session, role: str, organization: str | None = None, lab: str | None = None,
               name: str = "") -> tuple[ApiKey, str]:
    """A new key for the role (bound to a member or a lab as the role requires) and its token, shown only now."""
    if role not in KEY_ROLES:
        raise error(InvalidInput, "invalid.role", field="role", allowed=choices(KEY_ROLES))
    if (organization is not None) != (role == "member") or (lab is not None) != (role == "lab"):
        raise error(InvalidInput, "invalid.key_scope", field="role", role=role, rule=SCOPE_RULES[role])
    key = ApiKey(role=role, name=name)
    if organization is not None:
        key.organization = _organization(db_session, organization)
    if lab is not None:
        try:
            key.lab = lab_service.get_lab(db_session=db_session, lab_id=lab)
        except NotFound as exc:
            raise error(NotFound, "not_found.lab", field="lab", id=lab) from exc
    prefix = secrets.token_hex(4)
    while db_session.scalar(select(ApiKey.id).where(ApiKey.prefix == prefix)) is not None:
        prefix = secrets.token_hex(4)
    secret = secrets.token_urlsafe(32)
    key.prefix, key.secret_hash = prefix, hash_secret(secret)
    db_session.add(key)
    db_session.flush()
    return key, f"{TOKEN_PREFIX}_{prefix}_{secret}"


def list_keys(*, db_session: Session, organization_id: int | None = None, lab_id: str | None = None,
              everyone: bool = False) -> list[ApiKey]:
    """Keys in creation order: every key with everyone, else those of the organization or lab."""
    query = select(ApiKey).options(selectinload(ApiKey.organization), selectinload(ApiKey.lab)).order_by(ApiKey.id)
    if not everyone:
        query = query.where((ApiKey.organization_id == organization_id) if organization_id is not None
                            else (ApiKey.lab_id == lab_id))
    return list(db_session.scalars(query))


def get_key(*, db_session: Session, key_id: int) -> ApiKey:
    """One key, or NotFound."""
    key = db_session.get(ApiKey, key_id)
    if key is None:
        raise error(NotFound, "not_found.key", id=key_id)
    return key


def revoke_key(*, db_session: Session, key: ApiKey) -> ApiKey:
    """Stop the key working; revoking twice keeps the first time."""
    if key.revoked_at is None:
        key.revoked_at = utcnow()
        db_session.flush()
    return key


def authenticate(*, db_session: Session, token: str | None) -> ApiKey:
    """The live key the token stands for, or Unauthorized saying how to send one."""
    if not token:
        raise error(Unauthorized, "auth.missing")
    match = TOKEN.match(token.strip())
    if match is None:
        raise error(Unauthorized, "auth.unknown")
    key = db_session.scalar(select(ApiKey).options(selectinload(ApiKey.organization), selectinload(ApiKey.lab))
                            .where(ApiKey.prefix == match.group(1)))
    if key is None or not hmac.compare_digest(key.secret_hash, hash_secret(match.group(2))):
        raise error(Unauthorized, "auth.unknown")
    if key.revoked_at is not None:
        raise error(Unauthorized, "auth.revoked")
    return key


def needs_touch(key: ApiKey, now: datetime) -> bool:
    """Whether last_used_at is old enough to be written again."""
    last = key.last_used_at
    return last is None or now - as_utc(last) >= LAST_USED_RESOLUTION


def touch_key(*, db_session: Session, key_id: int, now: datetime) -> None:
    """Record that the key was used."""
    db_session.execute(update(ApiKey).where(ApiKey.id == key_id).values(last_used_at=now))
