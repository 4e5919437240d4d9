"""Typed inputs of the ranking: organizations and their needs and seeds, free of any ORM."""

from dataclasses import dataclass, field


@dataclass(frozen=True)
class OrgInfo:
    """What the ranking knows of a member."""

    id: str
    name: str
    roles: tuple[str, ...]
    prefecture: str
    industry: str
    support_type: str | None = None


@dataclass(frozen=True)
class Document:
    """A need or a seed as the ranking sees it."""

    id: str
    kind: str  # "need" | "seed"
    title: str
    description: str
    org: OrgInfo
    tags: tuple[str, ...] = ()
    industries_served: tuple[str, ...] = field(default=())
    service_area: tuple[str, ...] = ()  # seeds: prefectures where the offer is available as stated; () none stated

    @property
    def text(self) -> str:
        """Title, description and tags: what the lexical channels read."""
        return "\n".join([self.title, self.description, " ".join(self.tags)])
