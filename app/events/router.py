"""Event endpoints: the secretariat runs events; members register and state requests for their own member."""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Response, status
from fastapi.responses import HTMLResponse, JSONResponse

from app.auth.dependencies import (
    CurrentKey,
    Principal,
    ScopedPrefecture,
    SecretariatKey,
    WriterKey,
    current_key,
    ensure_owner,
)
from app.db import utcnow
from app.dependencies import SessionDep
from app.errors import Forbidden, InvalidInput
from app.events import edits, exports, outcomes, planning, themes
from app.events import service as event_service
from app.events.models import Event, EventParticipant
from app.events.schemas import (
    EventCreate,
    EventRead,
    EventUpdate,
    MeetingCreate,
    MeetingRead,
    MeetingUpdate,
    OutcomeIn,
    ParticipantCreate,
    ParticipantRead,
    ParticipantUpdate,
    RequestCreate,
    RequestRead,
    ScheduleRun,
)
from app.matches.dependencies import EngineDep
from app.messages import error

router = APIRouter(prefix="/v1/events", tags=["events"], dependencies=[Depends(current_key)])
themes_router = APIRouter(prefix="/v1/themes", tags=["events"], dependencies=[Depends(current_key)])


def valid_event(event_code: str, db_session: SessionDep) -> Event:
    """The event named in the path, or 404."""
    return event_service.get_event(db_session=db_session, code=event_code)


ValidEvent = Annotated[Event, Depends(valid_event)]
# Bounded so that an id the database cannot hold is a 422, not a driver error.
MeetingId = Annotated[int, Path(ge=1, le=outcomes.MAX_MEETING_ID, description="a meeting id from the schedule")]


def _own_org(key: Principal, given: str | None, field: str) -> str:
    """The member a request is about: given, or the member key's own; members may only name themselves."""
    org = given or key.organization
    if org is None:
        raise error(InvalidInput, "invalid.event_member_required", field=field)
    if not key.is_secretariat and org != key.organization:
        raise error(Forbidden, "forbidden.other_organization", own=key.organization or key.role, target=org)
    return org


def owned_participant(org_id: str, event: ValidEvent, key: WriterKey) -> EventParticipant:
    """The participant in the path, if the key may change it (a member only until registration closes)."""
    participant = event_service.get_participant(event=event, organization=org_id)
    ensure_owner(key, participant.organization_id, org_id)
    _member_may_change(key, event)
    return participant


def _member_may_change(key: Principal, event: Event) -> None:
    """Past the registration deadline only the secretariat changes participants and requests."""
    if not key.is_secretariat:
        event_service.check_registration(event, utcnow())


@router.get("", response_model=list[EventRead], summary="List events")
def list_events(db_session: SessionDep) -> list[EventRead]:
    """商談会の一覧（新しい順）。"""
    return [EventRead.of(e) for e in event_service.list_events(db_session=db_session)]


@router.post("", status_code=status.HTTP_201_CREATED, response_model=EventRead, summary="Create an event")
def create_event(event_in: EventCreate, db_session: SessionDep, _key: SecretariatKey) -> EventRead:
    """商談会を作成します（事務局のみ）。時間枠は slots で列挙するか plan（開始・枠数・長さ・移動時間・昼食・休憩）で
    指定します。min_value 未満の推薦の組み合わせは商談にしません。"""
    event = event_service.create_event(db_session=db_session, code=event_in.code, name=event_in.name,
                                       date=event_in.date, venue=event_in.venue, tables=event_in.tables,
                                       slots=event_in.slot_specs() or [],
                                       default_max_meetings=event_in.default_max_meetings,
                                       min_value=event_in.min_value,
                                       registration_closes_at=event_in.registration_closes_at)
    return EventRead.of(event)


@router.get("/{event_code}", response_model=EventRead, summary="One event")
def get_event(event: ValidEvent) -> EventRead:
    """商談会の概要と時間枠。"""
    return EventRead.of(event)


@router.patch("/{event_code}", response_model=EventRead, summary="Change an event")
def update_event(event: ValidEvent, event_in: EventUpdate, db_session: SessionDep, _key: SecretariatKey) -> EventRead:
    """名称・日付・会場・テーブル数・最低評価値・時間枠を変更します（事務局のみ）。"""
    event_service.update_event(db_session=db_session, event=event, changes=event_in.changes(),
                               slots=event_in.slot_specs())
    return EventRead.of(event)


@router.delete("/{event_code}", status_code=status.HTTP_204_NO_CONTENT, summary="Delete an event")
def delete_event(event: ValidEvent, db_session: SessionDep, _key: SecretariatKey) -> Response:
    """商談会を削除します（事務局のみ）。"""
    event_service.delete_event(db_session=db_session, event=event)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


# --- participants and requests ---------------------------------------------------------------------


@router.get("/{event_code}/participants", response_model=list[ParticipantRead], summary="Participants")
def list_participants(event: ValidEvent) -> list[ParticipantRead]:
    """参加者と参加可能な時間枠・商談数の上限。"""
    return [ParticipantRead.of(event, p) for p in event.participants]


@router.post("/{event_code}/participants", status_code=status.HTTP_201_CREATED, response_model=ParticipantRead,
             summary="Register a participant")
def add_participant(event: ValidEvent, participant_in: ParticipantCreate, db_session: SessionDep,
                    key: WriterKey) -> ParticipantRead:
    """参加登録します。会員キーは自社のみ登録できます。"""
    org = _own_org(key, participant_in.organization, "organization")
    _member_may_change(key, event)
    participant = event_service.add_participant(db_session=db_session, event=event, organization=org,
                                                available_slots=participant_in.available_slots,
                                                max_meetings=participant_in.max_meetings)
    return ParticipantRead.of(event, participant)


@router.patch("/{event_code}/participants/{org_id}", response_model=ParticipantRead, summary="Change a participant")
def update_participant(event: ValidEvent, participant: Annotated[EventParticipant, Depends(owned_participant)],
                       participant_in: ParticipantUpdate, db_session: SessionDep) -> ParticipantRead:
    """参加可能な時間枠（null は全枠）や商談数の上限を変更します。"""
    event_service.update_participant(db_session=db_session, event=event, participant=participant,
                                     changes=participant_in.model_dump(exclude_unset=True))
    return ParticipantRead.of(event, participant)


@router.delete("/{event_code}/participants/{org_id}", status_code=status.HTTP_204_NO_CONTENT,
               summary="Withdraw a participant")
def remove_participant(event: ValidEvent, participant: Annotated[EventParticipant, Depends(owned_participant)],
                       db_session: SessionDep) -> Response:
    """参加を取り消します。"""
    event_service.remove_participant(db_session=db_session, event=event, participant=participant)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/{event_code}/requests", response_model=list[RequestRead], summary="Requests")
def list_requests(event: ValidEvent, db_session: SessionDep, key: WriterKey) -> list[RequestRead]:
    """希望（must_meet / would_like / do_not_meet）。会員キーには自社の希望だけを返します。"""
    requester = None if key.is_secretariat else key.organization
    return [RequestRead.of(r) for r in event_service.list_requests(db_session=db_session, event=event,
                                                                    requester=requester)]


@router.put("/{event_code}/requests", response_model=RequestRead, summary="State a request")
def set_request(event: ValidEvent, request_in: RequestCreate, db_session: SessionDep, key: WriterKey) -> RequestRead:
    """他の参加者との商談の希望を登録します。同じ相手への希望は置き換わります。"""
    requester = _own_org(key, request_in.requester, "requester")
    _member_may_change(key, event)
    request = event_service.set_request(db_session=db_session, event=event, requester=requester,
                                        target=request_in.target, kind=request_in.kind)
    return RequestRead.of(request)


@router.delete("/{event_code}/requests/{requester}/{target}", status_code=status.HTTP_204_NO_CONTENT,
               summary="Withdraw a request")
def delete_request(event: ValidEvent, requester: str, target: str, db_session: SessionDep, key: WriterKey) -> Response:
    """希望を取り消します。"""
    _member_may_change(key, event)
    event_service.delete_request(db_session=db_session, event=event, requester=_own_org(key, requester, "requester"),
                                 target=target)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


# --- schedule ----------------------------------------------------------------------------------------


def _meeting_read(m: Any) -> MeetingRead:
    return MeetingRead(id=m.id, slot=m.slot_code, table=m.table_no, a=m.a_org.external_id, b=m.b_org.external_id,
                       value=m.value, published=m.published, locked=m.locked, outcome=m.outcome,
                       pairs=m.detail or [])


@router.post("/{event_code}/schedule", summary="Run the scheduler")
def run_schedule(event: ValidEvent, db_session: SessionDep, engine: EngineDep, _key: SecretariatKey,
                 run_in: ScheduleRun | None = None) -> dict[str, Any]:
    """マッチングのスコアと希望から商談の組み合わせと時間枠・卓を決めます（事務局のみ）。優先順は must_meet、公開済みの
    商談の維持、双方の希望、片方の希望、最低評価値以上の推薦の順です。固定した商談はそのまま残し、それ以外もできるだけ
    動かしません。time_limit_s はスコア計算・保存を含む全体の制限時間です。"""
    run_in = run_in or ScheduleRun()
    planning.run_schedule(db_session=db_session, event=event, time_limit_s=run_in.time_limit_s,
                          engine=engine if run_in.rescore else None)
    return event.schedule_report or {}


@router.get("/{event_code}/schedule", summary="The schedule")
def get_schedule(event: ValidEvent, db_session: SessionDep, _key: SecretariatKey) -> dict[str, Any]:
    """商談の一覧と直近の実行結果（事務局のみ）。"""
    rows = planning.meetings(db_session=db_session, event=event)
    return {"event": event.code, "report": event.schedule_report, "meetings": [_meeting_read(m) for m in rows]}


@router.post("/{event_code}/publish", summary="Publish the schedule")
def publish(event: ValidEvent, db_session: SessionDep, _key: SecretariatKey) -> dict[str, Any]:
    """スケジュールを公開します。以降の再実行では公開済みの商談をできるだけ動かしません。"""
    count = planning.publish(db_session=db_session, event=event)
    return {"event": event.code, "published": count}


@router.get("/{event_code}/agendas/{org_id}", summary="A participant's agenda")
def get_agenda(event: ValidEvent, org_id: str, db_session: SessionDep, key: CurrentKey) -> dict[str, Any]:
    """参加者ごとの商談予定。会員には公開済みの商談だけを示します。"""
    participant = event_service.get_participant(event=event, organization=org_id)
    ensure_owner(key, participant.organization_id, org_id)
    return outcomes.agenda(db_session=db_session, event=event, organization=org_id,
                           published_only=not key.is_secretariat)


@router.get("/{event_code}/export", summary="Export the schedule")
def export(event: ValidEvent, db_session: SessionDep, _key: SecretariatKey,
           fmt: Annotated[exports.Format, Query(alias="format")] = "json",
           view: Annotated[exports.GridView, Query(description="CSV only: list, participant or table")] = "list",
           ) -> Response:
    """JSON（検証用に自己完結）・CSV・Excel・印刷用 HTML（A4）で書き出します。"""
    body = exports.export(db_session=db_session, event=event, fmt=fmt, view=view)
    if isinstance(body, dict):
        return JSONResponse(body)
    if fmt == "html":
        return HTMLResponse(body)
    filename = f"{event.code}-schedule.{fmt}"
    return Response(body, media_type=exports.FORMATS[fmt],
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


@router.post("/{event_code}/meetings", status_code=status.HTTP_201_CREATED, response_model=MeetingRead,
             summary="Add a meeting by hand")
def add_meeting(event: ValidEvent, meeting_in: MeetingCreate, db_session: SessionDep,
                _key: SecretariatKey) -> MeetingRead:
    """商談を手で追加します（事務局のみ）。追加した商談は固定され、スケジュールを作り直しても残ります。"""
    meeting = edits.add_meeting(db_session=db_session, event=event, a=meeting_in.a, b=meeting_in.b,
                                slot=meeting_in.slot, table=meeting_in.table)
    return _meeting_read(meeting)


@router.patch("/{event_code}/meetings/{meeting_id}", response_model=MeetingRead, summary="Move or lock a meeting")
def update_meeting(event: ValidEvent, meeting_id: MeetingId, meeting_in: MeetingUpdate, db_session: SessionDep,
                   _key: SecretariatKey) -> MeetingRead:
    """商談を別の時間枠・テーブルへ移動する（移動先で固定されます）か、固定・固定解除します（事務局のみ）。"""
    meeting = outcomes.get_meeting(db_session=db_session, event=event, meeting_id=meeting_id)
    if meeting_in.slot is not None or meeting_in.table is not None:
        edits.move_meeting(db_session=db_session, event=event, meeting=meeting, slot=meeting_in.slot,
                           table=meeting_in.table)
    if meeting_in.locked is not None:
        edits.set_locked(db_session=db_session, event=event, meeting=meeting, locked=meeting_in.locked)
    return _meeting_read(meeting)


@router.delete("/{event_code}/meetings/{meeting_id}", status_code=status.HTTP_204_NO_CONTENT,
               summary="Remove a meeting by hand")
def remove_meeting(event: ValidEvent, meeting_id: MeetingId, db_session: SessionDep, _key: SecretariatKey) -> Response:
    """商談を外します（事務局のみ）。外した2者は、手で商談を追加するまでスケジュールに組まれません。"""
    meeting = outcomes.get_meeting(db_session=db_session, event=event, meeting_id=meeting_id)
    edits.remove_meeting(db_session=db_session, event=event, meeting=meeting)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.put("/{event_code}/meetings/{meeting_id}/outcome", response_model=MeetingRead, summary="Record an outcome")
def record_outcome(event: ValidEvent, meeting_id: MeetingId, outcome_in: OutcomeIn, db_session: SessionDep,
                   key: SecretariatKey) -> MeetingRead:
    """商談の結果を記録します（事務局のみ）。実施された商談は「面談済み」のフィードバックになります。"""
    meeting = outcomes.get_meeting(db_session=db_session, event=event, meeting_id=meeting_id)
    outcomes.record_outcome(db_session=db_session, event=event, meeting=meeting, outcome=outcome_in.outcome,
                            note=outcome_in.note, api_key_id=key.key_id)
    return _meeting_read(meeting)


@router.get("/{event_code}/report", summary="Event report")
def report(event: ValidEvent, db_session: SessionDep, _key: SecretariatKey) -> dict[str, Any]:
    """商談数・結果の内訳・商談のなかった参加者とその理由（事務局のみ）。"""
    return outcomes.event_report(db_session=db_session, event=event)


@themes_router.get("", summary="Themes and unmet needs")
def theme_report(db_session: SessionDep, engine: EngineDep, _key: SecretariatKey, prefecture: ScopedPrefecture,
                 k: Annotated[int, Query(alias="themes", ge=1, le=50, description="how many themes")] = 8,
                 weak_below: Annotated[float | None, Query(ge=-100, le=100, description=(
                     "a need whose best match scores below this is unmet; default 0.6 × the median need's best"))]
                 = None,
                 ) -> dict[str, Any]:
    """テーマ別研究会のためのテーマ（ニーズ・シーズのクラスタ）と、よい相手のいないニーズ（県×分野）（事務局のみ）。"""
    return themes.theme_report(db_session=db_session, engine=engine, k=k, weak_below=weak_below,
                               prefecture=prefecture)
