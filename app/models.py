"""Every ORM model, imported in one place so metadata is complete for Alembic and tests."""

from app.accounts.models import Invitation, Person, SignInLink
from app.alerts.models import (
    AlertCheck,
    AlertNotification,
    AlertOptOut,
    AlertPreference,
    LabWebhook,
    NeedAlertSwitch,
    SavedSearch,
)
from app.auth.models import ApiKey
from app.db import Base
from app.events.models import Event, EventCandidate, EventMeeting, EventParticipant, EventRequest, EventSlot
from app.feedback.models import Feedback
from app.introductions.models import Introduction, IntroductionEvent
from app.labs.models import Lab
from app.matches.models import EmbeddingCache
from app.notifications.models import OutboxMessage
from app.programs.models import ProgramRecord, ProgramRevision
from app.ratelimit import RateLimitBucket
from app.roster.ids import IdCounter
from app.roster.models import Need, Organization, Seed
from app.seeding.models import SeedLoad
from app.web.models import WebSignIn

__all__ = [
    "AlertCheck",
    "AlertNotification",
    "AlertOptOut",
    "AlertPreference",
    "ApiKey",
    "Base",
    "EmbeddingCache",
    "Event",
    "EventCandidate",
    "EventMeeting",
    "EventParticipant",
    "EventRequest",
    "EventSlot",
    "Feedback",
    "IdCounter",
    "Introduction",
    "IntroductionEvent",
    "Invitation",
    "Lab",
    "LabWebhook",
    "Need",
    "NeedAlertSwitch",
    "Organization",
    "OutboxMessage",
    "Person",
    "ProgramRecord",
    "ProgramRevision",
    "RateLimitBucket",
    "SavedSearch",
    "Seed",
    "SeedLoad",
    "SignInLink",
    "WebSignIn",
]
