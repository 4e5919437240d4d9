"""Types the request and response schemas of every domain share: safe text, UTC times, pages."""

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Generic, TypeVar

from fastapi import Depends, Query
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from app.db import as_utc

T = TypeVar("T")
MAX_LIMIT = 100
MAX_OFFSET = 1_000_000
DB_INT = 2**31 - 1
DB_BIGINT = 2**63 - 1


def _storable(value: str) -> str:
    # PostgreSQL text cannot hold NUL, and lone surrogates (valid in JSON escapes) cannot be encoded at all.
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ValueError("must be valid Unicode text") from exc
    return value


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be blank")
    return value


Text = Annotated[str, AfterValidator(_storable)]
Required = Annotated[str, StringConstraints(min_length=1), AfterValidator(_storable), AfterValidator(_not_blank)]
# Letters (any script), digits, "_", "." and "-": every id fits in a URL path segment as it is or percent-encoded.
ExternalId = Annotated[str, StringConstraints(pattern=r"^\w[\w.\-]{0,63}$")]
# The id of an existing record named in a body (ORG-0001, N-0001, lab-…): looked up, so only storable text.
Reference = Annotated[str, StringConstraints(min_length=1, max_length=64), AfterValidator(_storable)]


UtcDateTime = Annotated[datetime, AfterValidator(as_utc)]


class RequestModel(BaseModel):
    """Request bodies: unknown fields are an error, not silently dropped."""

    model_config = ConfigDict(extra="forbid")


class Page(BaseModel, Generic[T]):
    """One page of a list and where it sits in the whole."""

    items: list[T]
    total: int = Field(description="how many match the filters in all")
    limit: int
    offset: int


@dataclass(frozen=True)
class Pagination:
    """Which slice of a list to return."""

    limit: int
    offset: int


def pagination(limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="items per page")] = 20,
               offset: Annotated[int, Query(ge=0, le=MAX_OFFSET, description="items to skip")] = 0) -> Pagination:
    """limit/offset query parameters."""
    return Pagination(limit, offset)


PaginationDep = Annotated[Pagination, Depends(pagination)]
