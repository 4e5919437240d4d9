"""Lab endpoints: every key reads them; the secretariat changes a lab's origins and focus."""

from typing import Annotated

from fastapi import APIRouter, Depends, Request

from app.auth.dependencies import SecretariatKey, current_key
from app.dependencies import SessionDep
from app.errors import NotFound
from app.labs import service as lab_service
from app.labs.models import Lab
from app.labs.schemas import LabList, LabRead, LabUpdate
from app.messages import error

router = APIRouter(prefix="/v1/labs", tags=["labs"], dependencies=[Depends(current_key)])


def valid_lab(lab_id: str, db_session: SessionDep) -> Lab:
    """The lab named in the path, or 404."""
    try:
        return lab_service.get_lab(db_session=db_session, lab_id=lab_id)
    except NotFound as exc:
        raise error(NotFound, "not_found.lab", id=lab_id) from exc


ValidLab = Annotated[Lab, Depends(valid_lab)]


@router.get("", response_model=LabList, summary="List labs")
def list_labs(db_session: SessionDep) -> LabList:
    """九州の地方版IoT推進ラボの一覧。"""
    return LabList(items=[LabRead.model_validate(lab) for lab in lab_service.list_labs(db_session=db_session)])


@router.get("/{lab_id}", response_model=LabRead, summary="One lab")
def get_lab(lab: ValidLab) -> LabRead:
    """ラボの地域・構成団体・重点分野・許可するオリジン。"""
    return LabRead.model_validate(lab)


@router.patch("/{lab_id}", response_model=LabRead, summary="Change a lab's origins and focus")
def update_lab(lab_in: LabUpdate, lab: ValidLab, db_session: SessionDep, _key: SecretariatKey,
               request: Request) -> LabRead:
    """ラボのサイトのオリジン（CORS）・重点分野・重点業種を変更します（事務局のみ）。"""
    lab = lab_service.update_lab(db_session=db_session, lab=lab, values=lab_in.model_dump(exclude_unset=True))
    db_session.commit()  # before the origins are re-read, so the next request sees them
    request.app.state.allowed_origins.invalidate()
    return LabRead.model_validate(lab)
