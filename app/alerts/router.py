"""Alert endpoints: a member's settings, need switches, saved searches and notifications; a lab's webhooks."""

import secrets
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, status
from starlette.responses import Response

from app.alerts import service
from app.alerts.schemas import (
    Marked,
    MarkRead,
    NeedSwitch,
    NeedSwitchUpdate,
    NotificationList,
    NotificationRead,
    PreferenceRead,
    PreferenceUpdate,
    SavedSearchCreate,
    SavedSearchRead,
    WebhookCreate,
    WebhookCreated,
    WebhookRead,
)
from app.auth.dependencies import Principal, current_key, require_role
from app.dependencies import SessionDep
from app.organizations import service as organization_service
from app.roster.models import Organization
from app.schemas import DB_INT

router = APIRouter(prefix="/v1/alerts", tags=["alerts"], dependencies=[Depends(current_key)])
MemberKey = Annotated[Principal, Depends(require_role("member"))]
LabKey = Annotated[Principal, Depends(require_role("lab"))]


def _org(db_session: SessionDep, key: Principal) -> Organization:
    return organization_service.get_organization(db_session=db_session, external_id=key.organization or "")


@router.get("/preferences", response_model=PreferenceRead, summary="Your alert settings")
def get_preferences(key: MemberKey, db_session: SessionDep) -> PreferenceRead:
    """新しいマッチの知らせ方（すぐにメール、1日1通のまとめ、メールなし）と、既定で知らせるかどうか。"""
    return PreferenceRead.model_validate(service.preference(db_session, _org(db_session, key).id))


@router.patch("/preferences", response_model=PreferenceRead, summary="Change your alert settings")
def update_preferences(key: MemberKey, values: PreferenceUpdate, db_session: SessionDep) -> PreferenceRead:
    """送った項目だけを変えます。needs_default は、個別に切り替えていないニーズすべて
    （これから登録するものも）に効きます。"""
    org = _org(db_session, key)
    changed = service.update_preference(db_session, org.id, values.model_dump(exclude_none=True))
    return PreferenceRead.model_validate(changed)


@router.get("/needs", response_model=list[NeedSwitch], summary="Which of your needs alert")
def list_need_switches(key: MemberKey, db_session: SessionDep) -> list[NeedSwitch]:
    """自分のニーズごとに、新しいシーズを知らせるかどうか。"""
    org = _org(db_session, key)
    enabled = service.need_switches(db_session, org)
    return [NeedSwitch(need=n.external_id, title=n.title, enabled=enabled[n.external_id]) for n in org.needs]


@router.put("/needs/{need_id}", response_model=NeedSwitch, summary="Switch one need's alerts on or off")
def switch_need(need_id: str, key: MemberKey, value: NeedSwitchUpdate, db_session: SessionDep) -> NeedSwitch:
    """このニーズに応える新しいシーズを知らせるかどうかを、会員の既定とは別に決めます。"""
    org = _org(db_session, key)
    service.switch_need(db_session, org, need_id, value.enabled)
    need = next(n for n in org.needs if n.external_id == need_id)
    return NeedSwitch(need=need_id, title=need.title, enabled=value.enabled)


@router.get("/searches", response_model=list[SavedSearchRead], summary="Your saved searches")
def list_searches(key: MemberKey, db_session: SessionDep) -> list[SavedSearchRead]:
    """保存した検索。新しい結果が上位に入ると知らせます。"""
    return [SavedSearchRead.model_validate(s) for s in service.list_searches(db_session, _org(db_session, key).id)]


@router.post("/searches", status_code=status.HTTP_201_CREATED, response_model=SavedSearchRead,
             summary="Save a search to be alerted about")
def save_search(key: MemberKey, search_in: SavedSearchCreate, db_session: SessionDep) -> SavedSearchRead:
    """自由文の検索を（GET /v1/search と同じ絞り込みで）保存します。
    これから登録・変更されるシーズ（またはニーズ）が上位に入ると知らせます。"""
    search = service.save_search(db_session, _org(db_session, key).id, search_in.model_dump())
    return SavedSearchRead.model_validate(search)


@router.delete("/searches/{search_id}", status_code=status.HTTP_204_NO_CONTENT, summary="Forget a saved search")
def delete_search(search_id: Annotated[int, Path(ge=1, le=DB_INT)], key: MemberKey, db_session: SessionDep) -> Response:
    """保存した検索を消します。"""
    service.delete_search(db_session, _org(db_session, key).id, search_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/notifications", response_model=NotificationList, summary="Your alerts, newest first")
def list_notifications(key: MemberKey, db_session: SessionDep,
                       unread: Annotated[bool, Query(description="only those not marked read")] = False,
                       limit: Annotated[int, Query(ge=1, le=200)] = 50) -> NotificationList:
    """新しいマッチの知らせ（新しい順）と未読の数。"""
    org = _org(db_session, key)
    rows = service.notifications(db_session, org.id, unread_only=unread, limit=limit)
    return NotificationList(unread=service.unread_count(db_session, org.id),
                            notifications=[NotificationRead.model_validate(n) for n in rows])


@router.post("/notifications/read", response_model=Marked, summary="Mark alerts read")
def mark_read(key: MemberKey, body: MarkRead, db_session: SessionDep) -> Marked:
    """指定した知らせ（ids を省くとすべて）を既読にします。"""
    org = _org(db_session, key)
    marked = service.mark_read(db_session, org.id, body.ids)
    return Marked(marked=marked, unread=service.unread_count(db_session, org.id))


@router.get("/webhooks", response_model=list[WebhookRead], summary="Your lab's webhooks")
def list_webhooks(key: LabKey, db_session: SessionDep) -> list[WebhookRead]:
    """ラボのサイトに新しいマッチを送る Webhook の一覧。"""
    return [WebhookRead.model_validate(h) for h in service.webhooks(db_session, key.lab or "")]


@router.post("/webhooks", status_code=status.HTTP_201_CREATED, response_model=WebhookCreated,
             summary="Have new matches in your lab's region POSTed to your site")
def add_webhook(key: LabKey, hook_in: WebhookCreate, db_session: SessionDep) -> WebhookCreated:
    """ラボの県（と重点業種）の会員が関わる新しいマッチを、署名つきで URL に POST します（docs/alerts.md）。"""
    secret = hook_in.secret or secrets.token_urlsafe(32)
    hook = service.add_webhook(db_session, key.lab or "", str(hook_in.url), secret)
    return WebhookCreated(id=hook.id, url=hook.url, created_at=hook.created_at, secret=secret)


@router.delete("/webhooks/{hook_id}", status_code=status.HTTP_204_NO_CONTENT, summary="Stop a webhook")
def delete_webhook(hook_id: Annotated[int, Path(ge=1, le=DB_INT)], key: LabKey, db_session: SessionDep) -> Response:
    """Webhook を止めます。"""
    service.delete_webhook(db_session, key.lab or "", hook_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
