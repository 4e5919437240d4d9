"""Matching endpoints: seeds for a need, needs for a seed, partners for a member, free-text search."""

from typing import Annotated, Literal

from fastapi import APIRouter, Query

from app.dependencies import SessionDep
from app.matches.dependencies import EngineDep
from app.matches.engine import Filters
from app.matches.schemas import MatchList, PartnerList
from app.matches.service import match_payload, partners_for, programs_for_pairs
from app.roster.vocab import INDUSTRIES, PREFECTURES, ROLES

router = APIRouter(prefix="/v1", tags=["matches"])

Limit = Annotated[int, Query(ge=1, le=100, description="how many results")]
Prefecture = Annotated[str | None, Query(description="only members in this prefecture (kanji), e.g. 福岡県")]
Role = Annotated[Literal[ROLES] | None, Query(description="only members with this role")]  # type: ignore[valid-type]
Industry = Annotated[str | None, Query(pattern="^[A-T]$", description="only members of this JSIC division")]


def _filters(prefecture: str | None, role: str | None, industry: str | None) -> Filters:
    from app.errors import InvalidInput

    if prefecture is not None and prefecture not in PREFECTURES:
        raise InvalidInput(f"prefecture {prefecture!r} is not one of the 47 prefectures (kanji, e.g. 福岡県)",
                           field="prefecture")
    if industry is not None and industry not in INDUSTRIES:
        raise InvalidInput("industry must be a JSIC major division letter A..T", field="industry")
    return Filters(prefecture=prefecture, role=role, industry=industry)


@router.get("/needs/{need_id}/matches", response_model=MatchList, summary="Seeds that can solve a need")
def need_matches(need_id: str, engine: EngineDep, session: SessionDep, limit: Limit = 10,
                 prefecture: Prefecture = None, role: Role = None, industry: Industry = None) -> dict[str, object]:
    """課題に応えられる他の会員のシーズを、理由と使えそうな支援制度つきで順位づけします。"""
    need = engine.document("need", need_id)
    matches = engine.match_need(need_id, limit=limit, filters=_filters(prefecture, role, industry))
    programs = programs_for_pairs(session, [(need, m.doc) for m in matches])
    return {"query": {"need": need_id, "title": need.title},
            "matches": [match_payload(engine, m, need.org.industry, p) for m, p in zip(matches, programs, strict=True)]}


@router.get("/seeds/{seed_id}/matches", response_model=MatchList, summary="Needs a seed can serve")
def seed_matches(seed_id: str, engine: EngineDep, session: SessionDep, limit: Limit = 10,
                 prefecture: Prefecture = None, role: Role = None, industry: Industry = None) -> dict[str, object]:
    """シーズで解決できそうな他の会員の課題を、使えそうな支援制度つきで順位づけします。"""
    seed = engine.document("seed", seed_id)
    matches = engine.match_seed(seed_id, limit=limit, filters=_filters(prefecture, role, industry))
    programs = programs_for_pairs(session, [(m.doc, seed) for m in matches])
    return {"query": {"seed": seed_id, "title": seed.title},
            "matches": [match_payload(engine, m, m.doc.org.industry, p) for m, p in zip(matches, programs, strict=True)]}


@router.get("/organizations/{org_id}/partners", response_model=PartnerList, summary="Best partners for a member")
def organization_partners(org_id: str, engine: EngineDep, limit: Limit = 10, prefecture: Prefecture = None,
                          role: Role = None, industry: Industry = None) -> dict[str, object]:
    """会員の課題とシーズの両方向から、相性のよい相手の会員を挙げます。"""
    return {"organization": org_id,
            "partners": partners_for(engine, org_id, limit=limit, filters=_filters(prefecture, role, industry))}


@router.get("/search", response_model=MatchList, summary="Free-text search over seeds or needs")
def search(engine: EngineDep, q: Annotated[str, Query(min_length=1, max_length=1000, description="検索語・文章")],
           target: Literal["seeds", "needs"] = "seeds", limit: Limit = 10, prefecture: Prefecture = None,
           role: Role = None, industry: Industry = None) -> dict[str, object]:
    """自由文でシーズ（またはニーズ）を探します。"""
    kind = "seed" if target == "seeds" else "need"
    matches = engine.search(q, target=kind, limit=limit, filters=_filters(prefecture, role, industry))
    return {"query": {"q": q, "target": target}, "matches": [match_payload(engine, m, None) for m in matches]}
