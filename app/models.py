"""Every ORM model, imported in one place so metadata is complete for Alembic and tests."""

from app.db import Base
from app.labs.models import Lab
from app.matches.models import EmbeddingCache
from app.programs.models import ProgramRecord, ProgramRevision
from app.roster.models import Need, Organization, Seed

__all__ = ["Base", "EmbeddingCache", "Lab", "Need", "Organization", "ProgramRecord", "ProgramRevision", "Seed"]
