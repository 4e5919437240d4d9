"""Feedback requests and responses."""

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from app.feedback.models import Feedback
from app.schemas import Reference, RequestModel, Text, UtcDateTime

Status = Literal["interested", "not_relevant", "contacted", "met", "deal"]


class FeedbackCreate(RequestModel):
    """What the member (or the secretariat) says about a pair."""

    model_config = ConfigDict(json_schema_extra={"examples": [
        {"need": "N-0001", "seed": "S-0042", "status": "not_relevant", "note": "既に別の会社と契約済み"}]})

    need: Reference
    seed: Reference
    status: Status
    note: Annotated[Text, StringConstraints(max_length=2000)] | None = None


class FeedbackRead(BaseModel):
    id: int
    need: str
    seed: str
    status: str
    note: str | None
    organization: str | None = Field(description="the member that gave it; null for the secretariat")
    created_at: UtcDateTime

    @classmethod
    def of(cls, feedback: Feedback) -> "FeedbackRead":
        """The stored statement with external ids."""
        return cls(id=feedback.id, need=feedback.need.external_id, seed=feedback.seed.external_id,
                   status=feedback.status, note=feedback.note,
                   organization=feedback.organization.external_id if feedback.organization else None,
                   created_at=feedback.created_at)


class PostingFeedback(BaseModel):
    id: str
    counts: dict[str, int] = Field(description="current statuses: each giver's latest word on each pair counts once")
    total: int


class FeedbackSummary(BaseModel):
    seeds: list[PostingFeedback]
    needs: list[PostingFeedback]
