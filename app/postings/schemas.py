"""Need and seed requests and responses, with the exchange format's constraints."""

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from app.organizations.schemas import Industry, Prefecture, Words
from app.roster.models import Need, Organization, Seed
from app.roster.validation import MAX_TEXT
from app.schemas import DB_BIGINT, ExternalId, Reference, RequestModel, Required, UtcDateTime

Title = Annotated[Required, StringConstraints(max_length=MAX_TEXT["title"])]
Budget = Annotated[int, Field(gt=0, le=DB_BIGINT, strict=True, description="integer yen")]
OrganizationId = Reference
ServiceArea = Annotated[list[Prefecture], Field(
    max_length=47, description="prefectures where the offer is available; absent or empty: anywhere")]


class _NoNullRequired(RequestModel):
    @field_validator("title", "description", check_fields=False)
    @classmethod
    def _not_null(cls, value: Any) -> Any:
        if value is None:
            raise ValueError("is required and cannot be null")
        return value


class NeedCreate(RequestModel):
    """A new need; organization defaults to the member's own, id to the next N-nnnn."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "title": "工場設備の稼働監視", "description": "古い工作機械の稼働状況をセンサーで集めて見える化したい",
        "budget_jpy": 5_000_000, "tags": ["稼働監視", "見える化"]}]})

    id: ExternalId | None = None
    organization: OrganizationId | None = Field(default=None, description="the member's id; members may omit it")
    title: Title
    description: Required
    budget_jpy: Budget | None = None
    tags: Words | None = None


class NeedUpdate(_NoNullRequired):
    title: Title | None = None
    description: Required | None = None
    budget_jpy: Budget | None = None
    tags: Words | None = None


class SeedCreate(RequestModel):
    """A new seed; organization defaults to the member's own, id to the next S-nnnn."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "title": "後付けセンサーによる稼働監視",
        "description": "既存の設備に後付けセンサーを付けて稼働をクラウドで見える化します",
        "tags": ["IoT", "稼働監視"], "industries_served": ["E"], "service_area": ["福岡県", "佐賀県"]}]})

    id: ExternalId | None = None
    organization: OrganizationId | None = Field(default=None, description="the member's id; members may omit it")
    title: Title
    description: Required
    tags: Words | None = None
    industries_served: list[Industry] | None = None
    service_area: ServiceArea | None = None


class SeedUpdate(_NoNullRequired):
    title: Title | None = None
    description: Required | None = None
    tags: Words | None = None
    industries_served: list[Industry] | None = None
    service_area: ServiceArea | None = None


class OrganizationRef(BaseModel):
    id: str
    name: str
    prefecture: str
    roles: list[str]

    @classmethod
    def of(cls, org: Organization) -> "OrganizationRef":
        """The member behind a posting, without its contact."""
        return cls(id=org.external_id, name=org.name, prefecture=org.prefecture, roles=org.roles)


class _PostingRead(BaseModel):
    id: str
    organization: OrganizationRef
    title: str
    description: str
    tags: list[str] | None
    updated_at: UtcDateTime


class NeedRead(_PostingRead):
    budget_jpy: int | None

    @classmethod
    def of(cls, need: Need) -> "NeedRead":
        """The public view of a need."""
        return cls(id=need.external_id, organization=OrganizationRef.of(need.organization), title=need.title,
                   description=need.description, tags=need.tags, budget_jpy=need.budget_jpy,
                   updated_at=need.updated_at)


class SeedRead(_PostingRead):
    industries_served: list[str] | None
    service_area: list[str] | None = Field(description="prefectures where the offer is available; null: anywhere")

    @classmethod
    def of(cls, seed: Seed) -> "SeedRead":
        """The public view of a seed."""
        return cls(id=seed.external_id, organization=OrganizationRef.of(seed.organization), title=seed.title,
                   description=seed.description, tags=seed.tags, industries_served=seed.industries_served,
                   service_area=seed.service_area, updated_at=seed.updated_at)
