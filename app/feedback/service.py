"""Record feedback on pairs, summarize it, and tell which pairs a member has already dealt with."""

from collections import Counter
from collections.abc import Iterable

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, selectinload

from app.errors import Forbidden, InvalidInput
from app.feedback.models import STATUSES, Feedback
from app.messages import choices, error
from app.roster.models import Need, Organization, Seed

# A member that marked a pair not relevant, or has already met, does not want it proposed again.
SEEN_STATUSES = frozenset({"not_relevant", "met"})


def give_feedback(*, db_session: Session, need: Need, seed: Seed, status: str, note: str | None,
                  organization: Organization | None, api_key_id: int | None) -> Feedback:
    """Store a statement about the pair: by a member on a pair with its own need or seed, or by the secretariat."""
    if need.organization_id == seed.organization_id:
        raise error(InvalidInput, "invalid.same_organization", field="seed", need=need.external_id,
                    seed=seed.external_id)
    if organization is not None and organization.id not in (need.organization_id, seed.organization_id):
        raise error(Forbidden, "forbidden.feedback_pair", need=need.external_id, seed=seed.external_id,
                    own=organization.external_id)
    if status not in STATUSES:
        raise error(InvalidInput, "invalid.status", field="status", allowed=choices(STATUSES))
    feedback = Feedback(need=need, seed=seed, status=status, note=note, organization=organization,
                        api_key_id=api_key_id)
    db_session.add(feedback)
    db_session.flush()
    return feedback


def _latest(rows: Iterable[Feedback]) -> dict[tuple[int | None, int, int], Feedback]:
    """The current statement per (giver, need, seed): rows must come oldest first (id order)."""
    return {(f.organization_id, f.need_id, f.seed_id): f for f in rows}


def list_feedback(*, db_session: Session, organization: str | None, need: str | None = None,
                  seed: str | None = None, limit: int, offset: int) -> tuple[list[Feedback], int]:
    """Statements newest first: a member's own (organization = its id), or everyone's (None, the secretariat)."""
    query = select(Feedback)
    if organization is not None:
        query = query.join(Organization, Feedback.organization_id == Organization.id).where(
            Organization.external_id == organization)
    if need is not None:
        query = query.where(Feedback.need_id.in_(select(Need.id).where(Need.external_id == need)))
    if seed is not None:
        query = query.where(Feedback.seed_id.in_(select(Seed.id).where(Seed.external_id == seed)))
    total = db_session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = db_session.scalars(query.options(selectinload(Feedback.need), selectinload(Feedback.seed),
                                            selectinload(Feedback.organization))
                              .order_by(Feedback.id.desc()).limit(limit).offset(offset))
    return list(rows), total


def summary(*, db_session: Session) -> dict[str, list[dict[str, object]]]:
    """Counts of current statuses per seed and per need, busiest first."""
    rows = db_session.scalars(select(Feedback).options(selectinload(Feedback.need), selectinload(Feedback.seed))
                              .order_by(Feedback.id))
    per_seed: dict[str, Counter[str]] = {}
    per_need: dict[str, Counter[str]] = {}
    for feedback in _latest(rows).values():
        per_seed.setdefault(feedback.seed.external_id, Counter())[feedback.status] += 1
        per_need.setdefault(feedback.need.external_id, Counter())[feedback.status] += 1

    def listed(counts: dict[str, Counter[str]]) -> list[dict[str, object]]:
        ordered = sorted(counts.items(), key=lambda pair: (-pair[1].total(), pair[0]))
        return [{"id": i, "counts": dict(c), "total": c.total()} for i, c in ordered]

    return {"seeds": listed(per_seed), "needs": listed(per_need)}


def seen_pairs(*, db_session: Session, organization: str) -> set[tuple[str, str]]:
    """(need id, seed id) pairs last marked not_relevant or met: matching skips them for this member.

    The member's own latest statement on a pair decides; without one, the secretariat's does (it records
    meetings that took place at events, and speaks for members who do not use the service themselves).
    """
    rows = db_session.scalars(
        select(Feedback).outerjoin(Organization, Feedback.organization_id == Organization.id)
        .where(or_(Organization.external_id == organization, Feedback.organization_id.is_(None)))
        .options(selectinload(Feedback.need), selectinload(Feedback.seed))
        .order_by(Feedback.id))
    member_id = db_session.scalar(select(Organization.id).where(Organization.external_id == organization))
    current: dict[tuple[str, str], Feedback] = {}
    for f in _latest(rows).values():  # a member statement replaces the secretariat one, never the reverse
        pair = (f.need.external_id, f.seed.external_id)
        if f.organization_id is not None:
            current[pair] = f
        elif pair not in current and member_id in (f.need.organization_id, f.seed.organization_id):
            current[pair] = f  # the secretariat speaks only for the pair's own members
    return {pair for pair, f in current.items() if f.status in SEEN_STATUSES}
