"""API key requests and responses; the secret appears only in the creation response."""

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from app.auth.models import ApiKey
from app.schemas import Reference, RequestModel, Text, UtcDateTime


class KeyCreate(RequestModel):
    """A key to issue: members' keys name their organization, labs' keys their lab."""

    model_config = ConfigDict(json_schema_extra={"examples": [
        {"role": "lab", "lab": "lab-fukuoka-pref", "name": "福岡県IoT推進ラボ サイト"},
        {"role": "member", "organization": "ORG-0012", "name": "ORG-0012 社内ツール"}]})

    role: Literal["secretariat", "member", "lab"]
    organization: Reference | None = Field(default=None, description="member keys: the organization id, e.g. ORG-0001")
    lab: Reference | None = Field(default=None, description="lab keys: the lab id, e.g. lab-fukuoka-pref")
    name: Annotated[Text, StringConstraints(max_length=200)] = Field(default="", description="who uses it, for whom")


class KeyRead(BaseModel):
    """A key without its secret."""

    id: int
    prefix: str = Field(description="the part after iotm_ that identifies the key")
    role: str
    organization: str | None
    lab: str | None
    name: str
    created_at: UtcDateTime
    last_used_at: UtcDateTime | None
    revoked_at: UtcDateTime | None

    @classmethod
    def of(cls, key: ApiKey) -> "KeyRead":
        """The public view of a stored key."""
        return cls(id=key.id, prefix=key.prefix, role=key.role,
                   organization=key.organization.external_id if key.organization else None, lab=key.lab_id,
                   name=key.name, created_at=key.created_at, last_used_at=key.last_used_at,
                   revoked_at=key.revoked_at)


class KeyCreated(KeyRead):
    """A new key with its token: shown this once, never again."""

    key: str = Field(description="send as `Authorization: Bearer <key>` or `X-API-Key: <key>`; store it now")


class KeyList(BaseModel):
    items: list[KeyRead]
