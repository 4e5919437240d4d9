"""Feedback endpoints: members and the secretariat say what came of a pair; the secretariat sees the totals."""

from typing import Annotated

from fastapi import APIRouter, Depends, Query, status

from app.auth.dependencies import SecretariatKey, WriterKey, current_key
from app.dependencies import SessionDep
from app.feedback import service as feedback_service
from app.feedback.schemas import FeedbackCreate, FeedbackRead, FeedbackSummary
from app.organizations import service as organization_service
from app.postings import service as posting_service
from app.roster.models import Need, Seed
from app.schemas import Page, PaginationDep, Reference

router = APIRouter(prefix="/v1/feedback", tags=["feedback"], dependencies=[Depends(current_key)])


@router.post("", status_code=status.HTTP_201_CREATED, response_model=FeedbackRead, summary="Give feedback on a pair")
def give_feedback(key: WriterKey, feedback_in: FeedbackCreate, db_session: SessionDep) -> FeedbackRead:
    """マッチした組み合わせ（ニーズとシーズ）への反応を記録します。履歴はすべて残ります。"""
    need = posting_service.get_posting(db_session=db_session, model=Need, external_id=feedback_in.need)
    seed = posting_service.get_posting(db_session=db_session, model=Seed, external_id=feedback_in.seed)
    organization = None if key.is_secretariat else organization_service.get_organization(
        db_session=db_session, external_id=key.organization or "")
    feedback = feedback_service.give_feedback(db_session=db_session, need=need, seed=seed, status=feedback_in.status,
                                              note=feedback_in.note, organization=organization,
                                              api_key_id=key.key_id)
    return FeedbackRead.of(feedback)


@router.get("", response_model=Page[FeedbackRead], summary="Feedback given, newest first")
def list_feedback(key: WriterKey, db_session: SessionDep, page: PaginationDep,
                  need: Annotated[Reference | None, Query(description="only statements on this need")] = None,
                  seed: Annotated[Reference | None, Query(description="only statements on this seed")] = None,
                  ) -> Page[FeedbackRead]:
    """記録した反応の履歴（新しい順）。会員は自分の団体の記録だけ、事務局はすべてを見られます。"""
    rows, total = feedback_service.list_feedback(
        db_session=db_session, organization=None if key.is_secretariat else key.organization, need=need, seed=seed,
        limit=page.limit, offset=page.offset)
    return Page(items=[FeedbackRead.of(f) for f in rows], total=total, limit=page.limit, offset=page.offset)


@router.get("/summary", response_model=FeedbackSummary, summary="Feedback per seed and need")
def feedback_summary(_key: SecretariatKey, db_session: SessionDep) -> FeedbackSummary:
    """シーズ・ニーズごとの反応の集計（事務局のみ）。各会員の最新の反応を1件として数えます。"""
    return FeedbackSummary.model_validate(feedback_service.summary(db_session=db_session))
