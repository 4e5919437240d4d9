"""Matches shaped for the pages: reasons, highlighted terms, programs and the member's own feedback."""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from app.feedback.models import Feedback
from app.matches.engine import Filters, MatchingEngine
from app.matches.service import match_payload, programs_for_pairs
from app.programs import service as program_service
from app.roster.models import Need, Organization, Seed
from matching.documents import Document
from matching.ranker import Match

PARTICLES = "のをがにへ"


@dataclass
class ResultView:
    """One match as a page lists it."""

    match: Match
    payload: dict[str, Any]
    terms: list[str]
    programs: list[dict[str, Any]] = field(default_factory=list)
    status: str | None = None
    intro: Any = None  # the member's latest introduction on the pair, if any

    @property
    def doc(self) -> Any:
        """The matched need or seed (ranking view)."""
        return self.match.doc


def matched_terms(engine: MatchingEngine, match: Match) -> list[str]:
    """Words to mark in the result: shared tokens and the result's own wording of shared concepts."""
    tagging = engine.corpora[match.doc.kind].taggings.get(match.doc.id)
    surfaces = [term_to_mark(s) for c in match.overlap.shared if tagging for s in tagging.concepts.get(c, ())]
    return list(dict.fromkeys([*match.shared_terms, *surfaces]))


def term_to_mark(surface: str) -> str:
    # Vocabulary surfaces such as 牛の / 豚を carry a particle so that they match a noun, not a kanji inside
    # another word; the mark belongs on the noun alone.
    return surface[:-1] if len(surface) > 1 and surface[-1] in PARTICLES else surface


def result_view(engine: MatchingEngine, match: Match, query_industry: str | None = None,
                programs: list[dict[str, Any]] | None = None) -> ResultView:
    """The match with its payload (reasons, sentence) and the terms to highlight."""
    return ResultView(match, match_payload(engine, match, query_industry), matched_terms(engine, match),
                      programs or [])


def search(engine: MatchingEngine, q: str, *, target: str, filters: Filters, limit: int = 20) -> list[ResultView]:
    """Free-text search results with reasons."""
    return [result_view(engine, m) for m in engine.search(q, target=target, limit=limit, filters=filters)]


def reasons_for(engine: MatchingEngine, q: str, kind: str, external_id: str) -> ResultView | None:
    """Why one stored need or seed fits the text (None when it does not come up at all)."""
    everything = len(engine.corpora[kind])
    found = [m for m in engine.search(q, target=kind, limit=everything) if m.doc.id == external_id]
    return result_view(engine, found[0]) if found else None


def pair_match(engine: MatchingEngine, need_id: str, seed_id: str) -> Match | None:
    """The ranking's view of one need–seed pair (None when the seed never comes up for the need)."""
    everything = len(engine.corpora["seed"])
    return next((m for m in engine.match_need(need_id, limit=everything) if m.doc.id == seed_id), None)


def member_statuses(db_session: Session, organization_id: int) -> dict[tuple[str, str], str]:
    """The member's current word on each (need id, seed id) pair: its latest statement."""
    rows = db_session.scalars(select(Feedback).where(Feedback.organization_id == organization_id)
                              .options(selectinload(Feedback.need), selectinload(Feedback.seed))
                              .order_by(Feedback.id))
    return {(f.need.external_id, f.seed.external_id): f.status for f in rows}


def _hiding(hidden: set[tuple[str, str]] | None, *, need_id: str | None = None,
            seed_id: str | None = None) -> Callable[[Document], bool] | None:
    """Leaves out the documents that would form a hidden (need id, seed id) pair with the posting."""
    if not hidden:
        return None
    return lambda doc: (need_id or doc.id, seed_id or doc.id) in hidden


@dataclass
class PostingView:
    """A member's own need or seed with what the service proposes for it."""

    posting: Need | Seed
    results: list[ResultView]
    programs: list[dict[str, Any]] = field(default_factory=list)  # a need's suggested programs, best fit first


def need_views(engine: MatchingEngine, db_session: Session, org: Organization, statuses: dict[tuple[str, str], str],
               limit: int, hidden: set[tuple[str, str]] | None = None) -> list[PostingView]:
    """Each need with its suggested programs, its best seeds, their reasons, programs for the pair and the status.

    A need's programs are the API's and the CLI's suggestions for the member and the need (one service call).
    `hidden` (need id, seed id) pairs are not proposed (introductions the other member declined).
    """
    views = []
    for need in org.needs:
        suggestion = program_service.suggest(db_session=db_session, org_id=org.external_id, need_id=need.external_id)
        programs = program_service.suggested_programs(suggestion)
        if need.external_id not in engine.corpora["need"].docs:
            views.append(PostingView(need, [], programs))
            continue
        doc = engine.document("need", need.external_id)
        need_id = need.external_id
        matches = engine.match_need(need_id, limit=limit, exclude=_hiding(hidden, need_id=need_id))
        # every suggestion for each pair, so the page can show those the partner helps to qualify for
        pair_programs = programs_for_pairs(db_session, [(doc, m.doc) for m in matches],
                                           limit=len(program_service.current_catalog(db_session=db_session)),
                                           engine=engine)
        results = [result_view(engine, m, doc.org.industry, p) for m, p in zip(matches, pair_programs, strict=True)]
        for r in results:
            r.status = statuses.get((need.external_id, r.doc.id))
        views.append(PostingView(need, results, programs))
    return views


def seed_views(engine: MatchingEngine, org: Organization, statuses: dict[tuple[str, str], str],
               limit: int, hidden: set[tuple[str, str]] | None = None) -> list[PostingView]:
    """Each seed with the needs it can serve, their reasons and the member's status, less the `hidden` pairs."""
    views = []
    for seed in org.seeds:
        if seed.external_id not in engine.corpora["seed"].docs:
            views.append(PostingView(seed, []))
            continue
        seed_id = seed.external_id
        results = [result_view(engine, m, m.doc.org.industry)
                   for m in engine.match_seed(seed_id, limit=limit, exclude=_hiding(hidden, seed_id=seed_id))]
        for r in results:
            r.status = statuses.get((r.doc.id, seed.external_id))
        views.append(PostingView(seed, results))
    return views
