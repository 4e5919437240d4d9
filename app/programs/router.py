"""Support-program endpoints: suggestions and the catalog (router), catalog changes (admin_router).

Neither router authenticates; app.main includes them behind its key dependencies. Changes are
recorded with the actor an auth dependency leaves in ``request.state.actor`` (else "api").
"""

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Path, Query, Request
from sqlalchemy.orm import Session

from app.dependencies import SessionDep
from app.programs import service
from app.programs.models import ProgramRecord
from app.programs.schemas import (
    EXAMPLE_PROGRAM,
    ProgramHistory,
    ProgramList,
    ProgramRead,
    SuggestionIn,
    SuggestionRead,
)

router = APIRouter(prefix="/v1", tags=["programs"])
admin_router = APIRouter(prefix="/v1", tags=["programs"])

ProgramId = Annotated[str, Path(max_length=100, description="施策のID（例: monozukuri-general）")]
ProgramDocument = Annotated[
    dict[str, Any],
    Body(
        description="施策の文書（seed/programs.yaml の1件と同じ形式。スキーマは app/programs/catalog.py の Program）。"
        "不正な値はすべての問題を列挙した 422 になります。",
        openapi_examples={"subsidy": {"summary": "補助金の例", "value": EXAMPLE_PROGRAM}},
    ),
]


def get_actor(request: Request) -> str:
    """Who is changing the catalog: set by the auth dependency as request.state.actor, else "api"."""
    actor = getattr(request.state, "actor", None)
    return str(actor) if actor else "api"


ActorDep = Annotated[str, Depends(get_actor)]


@router.post("/programs/suggestions", response_model=SuggestionRead, summary="Support programs for a member")
def program_suggestions(suggestion_in: SuggestionIn, db_session: SessionDep) -> dict[str, Any]:
    """会員（と連携する会員）が使える支援施策を判定します。

    施策ごとに「対象になる見込み」「要確認」「対象外」を、満たす条件・確認が必要な条件・満たさない条件の
    日本語の理由とともに返します。投資額があれば補助額（税制なら税額控除額）の見込みも計算します。
    """
    return service.suggest(
        db_session=db_session,
        org_id=suggestion_in.organization,
        need_id=suggestion_in.need,
        partner_ids=suggestion_in.partners,
        investment_jpy=suggestion_in.investment_jpy,
        as_of=suggestion_in.as_of,
        flags=suggestion_in.flags,
    )


@router.get("/programs", response_model=ProgramList, summary="The support-program catalog")
def list_programs(
    db_session: SessionDep,
    include_retired: Annotated[bool, Query(description="廃止した施策も含める")] = False,
) -> dict[str, Any]:
    """支援施策の一覧（ID順）。"""
    records = service.list_programs(db_session=db_session, include_retired=include_retired)
    revisions = service.latest_revisions(db_session=db_session)
    return {"programs": [service.program_record(r, revision=revisions.get(r.id)) for r in records]}


@router.get("/programs/{program_id}", response_model=ProgramRead, summary="One support program")
def get_program(program_id: ProgramId, db_session: SessionDep) -> dict[str, Any]:
    """支援施策1件（廃止済みも取得できます）。"""
    record = service.get_program(db_session=db_session, program_id=program_id)
    return _read(db_session, record)


@router.get("/programs/{program_id}/history", response_model=ProgramHistory, summary="Changes of a program")
def program_history(program_id: ProgramId, db_session: SessionDep) -> dict[str, Any]:
    """支援施策の変更履歴（登録・更新・廃止、古い順）。"""
    revisions = service.program_history(db_session=db_session, program_id=program_id)
    return {"program": program_id, "revisions": [service.revision_record(r) for r in revisions]}


@admin_router.post("/programs", response_model=ProgramRead, status_code=201, summary="Add a support program")
def create_program(program_in: ProgramDocument, db_session: SessionDep, actor: ActorDep) -> dict[str, Any]:
    """支援施策を登録します（廃止済みのIDなら新しい文書で復活します）。"""
    record = service.create_program(db_session=db_session, program_in=program_in, changed_by=actor)
    return _read(db_session, record)


@admin_router.put("/programs/{program_id}", response_model=ProgramRead, summary="Change a support program")
def update_program(
    program_id: ProgramId, program_in: ProgramDocument, db_session: SessionDep, actor: ActorDep
) -> dict[str, Any]:
    """支援施策の文書を置き換えます。変更がなければ版は増えません。"""
    record = service.update_program(db_session=db_session, program_id=program_id, program_in=program_in,
                                    changed_by=actor)
    return _read(db_session, record)


@admin_router.delete("/programs/{program_id}", response_model=ProgramRead, summary="Retire a support program")
def retire_program(program_id: ProgramId, db_session: SessionDep, actor: ActorDep) -> dict[str, Any]:
    """支援施策を廃止します。提案と一覧から外れますが、文書と履歴は残ります。"""
    record = service.retire_program(db_session=db_session, program_id=program_id, changed_by=actor)
    return _read(db_session, record)


def _read(db_session: Session, record: ProgramRecord) -> dict[str, Any]:
    revision = service.latest_revision(db_session=db_session, program_id=record.id)
    return service.program_record(record, revision=revision)
