"""API key endpoints: the secretariat issues keys; every key holder sees and can revoke its own."""

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Response, status

from app.auth import service as auth_service
from app.auth.dependencies import CurrentKey, Principal, SecretariatKey, WriterKey, current_key
from app.auth.models import ApiKey
from app.auth.schemas import KeyCreate, KeyCreated, KeyList, KeyRead
from app.dependencies import SessionDep
from app.errors import Forbidden
from app.messages import error
from app.schemas import DB_INT

router = APIRouter(prefix="/v1/keys", tags=["keys"], dependencies=[Depends(current_key)])
KeyId = Annotated[int, Path(ge=1, le=DB_INT)]


def _check_own(key: Principal, target: ApiKey) -> None:
    """Members may only revoke their own organization's keys."""
    if not key.is_secretariat and target.organization_id != key.organization_id:
        raise error(Forbidden, "forbidden.other_key", role=key.role, id=target.id, scope="organization")


@router.post("", status_code=status.HTTP_201_CREATED, response_model=KeyCreated, summary="Issue a key")
def create_key(key_in: KeyCreate, db_session: SessionDep, _key: SecretariatKey) -> KeyCreated:
    """新しいAPIキーを発行します（事務局のみ）。キーはこの応答でしか表示されません。"""
    key, token = auth_service.create_key(db_session=db_session, role=key_in.role, organization=key_in.organization,
                                         lab=key_in.lab, name=key_in.name)
    return KeyCreated(**KeyRead.of(key).model_dump(), key=token)


@router.get("", response_model=KeyList, summary="List keys")
def list_keys(db_session: SessionDep, key: CurrentKey) -> KeyList:
    """事務局はすべてのキー、会員とラボは自分のキーを一覧します（秘密部分は含みません）。"""
    keys = auth_service.list_keys(db_session=db_session, organization_id=key.organization_id, lab_id=key.lab,
                                  everyone=key.is_secretariat)
    return KeyList(items=[KeyRead.of(k) for k in keys])


@router.delete("/{key_id}", status_code=status.HTTP_204_NO_CONTENT, summary="Revoke a key")
def revoke_key(key_id: KeyId, db_session: SessionDep, key: WriterKey) -> Response:
    """キーを無効化します。会員は自分の団体のキーだけ無効化できます（ラボのキーは読み取り専用です。事務局に依頼してください）。"""
    target = auth_service.get_key(db_session=db_session, key_id=key_id)
    _check_own(key, target)
    auth_service.revoke_key(db_session=db_session, key=target)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
