"""Introduction requests and responses."""

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from app.introductions.models import Introduction, IntroductionEvent
from app.introductions.service import MESSAGE_MAX, NOTE_MAX, REPLY_MAX, contacts_shown
from app.organizations.schemas import ContactRead, PostingRef
from app.roster.models import Organization
from app.schemas import Reference, RequestModel, Text, UtcDateTime

State = Literal["requested", "accepted", "declined", "withdrawn", "brokered"]
Step = Literal["contacted", "met", "deal"]


class IntroductionCreate(RequestModel):
    """A member asks to be introduced to the member on the other side of a pair with one of its needs or seeds."""

    model_config = ConfigDict(json_schema_extra={"examples": [
        {"need": "N-0001", "seed": "S-0042", "message": "稼働監視の導入を検討しています。一度お話を伺えますか。"}]})

    need: Reference
    seed: Reference
    message: Annotated[Text, StringConstraints(max_length=MESSAGE_MAX)] = Field(
        description=f"why you ask, up to {MESSAGE_MAX} characters; the other member reads it")


class IntroductionAnswer(RequestModel):
    """Accept or decline, optionally with a short reply the asker reads."""

    reply: Annotated[Text, StringConstraints(max_length=REPLY_MAX)] | None = None


class IntroductionStep(RequestModel):
    """How far the two members got; it also counts as your feedback on the pair."""

    step: Step
    note: Annotated[Text, StringConstraints(max_length=NOTE_MAX)] | None = None


class IntroductionNote(RequestModel):
    """A note of the secretariat (members do not see it)."""

    note: Annotated[Text, StringConstraints(max_length=NOTE_MAX)]


class IntroductionBroker(RequestModel):
    """The secretariat makes the introduction itself."""

    note: Annotated[Text, StringConstraints(max_length=NOTE_MAX)] | None = None


class IntroducedMember(BaseModel):
    id: str
    name: str
    contact: ContactRead | None = Field(
        default=None, description="only once accepted, and only for the two members (and the secretariat)")


class EventRead(BaseModel):
    kind: str = Field(description="requested, accepted, declined, withdrawn, brokered, nudged, contacted, met, "
                                  "deal; note (the secretariat's, shown to it only)")
    by: str | None = Field(description="the member that took the step; null for the secretariat or its reminders")
    note: str | None
    at: UtcDateTime

    @classmethod
    def of(cls, event: IntroductionEvent) -> "EventRead":
        return cls(kind=event.kind, by=event.organization.external_id if event.organization else None,
                   note=event.note, at=event.created_at)


class IntroductionRead(BaseModel):
    id: int
    need: PostingRef
    seed: PostingRef
    asker: IntroducedMember = Field(description="the member that asked")
    recipient: IntroducedMember = Field(description="the member asked")
    state: State
    message: str
    reply: str | None
    created_at: UtcDateTime
    answered_at: UtcDateTime | None
    last_nudged_at: UtcDateTime | None
    events: list[EventRead]

    @classmethod
    def of(cls, intro: Introduction, *, viewer: int | None) -> "IntroductionRead":
        """The introduction as the viewer (a member's organization id, or None for the secretariat) may see it."""
        shown = contacts_shown(intro, viewer)

        def member(org: Organization) -> IntroducedMember:
            has = org.contact_name or org.contact_email or org.contact_phone
            contact = ContactRead(name=org.contact_name, email=org.contact_email, phone=org.contact_phone)
            return IntroducedMember(id=org.external_id, name=org.name, contact=contact if shown and has else None)

        events = [EventRead.of(e) for e in intro.events if viewer is None or e.kind != "note"]
        return cls(id=intro.id, need=PostingRef(id=intro.need.external_id, title=intro.need.title),
                   seed=PostingRef(id=intro.seed.external_id, title=intro.seed.title),
                   asker=member(intro.asker), recipient=member(intro.recipient), state=intro.state,
                   message=intro.message, reply=intro.reply, created_at=intro.created_at,
                   answered_at=intro.answered_at, last_nudged_at=intro.last_nudged_at, events=events)
