"""Introduction endpoints: members ask, answer and record how far they got; the secretariat follows the queue."""

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, status

from app.auth.dependencies import Principal, SecretariatKey, WriterKey, current_key
from app.dependencies import SessionDep, SettingsDep
from app.errors import Forbidden
from app.introductions import service as introduction_service
from app.introductions.models import Introduction
from app.introductions.schemas import (
    IntroductionAnswer,
    IntroductionBroker,
    IntroductionCreate,
    IntroductionNote,
    IntroductionRead,
    IntroductionStep,
    State,
)
from app.introductions.service import Actor
from app.messages import error
from app.organizations import service as organization_service
from app.postings import service as posting_service
from app.roster.models import Need, Seed
from app.schemas import DB_INT, Page, PaginationDep

IntroductionId = Annotated[int, Path(ge=1, le=DB_INT, description="the introduction's id")]
router = APIRouter(prefix="/v1/introductions", tags=["introductions"], dependencies=[Depends(current_key)])


def actor_of(db_session: SessionDep, key: Principal) -> Actor:
    """The member (or the secretariat) the key acts for."""
    if key.is_secretariat:
        return Actor(key.actor, None, key.key_id)
    org = organization_service.get_organization(db_session=db_session, external_id=key.organization or "")
    return Actor(key.actor, org, key.key_id)


def _viewer(key: Principal) -> int | None:
    return None if key.is_secretariat else key.organization_id


def _load(db_session: SessionDep, key: Principal, introduction_id: int) -> Introduction:
    """The introduction if the key may see it: the secretariat, or one of its two members (404 for anyone else)."""
    intro = introduction_service.get_introduction(db_session=db_session, introduction_id=introduction_id)
    introduction_service.ensure_party(intro, _viewer(key))
    return intro



@router.post("", status_code=status.HTTP_201_CREATED, response_model=IntroductionRead,
             summary="Ask for an introduction")
def ask(key: WriterKey, body: IntroductionCreate, db_session: SessionDep) -> IntroductionRead:
    """自分のニーズ（またはシーズ）と相手のシーズ（またはニーズ）の組み合わせについて、相手の会員への紹介を依頼します。
    相手には依頼とメッセージがメールで届きます。承諾されるまで、どちらの連絡先も相手には見えません。"""
    if key.is_secretariat:
        raise error(Forbidden, "forbidden.introduction_members_only")
    need = posting_service.get_posting(db_session=db_session, model=Need, external_id=body.need)
    seed = posting_service.get_posting(db_session=db_session, model=Seed, external_id=body.seed)
    intro = introduction_service.ask(db_session=db_session, need=need, seed=seed, message=body.message,
                                     actor=actor_of(db_session, key))
    return IntroductionRead.of(intro, viewer=_viewer(key))


@router.get("", response_model=Page[IntroductionRead], summary="Introductions, newest first")
def list_introductions(key: WriterKey, db_session: SessionDep, page: PaginationDep,
                       state: Annotated[State | None, Query(description="only introductions in this state")] = None,
                       older_than_days: Annotated[int | None, Query(
                           ge=0, le=3650, description="only those asked at least this many days ago")] = None,
                       ) -> Page[IntroductionRead]:
    """紹介依頼の一覧（新しい順）。会員は自分が依頼した・依頼されたものだけ、事務局はすべてを見られます。"""
    rows, total = introduction_service.list_introductions(
        db_session=db_session, organization_id=_viewer(key), state=state, older_than_days=older_than_days,
        limit=page.limit, offset=page.offset)
    return Page(items=[IntroductionRead.of(i, viewer=_viewer(key)) for i in rows], total=total, limit=page.limit,
                offset=page.offset)


@router.get("/{introduction_id}", response_model=IntroductionRead, summary="One introduction")
def get_introduction(key: WriterKey, introduction_id: IntroductionId, db_session: SessionDep) -> IntroductionRead:
    """紹介依頼の内容と経過。承諾後は、当事者の2会員に互いの連絡先が含まれます。"""
    return IntroductionRead.of(_load(db_session, key, introduction_id), viewer=_viewer(key))


@router.post("/{introduction_id}/accept", response_model=IntroductionRead, summary="Accept an introduction")
def accept(key: WriterKey, introduction_id: IntroductionId, body: IntroductionAnswer,
           db_session: SessionDep) -> IntroductionRead:
    """依頼された会員が承諾します。双方に相手の連絡先が見えるようになり、メールでも届きます。"""
    intro = _load(db_session, key, introduction_id)
    introduction_service.accept(db_session=db_session, intro=intro, reply=body.reply, actor=actor_of(db_session, key))
    return IntroductionRead.of(intro, viewer=_viewer(key))


@router.post("/{introduction_id}/decline", response_model=IntroductionRead, summary="Decline an introduction")
def decline(key: WriterKey, introduction_id: IntroductionId, body: IntroductionAnswer,
            db_session: SessionDep) -> IntroductionRead:
    """依頼された会員が辞退します。依頼した会員の連絡先は見えないままで、この組み合わせは依頼者にもう提案されません。"""
    intro = _load(db_session, key, introduction_id)
    introduction_service.decline(db_session=db_session, intro=intro, reply=body.reply,
                                 actor=actor_of(db_session, key))
    return IntroductionRead.of(intro, viewer=_viewer(key))


@router.post("/{introduction_id}/withdraw", response_model=IntroductionRead, summary="Withdraw an introduction")
def withdraw(key: WriterKey, introduction_id: IntroductionId, db_session: SessionDep) -> IntroductionRead:
    """依頼した会員が、回答前の依頼を取り下げます。"""
    intro = _load(db_session, key, introduction_id)
    introduction_service.withdraw(db_session=db_session, intro=intro, actor=actor_of(db_session, key))
    return IntroductionRead.of(intro, viewer=_viewer(key))


@router.post("/{introduction_id}/steps", response_model=IntroductionRead, summary="Record how far it got")
def record_step(key: WriterKey, introduction_id: IntroductionId, body: IntroductionStep,
                db_session: SessionDep) -> IntroductionRead:
    """承諾（または事務局の仲介）の後、連絡した・面談した・成約した、を記録します。組み合わせへの反応としても数えます。"""
    intro = _load(db_session, key, introduction_id)
    introduction_service.record_step(db_session=db_session, intro=intro, step=body.step, note=body.note,
                                     actor=actor_of(db_session, key))
    return IntroductionRead.of(intro, viewer=_viewer(key))


@router.post("/{introduction_id}/notes", response_model=IntroductionRead, summary="Add a note (secretariat)")
def add_note(key: SecretariatKey, introduction_id: IntroductionId, body: IntroductionNote,
             db_session: SessionDep) -> IntroductionRead:
    """事務局のメモを残します（会員には見えません）。"""
    intro = _load(db_session, key, introduction_id)
    introduction_service.add_note(db_session=db_session, intro=intro, note=body.note,
                                  actor=actor_of(db_session, key))
    return IntroductionRead.of(intro, viewer=None)


@router.post("/{introduction_id}/nudge", response_model=IntroductionRead, summary="Remind the member asked")
def nudge(key: SecretariatKey, introduction_id: IntroductionId, db_session: SessionDep,
          settings: SettingsDep) -> IntroductionRead:
    """回答のない依頼について、依頼された会員に催促のメールを送ります（同じ依頼には期間ごとに1回まで）。"""
    intro = _load(db_session, key, introduction_id)
    introduction_service.nudge(db_session=db_session, intro=intro, actor=actor_of(db_session, key),
                               period=timedelta(days=max(1, settings.introduction_nudge_days)))
    return IntroductionRead.of(intro, viewer=None)


@router.post("/{introduction_id}/broker", response_model=IntroductionRead, summary="Broker it (secretariat)")
def broker(key: SecretariatKey, introduction_id: IntroductionId, body: IntroductionBroker,
           db_session: SessionDep) -> IntroductionRead:
    """事務局が自ら両会員を引き合わせることにして、その旨を記録します。"""
    intro = _load(db_session, key, introduction_id)
    introduction_service.broker(db_session=db_session, intro=intro, note=body.note, actor=actor_of(db_session, key))
    return IntroductionRead.of(intro, viewer=None)
