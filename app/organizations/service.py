"""Members: list with filters, get, create, update, delete. Writes keep the record valid in the exchange format."""

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, String, cast, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from app.errors import Conflict, InvalidInput, NotFound
from app.messages import error, reason
from app.organizations.schemas import OrganizationCreate, OrganizationUpdate
from app.roster import ids
from app.roster.exchange import organization_record
from app.roster.models import Need, Organization, Seed
from app.roster.validation import validate_roster
from app.roster.vocab import FORMAT

CONTACT_COLUMNS = {"name": "contact_name", "email": "contact_email", "phone": "contact_phone"}


@dataclass(frozen=True)
class DirectoryFilters:
    """Filters on members, shared by the member, need and seed lists."""

    prefecture: str | None = None
    role: str | None = None
    industries: tuple[str, ...] | None = None
    organization: str | None = None


def organization_conditions(filters: DirectoryFilters) -> list[ColumnElement[bool]]:
    """WHERE conditions on Organization for the filters."""
    conditions: list[ColumnElement[bool]] = []
    if filters.prefecture is not None:
        conditions.append(Organization.prefecture == filters.prefecture)
    if filters.industries is not None:
        conditions.append(Organization.industry.in_(filters.industries))
    if filters.organization is not None:
        conditions.append(Organization.external_id == filters.organization)
    if filters.role is not None:
        # roles is a JSON list of closed-vocabulary words; its text holds "role" with the quotes on both backends.
        conditions.append(cast(Organization.roles, String).contains(f'"{filters.role}"', autoescape=True))
    return conditions


def list_organizations(*, db_session: Session, filters: DirectoryFilters, q: str | None, limit: int,
                       offset: int) -> tuple[list[Organization], int]:
    """Members matching the filters (q: substring of name or description, never of contact data), id order."""
    conditions = organization_conditions(filters)
    if q:
        conditions.append(or_(Organization.name.icontains(q, autoescape=True),
                              Organization.name_en.icontains(q, autoescape=True),
                              Organization.description.icontains(q, autoescape=True)))
    total = db_session.scalar(select(func.count(Organization.id)).where(*conditions)) or 0
    rows = db_session.scalars(
        select(Organization).where(*conditions)
        .options(selectinload(Organization.needs), selectinload(Organization.seeds))
        .order_by(Organization.external_id).limit(limit).offset(offset))
    return list(rows), total


def get_organization(*, db_session: Session, external_id: str) -> Organization:
    """One member by its id, or NotFound."""
    org = db_session.scalar(select(Organization).where(Organization.external_id == external_id))
    if org is None:
        raise error(NotFound, "not_found.organization", id=external_id)
    return org


def new_external_id(*, db_session: Session, model: type[Organization] | type[Need] | type[Seed],
                    chosen: str | None, kind: str) -> str:
    """The id a new record gets: the next number of its kind, or the one the request chose (Conflict if taken)."""
    if chosen is None:
        return ids.allocate(db_session, ids.PREFIXES[model])
    ensure_id_free(db_session=db_session, model=model, external_id=chosen, kind=kind)
    ids.note_used(db_session, [chosen])
    return chosen


def ensure_id_free(*, db_session: Session, model: type[Organization] | type[Need] | type[Seed],
                   external_id: str, kind: str) -> None:
    """Conflict if the id is taken."""
    if db_session.scalar(select(model.id).where(model.external_id == external_id)) is not None:
        raise error(Conflict, "conflict.id_taken", field="id", id=external_id, kind=kind)


def note_source_keys(obj: Organization | Need | Seed, keys: list[str]) -> None:
    """Add keys to an imported record's source keys, so an export writes the values just set."""
    if obj.source_keys is not None:
        obj.source_keys = obj.source_keys + [k for k in keys if k not in obj.source_keys]


def flush_new(db_session: Session, obj: Any, kind: str) -> None:
    """Flush a new record; a concurrent insert of the same id becomes a Conflict."""
    db_session.add(obj)
    try:
        db_session.flush()
    except IntegrityError as exc:
        raise error(Conflict, "conflict.id_taken", field="id", id=obj.external_id, kind=kind) from exc


def _check_record(org: Organization) -> None:
    """InvalidInput unless the member, as an export would write it, passes the exchange-format checks."""
    problems = validate_roster({"format": FORMAT, "organizations": [organization_record(org)]})
    if problems:
        first = problems[0]
        raise error(InvalidInput, "invalid.record", field=first.field, reason=reason(first.reason))


def _apply(org: Organization, values: dict[str, Any]) -> list[str]:
    """Set the columns; returns the exchange-format keys that now hold a value."""
    keys = []
    contact = values.pop("contact", ...)
    if contact is not ...:
        for name, column in CONTACT_COLUMNS.items():
            if contact is None or name in contact:
                setattr(org, column, None if contact is None else contact[name])
        if contact:
            keys += ["contact"] + [f"contact.{k}" for k, v in contact.items() if v is not None]
    for key, value in values.items():
        setattr(org, key, value)
        if value is not None:
            keys.append(key)
    return keys


def create_organization(*, db_session: Session, organization_in: OrganizationCreate) -> Organization:
    """A new member from the request; Conflict if the id is taken."""
    values = organization_in.model_dump(exclude={"id"})
    external_id = new_external_id(db_session=db_session, model=Organization, chosen=organization_in.id,
                                  kind="organization")
    org = Organization(external_id=external_id, needs=[], seeds=[])
    _apply(org, values)
    _check_record(org)
    flush_new(db_session, org, "organization")
    return org


def update_organization(*, db_session: Session, organization: Organization,
                        organization_in: OrganizationUpdate) -> Organization:
    """Change the fields the request set; the result must still be a valid record."""
    keys = _apply(organization, organization_in.model_dump(exclude_unset=True))
    note_source_keys(organization, keys)
    _check_record(organization)
    db_session.flush()
    return organization


def delete_organization(*, db_session: Session, organization: Organization) -> None:
    """Remove the member with its needs, seeds, keys and feedback."""
    db_session.delete(organization)
    db_session.flush()
