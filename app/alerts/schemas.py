"""Request and response shapes of the alert endpoints."""

from datetime import datetime
from typing import Annotated, Literal

from pydantic import AnyHttpUrl, BaseModel, ConfigDict, Field, StringConstraints, UrlConstraints

from app.organizations.schemas import Industry, Prefecture, Role
from app.schemas import DB_INT

EmailMode = Literal["immediate", "digest", "none"]


class PreferenceRead(BaseModel):
    """A member's alert settings."""

    model_config = ConfigDict(from_attributes=True)

    email_mode: EmailMode = Field(description="'immediate': one e-mail per alert; 'digest': one e-mail a day "
                                  "gathering the day's alerts; 'none': the in-page list only")
    needs_default: bool = Field(description="needs not switched one by one alert (so new needs do, when true)")
    seeds_enabled: bool = Field(description="new needs that your seeds answer alert too")
    language: Literal["ja", "en"] = Field(description="language of the e-mails")


class PreferenceUpdate(BaseModel):
    """The settings to change; those left out stay."""

    model_config = ConfigDict(extra="forbid")

    email_mode: EmailMode | None = None
    needs_default: bool | None = None
    seeds_enabled: bool | None = None
    language: Literal["ja", "en"] | None = None


class NeedSwitch(BaseModel):
    """Whether one need alerts."""

    need: str
    title: str
    enabled: bool


class NeedSwitchUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    enabled: bool


class SavedSearchCreate(BaseModel):
    """A free-text search to keep, with the filters of GET /v1/search."""

    model_config = ConfigDict(extra="forbid")

    q: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=1000)]
    target: Literal["seeds", "needs"] = "seeds"
    prefecture: Prefecture | None = None
    role: Role | None = None
    industry: Industry | None = None


class SavedSearchRead(SavedSearchCreate):
    model_config = ConfigDict(from_attributes=True)

    id: int
    enabled: bool
    created_at: datetime


class NotificationRead(BaseModel):
    """One alert: what of yours (`topic`) got which new match."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    topic: str = Field(description="need:<id> (a seed answers your need), seed:<id> (a need your seed answers) or "
                       "search:<id> (a saved search)")
    topic_title: str
    match_kind: Literal["need", "seed"]
    match_id: str
    match_title: str
    partner_name: str
    score: float
    reason_ja: str
    reason_en: str
    created_at: datetime
    read_at: datetime | None


class NotificationList(BaseModel):
    unread: int = Field(description="alerts not marked read")
    notifications: list[NotificationRead]


class MarkRead(BaseModel):
    """Which alerts to mark read: these ids, or all of them when ids is left out."""

    model_config = ConfigDict(extra="forbid")

    ids: list[Annotated[int, Field(ge=1, le=DB_INT)]] | None = Field(default=None, max_length=1000)


class Marked(BaseModel):
    marked: int
    unread: int


class WebhookCreate(BaseModel):
    """A lab site's URL to POST new matches in the lab's region to."""

    model_config = ConfigDict(extra="forbid")

    url: Annotated[AnyHttpUrl, UrlConstraints(max_length=2000, allowed_schemes=["http", "https"])] = Field(
        description="http(s), 2000 characters at most")
    secret: Annotated[str, StringConstraints(min_length=16, max_length=200)] | None = Field(
        default=None, description="signing secret; one is made when left out (shown once)")


class WebhookRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    url: str
    events: list[str] = ["match.new"]
    created_at: datetime


class WebhookCreated(WebhookRead):
    secret: str = Field(description="the signing secret: keep it, it is not shown again")
