"""Need and seed endpoints: every key reads them; the secretariat and the owning member change them."""

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response, status
from sqlalchemy.orm import Session

from app.auth.dependencies import Principal, ScopedIndustries, ScopedPrefecture, WriterKey, current_key, ensure_owner
from app.dependencies import SessionDep
from app.errors import InvalidInput
from app.messages import error
from app.organizations import service as organization_service
from app.organizations.router import RoleFilter
from app.postings import service as posting_service
from app.postings.schemas import NeedCreate, NeedRead, NeedUpdate, SeedCreate, SeedRead, SeedUpdate
from app.roster.models import Need, Organization, Seed
from app.schemas import Page, PaginationDep

needs_router = APIRouter(prefix="/v1/needs", tags=["needs"], dependencies=[Depends(current_key)])
seeds_router = APIRouter(prefix="/v1/seeds", tags=["seeds"], dependencies=[Depends(current_key)])

OrganizationFilter = Annotated[str | None, Query(max_length=64, description="only this member's, e.g. ORG-0001")]
Search = Annotated[str | None, Query(min_length=1, max_length=200, description="substring of title or description")]


def _filters(prefecture: str | None, role: str | None, industries: tuple[str, ...] | None,
             organization: str | None) -> organization_service.DirectoryFilters:
    return organization_service.DirectoryFilters(prefecture=prefecture, role=role, industries=industries,
                                                 organization=organization)


def _owner_for_new(db_session: Session, key: Principal, organization: str | None, kind: str) -> Organization:
    """The member a new posting goes to: the one named (403 if not the key's own), else the key's own."""
    if organization is None:
        if key.organization is None:
            raise error(InvalidInput, "invalid.organization_required", field="organization", kind=kind)
        organization = key.organization
    org = organization_service.get_organization(db_session=db_session, external_id=organization)
    ensure_owner(key, org.id, org.external_id)
    return org


def valid_need(need_id: str, db_session: SessionDep) -> Need:
    """The need named in the path, or 404."""
    return posting_service.get_posting(db_session=db_session, model=Need, external_id=need_id)


def valid_seed(seed_id: str, db_session: SessionDep) -> Seed:
    """The seed named in the path, or 404."""
    return posting_service.get_posting(db_session=db_session, model=Seed, external_id=seed_id)


ValidNeed = Annotated[Need, Depends(valid_need)]
ValidSeed = Annotated[Seed, Depends(valid_seed)]


def owned_need(key: WriterKey, need: ValidNeed) -> Need:
    """The need in the path, if the key may change it; 403 otherwise."""
    ensure_owner(key, need.organization_id, need.external_id)
    return need


def owned_seed(key: WriterKey, seed: ValidSeed) -> Seed:
    """The seed in the path, if the key may change it; 403 otherwise."""
    ensure_owner(key, seed.organization_id, seed.external_id)
    return seed


@needs_router.get("", response_model=Page[NeedRead], summary="List needs")
def list_needs(db_session: SessionDep, page: PaginationDep, prefecture: ScopedPrefecture,
               industries: ScopedIndustries, role: RoleFilter = None, organization: OrganizationFilter = None,
               q: Search = None) -> Page[NeedRead]:
    """ニーズを会員の県・役割・業種・キーワードで絞り込んで一覧します。ラボのキーは既定でラボの県と重点業種に絞ります。"""
    needs, total = posting_service.list_postings(
        db_session=db_session, model=Need, filters=_filters(prefecture, role, industries, organization), q=q,
        limit=page.limit, offset=page.offset)
    return Page(items=[NeedRead.of(n) for n in needs], total=total, limit=page.limit, offset=page.offset)


@needs_router.get("/{need_id}", response_model=NeedRead, summary="One need")
def get_need(need: ValidNeed) -> NeedRead:
    """ニーズの内容と、それを出した会員。"""
    return NeedRead.of(need)


@needs_router.post("", status_code=status.HTTP_201_CREATED, response_model=NeedRead, summary="Post a need")
def create_need(key: WriterKey, need_in: NeedCreate, db_session: SessionDep) -> NeedRead:
    """ニーズを登録します。会員は自分の団体のニーズだけ登録できます。"""
    org = _owner_for_new(db_session, key, need_in.organization, "need")
    return NeedRead.of(posting_service.create_posting(
        db_session=db_session, model=Need, organization=org, posting_in=need_in))


@needs_router.patch("/{need_id}", response_model=NeedRead, summary="Change a need")
def update_need(need_in: NeedUpdate, need: Annotated[Need, Depends(owned_need)], db_session: SessionDep) -> NeedRead:
    """ニーズを変更します（事務局、またはニーズを出した会員）。"""
    return NeedRead.of(posting_service.update_posting(
        db_session=db_session, posting=need, posting_in=need_in))


@needs_router.delete("/{need_id}", status_code=status.HTTP_204_NO_CONTENT, summary="Remove a need")
def delete_need(need: Annotated[Need, Depends(owned_need)], db_session: SessionDep) -> Response:
    """ニーズを削除します（事務局、またはニーズを出した会員）。"""
    posting_service.delete_posting(db_session=db_session, posting=need)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@seeds_router.get("", response_model=Page[SeedRead], summary="List seeds")
def list_seeds(db_session: SessionDep, page: PaginationDep, prefecture: ScopedPrefecture,
               industries: ScopedIndustries, role: RoleFilter = None, organization: OrganizationFilter = None,
               q: Search = None) -> Page[SeedRead]:
    """シーズを会員の県・役割・業種・キーワードで絞り込んで一覧します。ラボのキーは既定でラボの県と重点業種に絞ります。"""
    seeds, total = posting_service.list_postings(
        db_session=db_session, model=Seed, filters=_filters(prefecture, role, industries, organization), q=q,
        limit=page.limit, offset=page.offset)
    return Page(items=[SeedRead.of(s) for s in seeds], total=total, limit=page.limit, offset=page.offset)


@seeds_router.get("/{seed_id}", response_model=SeedRead, summary="One seed")
def get_seed(seed: ValidSeed) -> SeedRead:
    """シーズの内容と、それを出した会員。"""
    return SeedRead.of(seed)


@seeds_router.post("", status_code=status.HTTP_201_CREATED, response_model=SeedRead, summary="Post a seed")
def create_seed(key: WriterKey, seed_in: SeedCreate, db_session: SessionDep) -> SeedRead:
    """シーズを登録します。会員は自分の団体のシーズだけ登録できます。"""
    org = _owner_for_new(db_session, key, seed_in.organization, "seed")
    return SeedRead.of(posting_service.create_posting(
        db_session=db_session, model=Seed, organization=org, posting_in=seed_in))


@seeds_router.patch("/{seed_id}", response_model=SeedRead, summary="Change a seed")
def update_seed(seed_in: SeedUpdate, seed: Annotated[Seed, Depends(owned_seed)], db_session: SessionDep) -> SeedRead:
    """シーズを変更します（事務局、またはシーズを出した会員）。"""
    return SeedRead.of(posting_service.update_posting(
        db_session=db_session, posting=seed, posting_in=seed_in))


@seeds_router.delete("/{seed_id}", status_code=status.HTTP_204_NO_CONTENT, summary="Remove a seed")
def delete_seed(seed: Annotated[Seed, Depends(owned_seed)], db_session: SessionDep) -> Response:
    """シーズを削除します（事務局、またはシーズを出した会員）。"""
    posting_service.delete_posting(db_session=db_session, posting=seed)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
