"""Figures for the secretariat's dashboard: the community by role and prefecture, matching and feedback."""

from collections import Counter
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from app.feedback import service as feedback_service
from app.feedback.models import STATUSES, Feedback
from app.matches.engine import MatchingEngine
from app.roster.models import Need, Organization, Seed
from app.roster.vocab import PREFECTURES, ROLES

# What a member sees on its page per need, so this is what the service has suggested.
MATCHES_PER_NEED = 5
# A need counts as met once a pair on it reached one of these.
MET_STATUSES = frozenset({"met", "deal"})
RECENT_FEEDBACK = 10


@dataclass(frozen=True)
class Overview:
    """Everything the dashboard shows."""

    members: int
    needs: int
    seeds: int
    by_role: list[tuple[str, int]]
    by_prefecture: list[tuple[str, int]]
    suggested: int
    feedback_total: int
    feedback_by_status: dict[str, int]
    recent: list[Feedback]
    unmet: dict[tuple[str, str], int]


def _by_role(db_session: Session) -> list[tuple[str, int]]:
    counts: Counter[str] = Counter()
    for roles in db_session.scalars(select(Organization.roles)):
        counts.update(set(roles or ()))
    return [(role, counts[role]) for role in ROLES]


def _by_prefecture(db_session: Session) -> list[tuple[str, int]]:
    rows = db_session.execute(select(Organization.prefecture, func.count(Organization.id))
                              .group_by(Organization.prefecture)).all()
    counts = {prefecture: count for prefecture, count in rows}
    return [(p, counts[p]) for p in PREFECTURES if p in counts]


def _unmet_needs(db_session: Session, met: set[int]) -> dict[tuple[str, str], int]:
    """(prefecture, industry) -> needs of members there that no pair has met yet."""
    counts: Counter[tuple[str, str]] = Counter()
    rows = db_session.execute(select(Need.id, Organization.prefecture, Organization.industry)
                              .join(Organization, Need.organization_id == Organization.id))
    for need_id, prefecture, industry in rows:
        if need_id not in met:
            counts[(prefecture, industry)] += 1
    return dict(counts)


def _feedback(db_session: Session) -> tuple[int, dict[str, int], set[int]]:
    """Statements received, current statuses, and the needs some pair has met."""
    total = db_session.scalar(select(func.count(Feedback.id))) or 0
    current: Counter[str] = Counter()
    for row in feedback_service.summary(db_session=db_session)["needs"]:
        counts: Any = row["counts"]
        current.update(counts)
    met = set(db_session.scalars(select(Feedback.need_id).where(Feedback.status.in_(MET_STATUSES))))
    return total, {s: current.get(s, 0) for s in STATUSES}, met


# Ranking every need takes a while on a large roster; the count only changes with the data.
_SUGGESTED: dict[int, tuple[str, int]] = {}


def suggested_matches(engine: MatchingEngine) -> int:
    """Pairs the member pages propose: the top matches of every need (recounted when the data changed)."""
    cached = _SUGGESTED.get(id(engine))
    if cached is not None and cached[0] == engine.watermark:
        return cached[1]
    needs = list(engine.corpora["need"].docs)
    count = sum(len(engine.match_need(need_id, limit=MATCHES_PER_NEED)) for need_id in needs)
    _SUGGESTED[id(engine)] = (engine.watermark, count)
    return count


def recent_feedback(db_session: Session, limit: int = RECENT_FEEDBACK) -> list[Feedback]:
    """The latest statements, newest first, with their need, seed and giver loaded."""
    return list(db_session.scalars(
        select(Feedback).options(selectinload(Feedback.need), selectinload(Feedback.seed),
                                 selectinload(Feedback.organization))
        .order_by(Feedback.id.desc()).limit(limit)))


def overview(db_session: Session, engine: MatchingEngine) -> Overview:
    """The dashboard's figures, read now."""
    total, by_status, met = _feedback(db_session)
    return Overview(
        members=db_session.scalar(select(func.count(Organization.id))) or 0,
        needs=db_session.scalar(select(func.count(Need.id))) or 0,
        seeds=db_session.scalar(select(func.count(Seed.id))) or 0,
        by_role=_by_role(db_session), by_prefecture=_by_prefecture(db_session),
        suggested=suggested_matches(engine), feedback_total=total, feedback_by_status=by_status,
        recent=recent_feedback(db_session), unmet=_unmet_needs(db_session, met),
    )
