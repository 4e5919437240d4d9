"""Member directory endpoints: every key reads it; the secretariat and the member itself change it."""

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Response, status

from app.auth.dependencies import (
    CurrentKey,
    ScopedIndustries,
    ScopedPrefecture,
    SecretariatKey,
    WriterKey,
    current_key,
    ensure_owner,
)
from app.dependencies import SessionDep
from app.organizations import service as organization_service
from app.organizations.schemas import OrganizationCreate, OrganizationRead, OrganizationUpdate
from app.roster.models import Organization
from app.roster.vocab import ROLES
from app.schemas import Page, PaginationDep

router = APIRouter(prefix="/v1/organizations", tags=["organizations"], dependencies=[Depends(current_key)])

RoleFilter = Annotated[Literal[ROLES] | None, Query(description="only members with this role")]  # type: ignore[valid-type]
Search = Annotated[str | None, Query(min_length=1, max_length=200, description="substring of name or description")]


def valid_organization(org_id: str, db_session: SessionDep) -> Organization:
    """The member named in the path, or 404."""
    return organization_service.get_organization(db_session=db_session, external_id=org_id)


ValidOrganization = Annotated[Organization, Depends(valid_organization)]


def owned_organization(key: WriterKey, org: ValidOrganization) -> Organization:
    """The member in the path, if the key may change it; 403 otherwise."""
    ensure_owner(key, org.id, org.external_id)
    return org


@router.get("", response_model=Page[OrganizationRead], response_model_exclude_unset=True, summary="List members")
def list_organizations(db_session: SessionDep, key: CurrentKey, page: PaginationDep, prefecture: ScopedPrefecture,
                       industries: ScopedIndustries, role: RoleFilter = None,
                       q: Search = None) -> Page[OrganizationRead]:
    """会員を県・役割・業種・キーワードで絞り込んで一覧します。ラボのキーでは、指定がなければラボの県と重点業種に絞ります。"""
    filters = organization_service.DirectoryFilters(prefecture=prefecture, role=role, industries=industries)
    orgs, total = organization_service.list_organizations(db_session=db_session, filters=filters, q=q,
                                                          limit=page.limit, offset=page.offset)
    return Page(items=[OrganizationRead.of(o, with_contact=key.owns(o.id)) for o in orgs], total=total,
                limit=page.limit, offset=page.offset)


@router.get("/{org_id}", response_model=OrganizationRead, response_model_exclude_unset=True, summary="One member")
def get_organization(org: ValidOrganization, key: CurrentKey) -> OrganizationRead:
    """会員の情報（ニーズ・シーズの一覧つき）。連絡先は事務局と本人にだけ表示します。"""
    return OrganizationRead.of(org, with_contact=key.owns(org.id))


@router.post("", status_code=status.HTTP_201_CREATED, response_model=OrganizationRead,
             response_model_exclude_unset=True, summary="Add a member")
def create_organization(organization_in: OrganizationCreate, db_session: SessionDep,
                        _key: SecretariatKey) -> OrganizationRead:
    """会員を登録します（事務局のみ）。id を省くと次の ORG-nnnn を採番します。"""
    org = organization_service.create_organization(db_session=db_session, organization_in=organization_in)
    return OrganizationRead.of(org, with_contact=True)


@router.patch("/{org_id}", response_model=OrganizationRead, response_model_exclude_unset=True,
              summary="Change a member")
def update_organization(organization_in: OrganizationUpdate, org: Annotated[Organization, Depends(owned_organization)],
                        db_session: SessionDep) -> OrganizationRead:
    """会員の情報を変更します（事務局、または会員本人）。"""
    org = organization_service.update_organization(db_session=db_session, organization=org,
                                                   organization_in=organization_in)
    return OrganizationRead.of(org, with_contact=True)


@router.delete("/{org_id}", status_code=status.HTTP_204_NO_CONTENT, summary="Remove a member")
def delete_organization(_key: SecretariatKey, org: ValidOrganization, db_session: SessionDep) -> Response:
    """会員をニーズ・シーズ・キー・フィードバックごと削除します（事務局のみ）。"""
    organization_service.delete_organization(db_session=db_session, organization=org)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
