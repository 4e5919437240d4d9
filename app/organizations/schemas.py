"""Member requests and responses, with the exchange format's constraints (app/roster/validation.py)."""

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, field_validator

from app.roster.models import Organization
from app.roster.validation import EMAIL, MAX_TEXT, URL
from app.roster.vocab import INDUSTRIES, MEMBER_TYPES, PREFECTURES, ROLES, SUPPORT_TYPES
from app.schemas import DB_BIGINT, DB_INT, ExternalId, RequestModel, Required, Text, UtcDateTime


def _prefecture(value: str) -> str:
    if value not in PREFECTURES:
        raise ValueError(f"{value!r} is not one of the 47 prefectures (kanji, e.g. 福岡県)")
    return value


def _unique(values: list[str]) -> list[str]:
    if len(set(values)) != len(values):
        raise ValueError("lists a value twice")
    return values


def _sized(limit: int) -> Any:
    return StringConstraints(max_length=limit)


Prefecture = Annotated[str, AfterValidator(_prefecture), Field(json_schema_extra={"enum": list(PREFECTURES)})]
Industry = Annotated[str, StringConstraints(pattern=f"^[{''.join(INDUSTRIES)}]$"),
                     Field(description="JSIC major division letter A..T")]
Role = Literal[ROLES]  # type: ignore[valid-type]
Roles = Annotated[list[Role], Field(min_length=1), AfterValidator(_unique)]
MemberType = Literal[MEMBER_TYPES]  # type: ignore[valid-type]
SupportType = Literal[SUPPORT_TYPES]  # type: ignore[valid-type]
Count = Annotated[int, Field(ge=0, le=DB_INT, strict=True)]
Yen = Annotated[int, Field(ge=0, le=DB_BIGINT, strict=True)]
Year = Annotated[int, Field(ge=1600, le=2100, strict=True)]
Website = Annotated[Text, StringConstraints(max_length=MAX_TEXT["website"], pattern=URL.pattern)]
Words = list[Annotated[Text, _sized(200)]]
REQUIRED_FIELDS = ("name", "member_type", "roles", "prefecture", "industry", "description")


class ContactIn(RequestModel):
    """Personal data of the member's contact person: shown to the secretariat and the member only."""

    name: Annotated[Text, _sized(200)] | None = None
    email: Annotated[Text, StringConstraints(max_length=320, pattern=EMAIL.pattern)] | None = None
    phone: Annotated[Text, StringConstraints(pattern=r"^[0-9+()\- ]{6,20}$")] | None = None


class OrganizationCreate(RequestModel):
    """A new member; id may be left out to get the next ORG-nnnn."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "name": "博多センサー工業株式会社", "member_type": "corporate", "roles": ["user"], "prefecture": "福岡県",
        "city": "福岡市", "industry": "E", "employees": 40, "description": "金属部品の精密加工を行う製造業です。",
        "contact": {"name": "博多 花子", "email": "hanako@example.jp", "phone": "092-000-0000"}}]})

    id: ExternalId | None = None
    name: Annotated[Required, _sized(MAX_TEXT["name"])]
    name_en: Annotated[Text, _sized(MAX_TEXT["name_en"])] | None = None
    member_type: MemberType
    roles: Roles
    support_type: SupportType | None = Field(default=None, description="required when roles has 'support'")
    prefecture: Prefecture
    city: Annotated[Text, _sized(MAX_TEXT["city"])] | None = None
    industry: Industry
    capital_jpy: Yen | None = None
    employees: Count | None = None
    founded_year: Year | None = None
    description: Required
    website: Website | None = None
    contact: ContactIn | None = None
    certifications: Words | None = None


class OrganizationUpdate(RequestModel):
    """Fields to change; the ones the format requires cannot be set to null."""

    name: Annotated[Required, _sized(MAX_TEXT["name"])] | None = None
    name_en: Annotated[Text, _sized(MAX_TEXT["name_en"])] | None = None
    member_type: MemberType | None = None
    roles: Roles | None = None
    support_type: SupportType | None = None
    prefecture: Prefecture | None = None
    city: Annotated[Text, _sized(MAX_TEXT["city"])] | None = None
    industry: Industry | None = None
    capital_jpy: Yen | None = None
    employees: Count | None = None
    founded_year: Year | None = None
    description: Required | None = None
    website: Website | None = None
    contact: ContactIn | None = None
    certifications: Words | None = None

    @field_validator(*REQUIRED_FIELDS)
    @classmethod
    def _not_null(cls, value: Any) -> Any:
        if value is None:
            raise ValueError("is required and cannot be null")
        return value


class ContactRead(BaseModel):
    name: str | None
    email: str | None
    phone: str | None


class PostingRef(BaseModel):
    id: str
    title: str


class OrganizationRead(BaseModel):
    """A member as the directory shows it; `contact` is present only for the secretariat and the member itself."""

    id: str
    name: str
    name_en: str | None
    member_type: str
    roles: list[str]
    support_type: str | None
    prefecture: str
    city: str | None
    industry: str
    capital_jpy: int | None
    employees: int | None
    founded_year: int | None
    description: str
    website: str | None
    certifications: list[str] | None
    needs: list[PostingRef]
    seeds: list[PostingRef]
    updated_at: UtcDateTime
    contact: ContactRead | None = Field(default=None, description="only for the secretariat and the member itself")

    @classmethod
    def of(cls, org: Organization, *, with_contact: bool) -> "OrganizationRead":
        """The view of a member; without with_contact the contact field is not even set (and not serialized)."""
        values: dict[str, Any] = {
            "id": org.external_id, "updated_at": org.updated_at,
            "needs": [PostingRef(id=n.external_id, title=n.title) for n in org.needs],
            "seeds": [PostingRef(id=s.external_id, title=s.title) for s in org.seeds],
        }
        for key in ("name", "name_en", "member_type", "roles", "support_type", "prefecture", "city", "industry",
                    "capital_jpy", "employees", "founded_year", "description", "website", "certifications"):
            values[key] = getattr(org, key)
        if with_contact:
            has_contact = org.contact_name or org.contact_email or org.contact_phone
            values["contact"] = ContactRead(name=org.contact_name, email=org.contact_email,
                                            phone=org.contact_phone) if has_contact else None
        return cls(**values)
