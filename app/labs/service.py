"""Labs: upsert from the shipped data, list and get, and the origins of their sites."""

import re
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.errors import InvalidInput, NotFound
from app.labs.models import Lab
from app.labs.schemas import ORIGIN_PATTERN
from app.messages import error

LAB_FIELDS = ("name", "name_en", "prefecture", "city", "member_bodies", "focus_fields", "industries",
              "brand_color", "allowed_origins")


def upsert_labs(*, db_session: Session, labs_in: list[dict[str, Any]]) -> int:
    """Create or update labs by id; returns how many were written."""
    for rec in labs_in:
        lab = db_session.get(Lab, rec["id"]) or Lab(id=rec["id"])
        for key in LAB_FIELDS:
            if key in rec:
                setattr(lab, key, rec[key])
        db_session.add(lab)
    db_session.flush()
    return len(labs_in)


def update_lab(*, db_session: Session, lab: Lab, values: dict[str, Any]) -> Lab:
    """Change the given fields of a lab."""
    for key, value in values.items():
        if value is not None:
            setattr(lab, key, value)
    db_session.flush()
    return lab


def list_labs(*, db_session: Session) -> list[Lab]:
    """All labs in id order."""
    return list(db_session.scalars(select(Lab).order_by(Lab.id)))


def get_lab(*, db_session: Session, lab_id: str) -> Lab:
    """One lab, or NotFound."""
    lab = db_session.get(Lab, lab_id)
    if lab is None:
        raise error(NotFound, "not_found.lab", id=lab_id)
    return lab


def allow_origin(*, db_session: Session, lab: Lab, origin: str) -> bool:
    """Let the lab's site at the origin embed the search and call the API; False if it already could."""
    if not re.fullmatch(ORIGIN_PATTERN, origin):
        raise error(InvalidInput, "invalid.origin", field="origin", origin=origin)
    if origin in (lab.allowed_origins or []):
        return False
    lab.allowed_origins = [*(lab.allowed_origins or []), origin]  # a new list, so the JSON column is written
    db_session.flush()
    return True


def remove_origin(*, db_session: Session, lab: Lab, origin: str) -> bool:
    """Stop allowing the origin for the lab; False if it was not allowed."""
    if origin not in (lab.allowed_origins or []):
        return False
    lab.allowed_origins = [o for o in lab.allowed_origins if o != origin]
    db_session.flush()
    return True
