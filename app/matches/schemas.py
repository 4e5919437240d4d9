"""Response shapes of the matching endpoints."""

from typing import Any

from pydantic import BaseModel, Field


class MatchOrganization(BaseModel):
    id: str
    name: str
    prefecture: str
    roles: list[str]


class MatchIntroduction(BaseModel):
    """The member's introduction on a pair: a declined one (asked_by_you) is shown only with include_seen=true."""

    id: int
    state: str = Field(description="requested, accepted, declined, withdrawn or brokered")
    asked_by_you: bool


class MatchRead(BaseModel):
    """One ranked seed (for a need) or need (for a seed), with why it was ranked."""

    seed: str | None = Field(default=None, description="seed id, when seeds are ranked")
    need: str | None = Field(default=None, description="need id, when needs are ranked")
    title: str
    score: float = Field(description="fused score; comparable within one response only")
    organization: MatchOrganization
    channels: dict[str, float] = Field(description="per-channel scores: dense, lexical, vocabulary, structure")
    reasons: list[dict[str, Any]] = Field(description="concepts, terms, similarity, industry, region")
    reason_text: str = Field(description="一文の理由（日本語）")
    reason_text_en: str = Field(description="the same reason in English")
    programs: list[dict[str, Any]] | None = Field(
        default=None, description="need–seed pairs: top support programs (status, conditions, estimated support)")
    introduction: MatchIntroduction | None = Field(
        default=None, description="member keys: where the latest introduction on this pair stands")


class MatchList(BaseModel):
    query: dict[str, Any]
    matches: list[MatchRead]


class PartnerRead(BaseModel):
    """A member that fits as a partner, with the best pairs behind it."""

    organization: MatchOrganization
    score: float
    pairs: list[dict[str, Any]]


class PartnerList(BaseModel):
    organization: str
    partners: list[PartnerRead]
