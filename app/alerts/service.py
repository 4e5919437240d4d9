"""Alerts: subscriptions, the ranking of changed needs and seeds against them, and the in-page list, e-mails and
lab webhooks that tell members and lab sites about new matches.

Detection is durable: a change of a need or seed leaves an AlertCheck in its own transaction (app.alerts.changes);
`process_checks` ranks a batch of checks with the matching engine and, in one transaction, writes the
notifications, queues their e-mails and webhooks in the outbox and deletes the checks. A crash before the commit
leaves the checks to be done again; the unique (topic, match) of a notification and the outbox's idempotency keys
make sure nobody is told twice.
"""

import logging
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from app.accounts.service import contact_address, member_addresses
from app.alerts.models import (
    AlertCheck,
    AlertNotification,
    AlertOptOut,
    AlertPreference,
    LabWebhook,
    NeedAlertSwitch,
    SavedSearch,
)
from app.config import Settings, signing_secret
from app.db import utcnow
from app.errors import Forbidden, NotFound
from app.feedback import service as feedback_service
from app.labs.models import Lab
from app.matches.engine import Filters, MatchingEngine
from app.matches.service import match_payload
from app.messages import error
from app.notifications.mail import public_link, render_email
from app.notifications.models import OutboxMessage
from app.notifications.outbox import enqueue_email, enqueue_webhook, stored_key
from app.roster.models import Need, Organization
from matching.documents import Document
from matching.ranker import Match

log = logging.getLogger(__name__)
JAPAN = ZoneInfo("Asia/Tokyo")
UNSUBSCRIBE_SALT = "iotmatch-alerts-unsubscribe"
WEBHOOK_EVENT = "match.new"
# A changed seed can only enter the top N of needs it ranks well against itself; these many of its best needs are
# checked (ranking every need for every seed would cost a ranking per need per change).
CANDIDATES_PER_POSTING = 50


# --- preferences and subscriptions ----------------------------------------------------------------------------

def preference(session: Session, organization_id: int) -> AlertPreference:
    """The member's settings; the defaults (not stored) when it never changed them."""
    found = session.get(AlertPreference, organization_id)
    return found or AlertPreference(organization_id=organization_id, email_mode="immediate", needs_default=True,
                                    seeds_enabled=True, language="ja")


def update_preference(session: Session, organization_id: int, values: dict[str, Any]) -> AlertPreference:
    """Change the settings the request set."""
    found = session.get(AlertPreference, organization_id)
    if found is None:
        try:
            with session.begin_nested():  # a first save racing with another of the same member
                found = preference(session, organization_id)
                session.add(found)
        except IntegrityError:
            found = session.get(AlertPreference, organization_id, populate_existing=True)
            assert found is not None
    for key, value in values.items():
        setattr(found, key, value)
    session.flush()
    return found


def need_switches(session: Session, org: Organization) -> dict[str, bool]:
    """Whether each of the member's needs alerts: its own switch, else the member's default."""
    default = preference(session, org.id).needs_default
    switched = {s.need_id: s.enabled for s in session.scalars(
        select(NeedAlertSwitch).join(Need).where(Need.organization_id == org.id))}
    return {n.external_id: switched.get(n.id, default) for n in org.needs}


def switch_need(session: Session, org: Organization, need_id: str, enabled: bool) -> None:
    """Turn one of the member's needs' alerts on or off."""
    need = session.scalar(select(Need).where(Need.external_id == need_id))
    if need is None:
        raise error(NotFound, "not_found.need", id=need_id)
    if need.organization_id != org.id:
        raise error(Forbidden, "forbidden.alerts_other_need", id=need_id)
    switch = session.get(NeedAlertSwitch, need.id)
    if switch is None:
        session.add(NeedAlertSwitch(need_id=need.id, enabled=enabled))
    else:
        switch.enabled = enabled
    session.flush()


def list_searches(session: Session, organization_id: int) -> list[SavedSearch]:
    """The member's saved searches, oldest first."""
    return list(session.scalars(select(SavedSearch).where(SavedSearch.organization_id == organization_id)
                                .order_by(SavedSearch.id)))


def save_search(session: Session, organization_id: int, values: dict[str, Any]) -> SavedSearch:
    """Keep a free-text search; its new results alert from now on."""
    search = SavedSearch(organization_id=organization_id, **values)
    session.add(search)
    session.flush()
    return search


def delete_search(session: Session, organization_id: int, search_id: int) -> None:
    """Forget one of the member's saved searches."""
    search = session.get(SavedSearch, search_id)
    if search is None or search.organization_id != organization_id:
        raise error(NotFound, "not_found.saved_search", id=search_id)
    session.delete(search)
    session.flush()


# --- the in-page list ------------------------------------------------------------------------------------------

def notifications(session: Session, organization_id: int, *, unread_only: bool = False,
                  limit: int = 50) -> list[AlertNotification]:
    """The member's alerts, newest first."""
    query = select(AlertNotification).where(AlertNotification.organization_id == organization_id)
    if unread_only:
        query = query.where(AlertNotification.read_at.is_(None))
    return list(session.scalars(query.order_by(AlertNotification.id.desc()).limit(limit)))


def unread_count(session: Session, organization_id: int) -> int:
    """How many of the member's alerts it has not marked read."""
    return session.scalar(select(func.count(AlertNotification.id)).where(
        AlertNotification.organization_id == organization_id, AlertNotification.read_at.is_(None))) or 0


def mark_read(session: Session, organization_id: int, ids: Iterable[int] | None = None) -> int:
    """Mark these of the member's alerts read (all of them without ids); returns how many changed."""
    query = update(AlertNotification).where(AlertNotification.organization_id == organization_id,
                                            AlertNotification.read_at.is_(None))
    if ids is not None:
        query = query.where(AlertNotification.id.in_(list(ids)))
    result = session.execute(query.values(read_at=utcnow()).execution_options(synchronize_session=False))
    return int(getattr(result, "rowcount", 0) or 0)


# --- lab webhooks ----------------------------------------------------------------------------------------------

def webhooks(session: Session, lab_id: str) -> list[LabWebhook]:
    """The lab's webhooks."""
    return list(session.scalars(select(LabWebhook).where(LabWebhook.lab_id == lab_id).order_by(LabWebhook.id)))


def add_webhook(session: Session, lab_id: str, url: str, secret: str) -> LabWebhook:
    """Subscribe a URL of the lab's site to new matches in its region."""
    hook = LabWebhook(lab_id=lab_id, url=url, secret=secret)
    session.add(hook)
    session.flush()
    return hook


def delete_webhook(session: Session, lab_id: str, hook_id: int) -> None:
    """Stop one of the lab's webhooks."""
    hook = session.get(LabWebhook, hook_id)
    if hook is None or hook.lab_id != lab_id:
        raise error(NotFound, "not_found.webhook", id=hook_id)
    session.delete(hook)
    session.flush()


def covers(lab: Lab, need: Any, seed: Any) -> bool:
    """Whether a need–seed pair is news for the lab: one of the two members is in the lab's prefecture and,
    when the lab names focus industries, in one of them."""
    orgs = (need.org, seed.org)
    in_region = [o for o in orgs if o.prefecture == lab.prefecture]
    return bool(in_region) and (not lab.industries or any(o.industry in lab.industries for o in in_region))


# --- e-mail addresses and unsubscribing ------------------------------------------------------------------------

def addresses(session: Session, org: Organization) -> list[str]:
    """Where the member's alert e-mails go: its contact and its people who sign in, less those that unsubscribed."""
    gone = set(session.scalars(select(AlertOptOut.address).where(AlertOptOut.organization_id == org.id)))
    return [a for a in member_addresses(session, org.id) if a not in gone]


def _serializer(settings: Settings) -> URLSafeSerializer:
    # The shared key: links signed by the worker open on the server, and keep working after restarts.
    return URLSafeSerializer(signing_secret(settings), salt=UNSUBSCRIBE_SALT)


def unsubscribe_token(settings: Settings, organization_id: int, address: str) -> str:
    """A token that unsubscribes the address from the member's alert e-mails, without signing in."""
    return str(_serializer(settings).dumps({"o": organization_id, "a": address}))


def read_unsubscribe_token(settings: Settings, token: str) -> tuple[int, str]:
    """(organization id, address) of a token; NotFound for a forged or damaged one."""
    try:
        data = _serializer(settings).loads(token)
        return int(data["o"]), str(data["a"])
    except (BadSignature, KeyError, TypeError, ValueError) as exc:
        raise error(NotFound, "not_found.unsubscribe_link") from exc


def unsubscribe(session: Session, organization_id: int, address: str) -> bool:
    """Stop the member's alert e-mails to the address; False when it had already unsubscribed."""
    if session.get(Organization, organization_id) is None:
        raise error(NotFound, "not_found.unsubscribe_link")
    exists = session.scalar(select(AlertOptOut.id).where(AlertOptOut.organization_id == organization_id,
                                                         AlertOptOut.address == address))
    if exists is not None:
        return False
    try:
        with session.begin_nested():  # the link's button pressed twice at once
            session.add(AlertOptOut(organization_id=organization_id, address=address))
    except IntegrityError:
        return False
    return True


def unsubscribe_url(settings: Settings, organization_id: int, address: str) -> str:
    """The one-click link of an e-mail."""
    token = unsubscribe_token(settings, organization_id, address)
    return public_link(f"/alerts/unsubscribe/{token}", settings)


def unsubscribe_headers(settings: Settings, organization_id: int, address: str) -> dict[str, str]:
    """RFC 2369 / RFC 8058 headers: mail programs show an unsubscribe button that POSTs to the link."""
    return {"List-Unsubscribe": f"<{unsubscribe_url(settings, organization_id, address)}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}


# --- detection -------------------------------------------------------------------------------------------------

@dataclass
class _Found:
    """A match worth telling: `topic` (need, seed or search of `org`) got `match`."""

    org_id: str
    topic: str
    topic_title: str
    match: Match
    pair: tuple[Any, Any] | None  # (need doc, seed doc) for need–seed pairs; webhooks report these


def _claim_checks(session: Session, limit: int) -> list[AlertCheck]:
    # On PostgreSQL several servers may run: each takes checks the others have not locked.
    query = select(AlertCheck).order_by(AlertCheck.id).limit(limit).with_for_update(skip_locked=True)
    return list(session.scalars(query))


def process_checks(session: Session, engine: MatchingEngine, settings: Settings) -> int:
    """Rank a batch of changed needs and seeds against every subscription and write what is news, in the caller's
    transaction (commit it). Returns how many checks were done."""
    checks = _claim_checks(session, settings.alert_batch_size)
    if not checks:
        return 0
    engine.sync(session)  # the postings the checks name, as this transaction sees them
    seeds = {c.external_id for c in checks if c.kind == "seed" and c.external_id in engine.corpora["seed"].docs}
    needs = {c.external_id for c in checks if c.kind == "need" and c.external_id in engine.corpora["need"].docs}
    top_n, floor = settings.alert_top_n, settings.alert_min_score
    found: list[_Found] = []
    pairs: dict[tuple[str, str], tuple[Any, Any, Match]] = {}

    # A changed seed that enters the top N of a need: news for the need's member.
    candidates = dict.fromkeys(m.doc.id for s in sorted(seeds)
                               for m in engine.match_seed(s, limit=CANDIDATES_PER_POSTING))
    for need_id in candidates:
        need = engine.document("need", need_id)
        for m in engine.match_need(need_id, limit=top_n):
            if m.doc.id in seeds and m.score >= floor:
                found.append(_Found(need.org.id, f"need:{need_id}", need.title, m, (need, m.doc)))
                pairs[(need_id, m.doc.id)] = (need, m.doc, m)
    # A changed need whose top N holds a seed: news for the seed's member.
    for need_id in sorted(needs):
        need = engine.document("need", need_id)
        for m in engine.match_need(need_id, limit=top_n):
            if m.score >= floor:
                # the seed's member reads about the need: the same pair, named by its need
                found.append(_Found(m.doc.org.id, f"seed:{m.doc.id}", m.doc.title, replace(m, doc=need),
                                    (need, m.doc)))
                pairs[(need_id, m.doc.id)] = (need, m.doc, m)
    # Saved searches whose first N results now hold a changed posting.
    for search in session.scalars(select(SavedSearch).where(SavedSearch.enabled.is_(True))
                                  .options(selectinload(SavedSearch.organization)).order_by(SavedSearch.id)):
        changed = seeds if search.target == "seeds" else needs
        if not changed:
            continue
        own = search.organization.external_id
        filters = Filters(prefecture=search.prefecture, role=search.role, industry=search.industry)
        def others(doc: Document, own: str = own) -> bool:
            return doc.org.id == own

        for m in engine.search(search.q, target=search.target[:-1], limit=top_n, filters=filters, exclude=others):
            if m.doc.id in changed and m.score >= settings.alert_min_search_score:
                found.append(_Found(own, f"search:{search.id}", search.q, m, None))

    created = _record(session, engine, settings, found)
    _queue_webhooks(session, engine, settings, pairs)
    # By id, not row by row: checks another pass took meanwhile (SQLite has no row locks) are simply gone.
    session.execute(delete(AlertCheck).where(AlertCheck.id.in_([c.id for c in checks])))
    log.info("alerts: %d checks, %d new notifications", len(checks), len(created))
    return len(checks)


def _wanted(session: Session, f: _Found, org: Organization, seen: dict[str, set[tuple[str, str]]]) -> bool:
    """Whether the member subscribes to the topic and has not put the pair aside (feedback not_relevant, met)."""
    prefs = preference(session, org.id)
    kind, _, key = f.topic.partition(":")
    if kind == "need":
        need = next((n for n in org.needs if n.external_id == key), None)
        switch = session.get(NeedAlertSwitch, need.id) if need is not None else None
        if not (switch.enabled if switch is not None else prefs.needs_default):
            return False
    elif kind == "seed" and not prefs.seeds_enabled:
        return False
    if f.pair is None:
        return True
    if org.external_id not in seen:
        seen[org.external_id] = feedback_service.seen_pairs(db_session=session, organization=org.external_id)
    return (f.pair[0].id, f.pair[1].id) not in seen[org.external_id]


def _record(session: Session, engine: MatchingEngine, settings: Settings,
            found: list[_Found]) -> list[AlertNotification]:
    orgs = {o.external_id: o for o in session.scalars(
        select(Organization).where(Organization.external_id.in_({f.org_id for f in found}))
        .options(selectinload(Organization.needs)))}
    seen: dict[str, set[tuple[str, str]]] = {}
    created: list[AlertNotification] = []
    for f in found:
        org = orgs.get(f.org_id)
        if org is None or not _wanted(session, f, org, seen):
            continue
        exists = session.scalar(select(AlertNotification.id).where(
            AlertNotification.topic == f.topic, AlertNotification.match_id == f.match.doc.id))
        if exists is not None or any(n.topic == f.topic and n.match_id == f.match.doc.id for n in created):
            continue  # told once per pair: an edit that keeps a seed in the top N says nothing new
        payload = match_payload(engine, f.match, None)
        prefs = preference(session, org.id)
        note = AlertNotification(
            organization_id=org.id, topic=f.topic, topic_title=f.topic_title[:1000], match_kind=f.match.doc.kind,
            match_id=f.match.doc.id, match_title=f.match.doc.title[:300], partner_name=f.match.doc.org.name,
            score=round(f.match.score, 4), reason_ja=payload["reason_text"], reason_en=payload["reason_text_en"],
            digest_due=prefs.email_mode == "digest")
        session.add(note)
        created.append(note)
    session.flush()
    for note in created:
        if preference(session, note.organization_id).email_mode == "immediate":
            _queue_immediate(session, settings, orgs_by_id(orgs)[note.organization_id], note)
    return created


def orgs_by_id(orgs: dict[str, Organization]) -> dict[int, Organization]:
    """The same members by database id."""
    return {o.id: o for o in orgs.values()}


# --- e-mails ---------------------------------------------------------------------------------------------------

def link(settings: Settings, note: AlertNotification) -> str:
    """Where the alert's match is shown with its reasons."""
    kind, _, key = note.topic.partition(":")
    pair = f"?pair={key}" if kind in ("need", "seed") else ""
    return public_link(f"/postings/{note.match_kind}/{note.match_id}{pair}", settings)


def compose(settings: Settings, org: Organization, notes: list[AlertNotification], lang: str, address: str,
            *, digest: bool) -> tuple[str, str, str]:
    """(subject, text, html) of an alert e-mail: one alert, or a day's alerts gathered."""
    items = [{"kind": n.topic.partition(":")[0], "topic": n.topic_title, "title": n.match_title,
              "partner": n.partner_name, "reason": n.reason_en if lang == "en" else n.reason_ja,
              "link": link(settings, n)} for n in notes]
    greeted = org.contact_name if address == contact_address(org) else None
    return render_email("alert", lang, name=greeted, member=org.name, items=items, digest=digest,
                        settings_url=public_link("/me/alerts", settings),
                        unsubscribe_url=unsubscribe_url(settings, org.id, address))


def _queue_immediate(session: Session, settings: Settings, org: Organization, note: AlertNotification) -> None:
    lang = preference(session, org.id).language
    for address in addresses(session, org):
        subject, text, body = compose(settings, org, [note], lang, address, digest=False)
        enqueue_email(session, to=address, subject=subject, text=text, html=body,
                      idempotency_key=f"alert:{note.id}:{address}",
                      headers=unsubscribe_headers(settings, org.id, address))


def send_digests(session: Session, settings: Settings, now: datetime | None = None) -> int:
    """Gather each member's alerts waiting for the daily digest into one e-mail per address, once a day from
    `alert_digest_hour` (Japan time), in the caller's transaction. Returns how many members got one."""
    local = (now or utcnow()).astimezone(JAPAN)
    if local.hour < settings.alert_digest_hour:
        return 0
    day = local.date().isoformat()
    due = list(session.scalars(select(AlertNotification).where(AlertNotification.digest_due.is_(True))
                               .order_by(AlertNotification.id).with_for_update(skip_locked=True)))
    by_org: dict[int, list[AlertNotification]] = {}
    for note in due:
        by_org.setdefault(note.organization_id, []).append(note)
    sent = 0
    for org_id, notes in by_org.items():
        org = session.get(Organization, org_id)
        if org is None:
            continue
        prefs = preference(session, org_id)
        keys = {a: stored_key(f"alert-digest:{org_id}:{day}:{a}") for a in addresses(session, org)}
        if keys and session.scalar(select(OutboxMessage.id).where(OutboxMessage.idempotency_key.in_(keys.values()))):
            continue  # today's digest went out already: these wait for tomorrow's
        if prefs.email_mode != "none":
            for address, key in keys.items():
                subject, text, body = compose(settings, org, notes, prefs.language, address, digest=True)
                enqueue_email(session, to=address, subject=subject, text=text, html=body, idempotency_key=key,
                              headers=unsubscribe_headers(settings, org_id, address))
            sent += bool(keys)
        for note in notes:
            note.digest_due = False
    session.flush()
    return sent


# --- webhooks --------------------------------------------------------------------------------------------------

def webhook_payload(settings: Settings, engine: MatchingEngine, lab: Lab, need: Any, seed: Any,
                    match: Match) -> dict[str, Any]:
    """The JSON body a lab's webhook receives for a new need–seed match (docs/alerts.md)."""
    payload = match_payload(engine, match, need.org.industry)

    def side(doc: Any) -> dict[str, Any]:
        return {"id": doc.id, "title": doc.title, "url": public_link(f"/postings/{doc.kind}/{doc.id}", settings),
                "organization": {"id": doc.org.id, "name": doc.org.name, "prefecture": doc.org.prefecture,
                                 "industry": doc.org.industry}}

    return {"event": WEBHOOK_EVENT, "lab": lab.id, "need": side(need), "seed": side(seed),
            "score": round(match.score, 4), "reason_text": payload["reason_text"],
            "reason_text_en": payload["reason_text_en"], "created_at": utcnow().isoformat()}


def _queue_webhooks(session: Session, engine: MatchingEngine, settings: Settings,
                    pairs: dict[tuple[str, str], tuple[Any, Any, Match]]) -> None:
    if not pairs:
        return
    hooks = list(session.scalars(select(LabWebhook).options(selectinload(LabWebhook.lab)).order_by(LabWebhook.id)))
    for (need_id, seed_id), (need, seed, match) in sorted(pairs.items()):
        for hook in hooks:
            if covers(hook.lab, need, seed):
                enqueue_webhook(session, url=hook.url, secret=hook.secret,
                                payload=webhook_payload(settings, engine, hook.lab, need, seed, match),
                                idempotency_key=f"alert-webhook:{hook.id}:{need_id}:{seed_id}")


def pending_checks(session: Session) -> int:
    """Changed needs and seeds not yet ranked for alerts."""
    return session.scalar(select(func.count(AlertCheck.id))) or 0

