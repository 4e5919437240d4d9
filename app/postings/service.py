"""Needs and seeds: one set of functions for both, told apart by the model."""

from typing import TypeVar

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, selectinload

from app.errors import NotFound
from app.messages import error
from app.organizations import service as organization_service
from app.postings.schemas import NeedCreate, NeedUpdate, SeedCreate, SeedUpdate
from app.roster.models import Need, Organization, Seed

P = TypeVar("P", Need, Seed)


def kind_of(model: type[Need] | type[Seed]) -> str:
    """'need' or 'seed'."""
    return "need" if model is Need else "seed"


def list_postings(*, db_session: Session, model: type[P], filters: organization_service.DirectoryFilters,
                  q: str | None, limit: int, offset: int) -> tuple[list[P], int]:
    """Needs or seeds whose member passes the filters (q: substring of title or description), id order."""
    conditions = organization_service.organization_conditions(filters)
    if q:
        conditions.append(or_(model.title.icontains(q, autoescape=True),
                              model.description.icontains(q, autoescape=True)))
    joined = select(model).join(Organization, model.organization_id == Organization.id).where(*conditions)
    total = db_session.scalar(select(func.count()).select_from(joined.subquery())) or 0
    rows = db_session.scalars(joined.options(selectinload(model.organization))
                              .order_by(model.external_id).limit(limit).offset(offset))
    return list(rows), total


def get_posting(*, db_session: Session, model: type[P], external_id: str) -> P:
    """One need or seed by its id, or NotFound."""
    posting = db_session.scalar(select(model).where(model.external_id == external_id))
    if posting is None:
        raise error(NotFound, f"not_found.{kind_of(model)}", id=external_id)
    return posting


def create_posting(*, db_session: Session, model: type[P], organization: Organization,
                   posting_in: NeedCreate | SeedCreate) -> P:
    """A new need or seed at the end of the member's list; Conflict if the id is taken."""
    kind = kind_of(model)
    external_id = organization_service.new_external_id(db_session=db_session, model=model, chosen=posting_in.id,
                                                       kind=kind)
    current = organization.needs if model is Need else organization.seeds
    posting = model(external_id=external_id, organization=organization,
                    position=max((p.position for p in current), default=-1) + 1,
                    **posting_in.model_dump(exclude={"id", "organization"}))
    organization_service.flush_new(db_session, posting, kind)
    return posting


def update_posting(*, db_session: Session, posting: P, posting_in: NeedUpdate | SeedUpdate) -> P:
    """Change the fields the request set."""
    values = posting_in.model_dump(exclude_unset=True)
    for key, value in values.items():
        setattr(posting, key, value)
    organization_service.note_source_keys(posting, [k for k, v in values.items() if v is not None])
    db_session.flush()
    return posting


def delete_posting(*, db_session: Session, posting: Need | Seed) -> None:
    """Remove a need or seed (and the feedback on it)."""
    db_session.delete(posting)
    db_session.flush()
