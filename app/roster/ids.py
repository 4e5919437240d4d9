"""Numbered ids (ORG-0001, N-0001, S-0001) from a counter per prefix that never goes back.

An id once used is never handed out again, even after its record is deleted: feedback, event details and
links that name it must not come to mean another record. The counter row is updated in the creating
transaction, so concurrent creates wait for each other's number instead of drawing the same one (a row lock
on PostgreSQL, the write lock on SQLite), and a rolled-back create hands its number back unused.
"""

import re
from collections.abc import Iterable

from sqlalchemy import Integer, String, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, Session, mapped_column

from app.db import Base
from app.roster.models import Need, Organization, Seed

PREFIXES: dict[type[Organization] | type[Need] | type[Seed], str] = {Organization: "ORG", Need: "N", Seed: "S"}
NUMBERED = re.compile(r"^(ORG|N|S)-(\d{1,9})$")


class IdCounter(Base):
    """The highest number ever used with a prefix, by the service or by an id a roster or request chose."""

    __tablename__ = "id_counters"

    prefix: Mapped[str] = mapped_column(String(16), primary_key=True)
    last: Mapped[int] = mapped_column(Integer)


def numbered(external_id: str) -> tuple[str, int] | None:
    """(prefix, number) of an id of the form PREFIX-NNNN, else None."""
    match = NUMBERED.match(external_id)
    return (match.group(1), int(match.group(2))) if match else None


def _highest_in_table(db_session: Session, prefix: str) -> int:
    model = next(m for m, p in PREFIXES.items() if p == prefix)
    numbers = [found[1] for value in db_session.scalars(select(model.external_id))
               if (found := numbered(value)) and found[0] == prefix]
    return max(numbers, default=0)


def _create_row(db_session: Session, prefix: str) -> None:
    """Start a counter missing from the database at the highest id its table holds (another creator may win)."""
    row = {"prefix": prefix, "last": _highest_in_table(db_session, prefix)}
    dialect = db_session.get_bind().dialect.name
    if dialect == "postgresql":
        db_session.execute(postgresql.insert(IdCounter).values(row).on_conflict_do_nothing(index_elements=["prefix"]))
    elif dialect == "sqlite":
        db_session.execute(sqlite.insert(IdCounter).values(row).on_conflict_do_nothing(index_elements=["prefix"]))
    else:
        db_session.add(IdCounter(**row))
        db_session.flush()


def allocate(db_session: Session, prefix: str) -> str:
    """The next id of the prefix, e.g. N-0072; counted in this transaction."""
    bump = update(IdCounter).where(IdCounter.prefix == prefix).values(last=IdCounter.last + 1)
    if db_session.execute(bump).rowcount == 0:  # type: ignore[attr-defined]
        _create_row(db_session, prefix)
        db_session.execute(bump)
    number = db_session.scalar(select(IdCounter.last).where(IdCounter.prefix == prefix))
    assert number is not None
    return f"{prefix}-{number:04d}"


def note_used(db_session: Session, external_ids: Iterable[str]) -> None:
    """Raise the counters past ids chosen by a request or a roster, so they are never handed out later."""
    highest: dict[str, int] = {}
    for external_id in external_ids:
        found = numbered(external_id)
        if found:
            highest[found[0]] = max(highest.get(found[0], 0), found[1])
    for prefix in sorted(highest):  # one order everywhere, so two writers never wait for each other in a cycle
        raise_to = (update(IdCounter).where(IdCounter.prefix == prefix, IdCounter.last < highest[prefix])
                    .values(last=highest[prefix]))
        if db_session.execute(raise_to).rowcount == 0 and db_session.get(IdCounter, prefix) is None:  # type: ignore[attr-defined]
            _create_row(db_session, prefix)
            db_session.execute(raise_to)
