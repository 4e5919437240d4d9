"""Ask for an introduction, answer it, and follow it: every step is an event row, every e-mail goes to the outbox.

Double opt-in: the member asked sees who asks and why, never the asker's contact, until it accepts; then both
see each other's contact. A declined pair is no longer suggested to the asker.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.sql.elements import ColumnElement

from app.db import as_utc, utcnow
from app.errors import Conflict, Forbidden, InvalidInput, NotFound
from app.feedback import service as feedback_service
from app.introductions import mail
from app.introductions.models import OPEN_STATE, Introduction, IntroductionEvent
from app.messages import error
from app.roster.models import Need, Organization, Seed

MESSAGE_MAX = 1000
REPLY_MAX = 1000
NOTE_MAX = 2000
# Steps either member records once the two are in touch; each also becomes the member's feedback on the pair.
STEPS = ("contacted", "met", "deal")
# The pair is already introduced, or being introduced: asking again would only repeat it.
SETTLED_STATES = ("accepted", "brokered")
NUDGE_ACTOR = "nudge-job"


@dataclass(frozen=True)
class Actor:
    """Who takes a step: a member (organization set) or the secretariat, as recorded."""

    name: str  # e.g. member-key-3
    organization: Organization | None = None
    api_key_id: int | None = None

    @property
    def is_secretariat(self) -> bool:
        return self.organization is None


def _event(intro: Introduction, kind: str, actor: Actor, note: str | None = None,
           at: datetime | None = None) -> IntroductionEvent:
    event = IntroductionEvent(kind=kind, organization=actor.organization, actor=actor.name, note=note,
                              created_at=at or utcnow())
    intro.events.append(event)
    return event


def _text(value: str | None, limit: int, field: str, required: bool = False) -> str | None:
    """The text stripped; None when empty and optional; 422 when too long or required and missing."""
    cleaned = (value or "").strip()
    if not cleaned:
        if required:
            raise error(InvalidInput, "invalid.introduction_text_missing", field=field)
        return None
    if len(cleaned) > limit:
        raise error(InvalidInput, "invalid.introduction_text_long", field=field, limit=limit, length=len(cleaned))
    return cleaned


def get_introduction(*, db_session: Session, introduction_id: int) -> Introduction:
    """The introduction with its pair, members and events; 404 when there is none."""
    intro = db_session.get(Introduction, introduction_id, options=[
        selectinload(Introduction.need), selectinload(Introduction.seed), selectinload(Introduction.asker),
        selectinload(Introduction.recipient), selectinload(Introduction.events)])
    if intro is None:
        raise error(NotFound, "not_found.introduction", id=introduction_id)
    return intro


def ensure_party(intro: Introduction, organization_id: int | None) -> None:
    """404 unless the member is one of the two (organization_id None stands for the secretariat, who sees all).

    A third member is told nothing, not even that the introduction exists.
    """
    if organization_id is not None and organization_id not in (intro.asker_id, intro.recipient_id):
        raise error(NotFound, "not_found.introduction", id=intro.id)


def contacts_shown(intro: Introduction, organization_id: int | None) -> bool:
    """Whether the viewer sees the two members' contacts: the secretariat always (it keeps the roster), the two
    members once the introduction is accepted, nobody else ever."""
    if organization_id is None:
        return True
    return intro.state == "accepted" and organization_id in (intro.asker_id, intro.recipient_id)


def ask(*, db_session: Session, need: Need, seed: Seed, message: str, actor: Actor) -> Introduction:
    """A member asks to be introduced to the member on the other side of the pair; the other member is told by mail.

    409 while the pair has an open request, or is already introduced, or the other member declined this asker.
    """
    asker = actor.organization
    if asker is None:
        raise error(Forbidden, "forbidden.introduction_members_only")
    if need.organization_id == seed.organization_id:
        raise error(InvalidInput, "invalid.introduction_same_organization", field="seed", need=need.external_id,
                    seed=seed.external_id)
    if asker.id not in (need.organization_id, seed.organization_id):
        raise error(Forbidden, "forbidden.introduction_pair", need=need.external_id, seed=seed.external_id,
                    own=asker.external_id)
    text = _text(message, MESSAGE_MAX, "message", required=True)
    previous = db_session.scalars(select(Introduction).where(Introduction.need_id == need.id,
                                                             Introduction.seed_id == seed.id)
                                  .order_by(Introduction.id.desc())).all()
    for earlier in previous:
        if earlier.state == OPEN_STATE:
            raise error(Conflict, "conflict.introduction_open", need=need.external_id, seed=seed.external_id,
                        id=earlier.id)
        if earlier.state in SETTLED_STATES:
            raise error(Conflict, "conflict.introduction_settled", need=need.external_id, seed=seed.external_id,
                        id=earlier.id)
        if earlier.state == "declined" and earlier.asker_id == asker.id:
            raise error(Conflict, "conflict.introduction_declined", need=need.external_id, seed=seed.external_id,
                        id=earlier.id)
    recipient_id = seed.organization_id if asker.id == need.organization_id else need.organization_id
    intro = Introduction(need=need, seed=seed, asker=asker, recipient=db_session.get(Organization, recipient_id),
                         message=text, state=OPEN_STATE, created_at=utcnow())
    _event(intro, "requested", actor, text, at=intro.created_at)
    try:
        # A concurrent request for the pair loses to the unique open-pair index. The rows are added inside the
        # savepoint, as begin_nested() flushes what is pending before it starts.
        with db_session.begin_nested():
            db_session.add(intro)
            db_session.flush()
    except IntegrityError as exc:  # the savepoint's rollback took the new rows out of the session
        winner = db_session.scalar(select(Introduction.id).where(
            Introduction.need_id == need.id, Introduction.seed_id == seed.id, Introduction.state == OPEN_STATE))
        raise error(Conflict, "conflict.introduction_open", need=need.external_id, seed=seed.external_id,
                    id=winner) from exc
    mail.requested(db_session, intro)
    return intro


def _move(db_session: Session, intro: Introduction, condition: ColumnElement[bool], **values: Any) -> bool:
    """Write `values` to the row by one conditional update, so of two steps taken at once only one changes it
    (the loser gets a 409 before it queues any mail); whether it changed. The loaded object follows the row."""
    moved = db_session.execute(update(Introduction).where(Introduction.id == intro.id, condition).values(**values)
                               .execution_options(synchronize_session=False))
    if moved.rowcount != 1:  # type: ignore[attr-defined]
        return False
    for name, value in values.items():
        set_committed_value(intro, name, value)
    return True


def _leave_open(db_session: Session, intro: Introduction, **values: Any) -> None:
    """Move the request out of `requested`; 409 with the state it is in now when another step came first."""
    if not _move(db_session, intro, Introduction.state == OPEN_STATE, **values):
        state = db_session.scalar(select(Introduction.state).where(Introduction.id == intro.id))
        set_committed_value(intro, "state", state)
        raise error(Conflict, "conflict.introduction_state", id=intro.id, state=state)


def _answerable(intro: Introduction, actor: Actor) -> None:
    if actor.organization is None or actor.organization.id != intro.recipient_id:
        raise error(Forbidden, "forbidden.introduction_answer", id=intro.id)
    if intro.state != OPEN_STATE:
        raise error(Conflict, "conflict.introduction_state", id=intro.id, state=intro.state)


def accept(*, db_session: Session, intro: Introduction, reply: str | None, actor: Actor) -> Introduction:
    """The member asked accepts: both members now see each other's contact and get it by mail."""
    _answerable(intro, actor)
    text = _text(reply, REPLY_MAX, "reply")
    _leave_open(db_session, intro, state="accepted", reply=text, answered_at=utcnow())
    _event(intro, "accepted", actor, text)
    db_session.flush()
    mail.accepted(db_session, intro)
    return intro


def decline(*, db_session: Session, intro: Introduction, reply: str | None, actor: Actor) -> Introduction:
    """The member asked declines: the asker's contact stays hidden, and the pair is no longer suggested to the
    asker. The asker is told, without any contact."""
    _answerable(intro, actor)
    text = _text(reply, REPLY_MAX, "reply")
    _leave_open(db_session, intro, state="declined", reply=text, answered_at=utcnow())
    _event(intro, "declined", actor, text)
    db_session.flush()
    mail.declined(db_session, intro)
    return intro


def withdraw(*, db_session: Session, intro: Introduction, actor: Actor) -> Introduction:
    """The asker takes back its open request; it may ask again later."""
    if actor.organization is None or actor.organization.id != intro.asker_id:
        raise error(Forbidden, "forbidden.introduction_withdraw", id=intro.id)
    if intro.state != OPEN_STATE:
        raise error(Conflict, "conflict.introduction_state", id=intro.id, state=intro.state)
    _leave_open(db_session, intro, state="withdrawn")
    _event(intro, "withdrawn", actor)
    db_session.flush()
    return intro


def record_step(*, db_session: Session, intro: Introduction, step: str, note: str | None,
                actor: Actor) -> IntroductionEvent:
    """Either member says how far it got (contacted, met, deal); it is also its feedback on the pair, so the
    dashboard counts it."""
    if actor.organization is None or actor.organization.id not in (intro.asker_id, intro.recipient_id):
        raise error(Forbidden, "forbidden.introduction_step", id=intro.id)
    if step not in STEPS:
        raise error(InvalidInput, "invalid.introduction_step", field="step", allowed=", ".join(STEPS))
    if intro.state not in SETTLED_STATES:
        raise error(Conflict, "conflict.introduction_step", id=intro.id, state=intro.state)
    text = _text(note, NOTE_MAX, "note")
    event = _event(intro, step, actor, text)
    feedback_service.give_feedback(db_session=db_session, need=intro.need, seed=intro.seed, status=step, note=text,
                                   organization=actor.organization, api_key_id=actor.api_key_id)
    db_session.flush()
    return event


def add_note(*, db_session: Session, intro: Introduction, note: str, actor: Actor) -> IntroductionEvent:
    """The secretariat keeps a note on the introduction (the members do not see it)."""
    text = _text(note, NOTE_MAX, "note", required=True)
    event = _event(intro, "note", actor, text)
    db_session.flush()
    return event


def broker(*, db_session: Session, intro: Introduction, note: str | None, actor: Actor) -> Introduction:
    """The secretariat makes an open request's introduction itself (a declined one stays declined)."""
    if intro.state != OPEN_STATE:
        raise error(Conflict, "conflict.introduction_state", id=intro.id, state=intro.state)
    text = _text(note, NOTE_MAX, "note")
    _leave_open(db_session, intro, state="brokered")
    _event(intro, "brokered", actor, text)
    db_session.flush()
    return intro


def next_nudge(intro: Introduction, period: timedelta) -> datetime | None:
    """When the request may be nudged next (None once it is answered): one nudge per period at most."""
    if intro.state != OPEN_STATE:
        return None
    return as_utc(intro.last_nudged_at) + period if intro.last_nudged_at else as_utc(intro.created_at)


def nudge(*, db_session: Session, intro: Introduction, period: timedelta, actor: Actor,
          now: datetime | None = None) -> Introduction:
    """Remind the member asked by mail; once per request per period (409 before the period is over)."""
    now = now or utcnow()
    due = next_nudge(intro, period)
    if due is None:
        raise error(Conflict, "conflict.introduction_state", id=intro.id, state=intro.state)
    if due > now:
        raise error(Conflict, "conflict.introduction_nudged", id=intro.id, next=due.date().isoformat())
    # The button and the job may nudge at once: only the one whose update still finds the request due sends.
    if not _move(db_session, intro, and_(Introduction.state == OPEN_STATE,
                                         or_(Introduction.last_nudged_at.is_(None),
                                             Introduction.last_nudged_at <= now - period)),
                 last_nudged_at=now):
        db_session.refresh(intro)
        due = next_nudge(intro, period)
        if due is None:
            raise error(Conflict, "conflict.introduction_state", id=intro.id, state=intro.state)
        raise error(Conflict, "conflict.introduction_nudged", id=intro.id, next=due.date().isoformat())
    count = sum(1 for e in intro.events if e.kind == "nudged")
    _event(intro, "nudged", actor, at=now)
    db_session.flush()
    mail.nudged(db_session, intro, count + 1, (now - as_utc(intro.created_at)).days)
    return intro


def nudge_unanswered(*, db_session: Session, days: int, now: datetime | None = None) -> int:
    """The periodic job: nudge every request unanswered for `days` days and not nudged in the last `days` days."""
    if days <= 0:
        return 0
    now = now or utcnow()
    period = timedelta(days=days)
    rows = db_session.scalars(
        select(Introduction).where(Introduction.state == OPEN_STATE, Introduction.created_at <= now - period,
                                   or_(Introduction.last_nudged_at.is_(None),
                                       Introduction.last_nudged_at <= now - period))
        .options(selectinload(Introduction.events)).order_by(Introduction.id).with_for_update(skip_locked=True))
    count = 0
    for intro in rows:
        try:
            nudge(db_session=db_session, intro=intro, period=period, actor=Actor(NUDGE_ACTOR), now=now)
        except Conflict:  # answered, or nudged by the secretariat, since it was read: nothing was written
            continue
        count += 1
    return count


def list_introductions(*, db_session: Session, organization_id: int | None, state: str | None = None,
                       older_than_days: int | None = None, limit: int = 20,
                       offset: int = 0) -> tuple[list[Introduction], int]:
    """Introductions newest first: a member's own (asked or asked of it), or all of them (None, the secretariat);
    `older_than_days` keeps those asked at least that many days ago."""
    query = select(Introduction)
    if organization_id is not None:
        query = query.where(or_(Introduction.asker_id == organization_id,
                                Introduction.recipient_id == organization_id))
    if state is not None:
        query = query.where(Introduction.state == state)
    if older_than_days is not None:
        query = query.where(Introduction.created_at <= utcnow() - timedelta(days=older_than_days))
    total = db_session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = db_session.scalars(query.options(
        selectinload(Introduction.need), selectinload(Introduction.seed), selectinload(Introduction.asker),
        selectinload(Introduction.recipient), selectinload(Introduction.events))
        .order_by(Introduction.id.desc()).limit(limit).offset(offset))
    return list(rows), total


def declined_pairs(*, db_session: Session, organization: str) -> set[tuple[str, str]]:
    """(need id, seed id) pairs this member asked about and the other member declined: never suggested again."""
    rows = db_session.execute(
        select(Need.external_id, Seed.external_id).select_from(Introduction)
        .join(Need, Introduction.need_id == Need.id).join(Seed, Introduction.seed_id == Seed.id)
        .join(Organization, Introduction.asker_id == Organization.id)
        .where(Organization.external_id == organization, Introduction.state == "declined"))
    return {(need, seed) for need, seed in rows}


def pair_states(*, db_session: Session, organization_id: int) -> dict[tuple[str, str], Introduction]:
    """The latest introduction on each (need id, seed id) pair the member asked or was asked about."""
    rows = db_session.scalars(
        select(Introduction).where(or_(Introduction.asker_id == organization_id,
                                       Introduction.recipient_id == organization_id))
        .options(selectinload(Introduction.need), selectinload(Introduction.seed)).order_by(Introduction.id))
    return {(i.need.external_id, i.seed.external_id): i for i in rows}
