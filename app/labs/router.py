"""Lab endpoints: read-only for every key."""

from fastapi import APIRouter, Depends

from app.auth.dependencies import current_key
from app.dependencies import SessionDep
from app.errors import NotFound
from app.labs import service as lab_service
from app.labs.schemas import LabList, LabRead
from app.messages import error

router = APIRouter(prefix="/v1/labs", tags=["labs"], dependencies=[Depends(current_key)])


@router.get("", response_model=LabList, summary="List labs")
def list_labs(db_session: SessionDep) -> LabList:
    """九州の地方版IoT推進ラボの一覧。"""
    return LabList(items=[LabRead.model_validate(lab) for lab in lab_service.list_labs(db_session=db_session)])


@router.get("/{lab_id}", response_model=LabRead, summary="One lab")
def get_lab(lab_id: str, db_session: SessionDep) -> LabRead:
    """ラボの地域・構成団体・重点分野。"""
    try:
        return LabRead.model_validate(lab_service.get_lab(db_session=db_session, lab_id=lab_id))
    except NotFound as exc:
        raise error(NotFound, "not_found.lab", id=lab_id) from exc
