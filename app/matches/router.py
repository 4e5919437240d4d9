"""Matching endpoints: seeds for a need, needs for a seed, partners for a member, free-text search.

Lab keys get their lab's prefecture and focus industries unless the request says otherwise; member keys
do not see again the pairs they marked not_relevant or met, nor those whose introduction they asked for and the
other member declined, unless they ask with include_seen=true; each pair then says where its introduction stands.
"""

from collections.abc import Callable
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from pydantic import StringConstraints

from app.auth.dependencies import CurrentKey, Principal, ScopedIndustries, ScopedPrefecture
from app.dependencies import SessionDep
from app.errors import NotFound
from app.feedback import service as feedback_service
from app.introductions import service as introduction_service
from app.matches.dependencies import EngineDep
from app.matches.engine import Filters, MatchingEngine
from app.matches.schemas import MatchList, PartnerList
from app.matches.service import match_payload, organization_exists, partners_for, programs_for_pairs
from app.messages import error
from app.roster.vocab import ROLES
from matching.documents import Document

router = APIRouter(prefix="/v1", tags=["matches"])

Limit = Annotated[int, Query(ge=1, le=100, description="how many results")]
Role = Annotated[Literal[ROLES] | None, Query(description="only members with this role")]  # type: ignore[valid-type]
IncludeSeen = Annotated[bool, Query(
    description="member keys: also show pairs you marked not_relevant or met, and pairs whose introduction the "
                "other member declined (hidden by default; the match's `introduction` says so)")]
WithPrograms = Annotated[bool, Query(
    description="also suggest support programs for each pair (set false when only the ranking is needed)")]
Pair = tuple[str, str]
# Blank like empty: a query of spaces alone asks for nothing (422, not every seed ranked on noise).
SearchText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=1000),
                       Query(description="検索語・文章（空白だけは不可）")]


def _filters(prefecture: str | None, role: str | None, industries: tuple[str, ...] | None) -> Filters:
    return Filters(prefecture=prefecture, role=role, industry=industries[0] if industries and len(industries) == 1
                   else None)


def _outside(industries: tuple[str, ...] | None) -> Callable[[Document], bool]:
    """Excludes members outside the industries (several of them: the single one goes into Filters)."""
    return lambda doc: industries is not None and doc.org.industry not in industries


def _seen(db_session: SessionDep, key: Principal, include_seen: bool) -> set[Pair]:
    """The (need, seed) pairs the member has done with; none for other keys or with include_seen."""
    if include_seen or key.organization is None:
        return set()
    return (feedback_service.seen_pairs(db_session=db_session, organization=key.organization)
            | introduction_service.declined_pairs(db_session=db_session, organization=key.organization))


def _with_introductions(db_session: SessionDep, key: Principal, payloads: list[dict[str, object]],
                        pair_of: Callable[[dict[str, object]], Pair]) -> list[dict[str, object]]:
    """Member keys: each match says where the member's introduction on the pair stands (asked, declined…)."""
    if key.organization_id is None or key.is_secretariat:
        return payloads
    states = introduction_service.pair_states(db_session=db_session, organization_id=key.organization_id)
    for payload in payloads:
        intro = states.get(pair_of(payload))
        if intro is not None:
            payload["introduction"] = {"id": intro.id, "state": intro.state,
                                       "asked_by_you": intro.asker_id == key.organization_id}
    return payloads


def _document(engine: MatchingEngine, kind: str, external_id: str) -> Document:
    try:
        return engine.document(kind, external_id)
    except NotFound as exc:
        raise error(NotFound, f"not_found.{kind}", id=external_id) from exc


@router.get("/needs/{need_id}/matches", response_model=MatchList, summary="Seeds that can solve a need")
def need_matches(need_id: str, engine: EngineDep, session: SessionDep, key: CurrentKey,
                 prefecture: ScopedPrefecture, industries: ScopedIndustries, limit: Limit = 10,
                 role: Role = None, include_seen: IncludeSeen = False,
                 programs: WithPrograms = True) -> dict[str, object]:
    """課題に応えられる他の会員のシーズを、理由と使えそうな支援制度つきで順位づけします。"""
    need = _document(engine, "need", need_id)
    seen, outside = _seen(session, key, include_seen), _outside(industries)
    matches = engine.match_need(need_id, limit=limit, filters=_filters(prefecture, role, industries),
                                exclude=lambda doc: outside(doc) or (need_id, doc.id) in seen)
    suggested = (programs_for_pairs(session, [(need, m.doc) for m in matches], engine=engine) if programs
                 else [None] * len(matches))
    payloads = [match_payload(engine, m, need.org.industry, p) for m, p in zip(matches, suggested, strict=True)]
    return {"query": {"need": need_id, "title": need.title},
            "matches": _with_introductions(session, key, payloads, lambda p: (need_id, str(p["seed"])))}


@router.get("/seeds/{seed_id}/matches", response_model=MatchList, summary="Needs a seed can serve")
def seed_matches(seed_id: str, engine: EngineDep, session: SessionDep, key: CurrentKey,
                 prefecture: ScopedPrefecture, industries: ScopedIndustries, limit: Limit = 10,
                 role: Role = None, include_seen: IncludeSeen = False,
                 programs: WithPrograms = True) -> dict[str, object]:
    """シーズで解決できそうな他の会員の課題を、使えそうな支援制度つきで順位づけします。"""
    seed = _document(engine, "seed", seed_id)
    seen, outside = _seen(session, key, include_seen), _outside(industries)
    matches = engine.match_seed(seed_id, limit=limit, filters=_filters(prefecture, role, industries),
                                exclude=lambda doc: outside(doc) or (doc.id, seed_id) in seen)
    suggested = (programs_for_pairs(session, [(m.doc, seed) for m in matches], engine=engine) if programs
                 else [None] * len(matches))
    payloads = [match_payload(engine, m, m.doc.org.industry, p) for m, p in zip(matches, suggested, strict=True)]
    return {"query": {"seed": seed_id, "title": seed.title},
            "matches": _with_introductions(session, key, payloads, lambda p: (str(p["need"]), seed_id))}


@router.get("/organizations/{org_id}/partners", response_model=PartnerList, summary="Best partners for a member")
def organization_partners(org_id: str, engine: EngineDep, session: SessionDep, key: CurrentKey,
                          prefecture: ScopedPrefecture, industries: ScopedIndustries, limit: Limit = 10,
                          role: Role = None, include_seen: IncludeSeen = False) -> dict[str, object]:
    """会員の課題とシーズの両方向から、相性のよい相手の会員を挙げます。"""
    if not organization_exists(session, org_id):
        raise error(NotFound, "not_found.organization", id=org_id)
    partners = partners_for(engine, org_id, limit=limit, filters=_filters(prefecture, role, industries),
                            exclude_member=_outside(industries), seen=_seen(session, key, include_seen))
    return {"organization": org_id, "partners": partners}


@router.get("/search", response_model=MatchList, summary="Free-text search over seeds or needs")
def search(engine: EngineDep, prefecture: ScopedPrefecture, industries: ScopedIndustries,
           q: SearchText,
           target: Literal["seeds", "needs"] = "seeds", limit: Limit = 10, role: Role = None) -> dict[str, object]:
    """自由文でシーズ（またはニーズ）を探します。ラボのキーは既定でラボの県と重点業種に絞ります。"""
    kind = "seed" if target == "seeds" else "need"
    matches = engine.search(q, target=kind, limit=limit, filters=_filters(prefecture, role, industries),
                            exclude=_outside(industries))
    return {"query": {"q": q, "target": target}, "matches": [match_payload(engine, m, None) for m in matches]}
