"""Matches as the API and the CLI return them: ids, scores, members, reasons."""

from collections.abc import Callable, Container
from dataclasses import dataclass, field
from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.matches.engine import Filters, MatchingEngine
from app.programs.eligibility import Applicant
from app.programs.service import applicant_of, current_catalog, top_for_pairs
from app.roster.models import Need, Organization
from matching.documents import Document
from matching.ranker import Match
from matching.reasons import build_reasons, reason_sentence, reason_sentence_en

PAIRS_PER_POSTING = 10
OTHER_PAIRS_SHARE = 0.25


def match_payload(engine: MatchingEngine, match: Match, query_industry: str | None,
                  programs: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """One match with its member, channel scores, reasons and (for need–seed pairs) support programs."""
    doc = match.doc
    reasons = build_reasons(match, engine.vocabulary, query_industry)
    extra = {"programs": programs} if programs is not None else {}
    return extra | {
        doc.kind: doc.id,
        "title": doc.title,
        "score": round(match.score, 4),
        "organization": {"id": doc.org.id, "name": doc.org.name, "prefecture": doc.org.prefecture,
                         "roles": list(doc.org.roles)},
        "channels": {k: round(v, 4) for k, v in match.channels.items()},
        "reasons": reasons,
        "reason_text": reason_sentence(reasons),
        "reason_text_en": reason_sentence_en(reasons),
    }


@dataclass
class _RosterFacts:
    """What program suggestions read of the roster (members as applicants, needs' budgets) at one generation
    of the engine's documents."""

    generation: int
    applicants: dict[str, Applicant] = field(default_factory=dict)
    budgets: dict[str, int | None] = field(default_factory=dict)


# Per engine: a member's facts change only with the roster, and the engine's generation tells when it has (an
# edit of a member or a need changes its documents).
_FACTS: WeakKeyDictionary[MatchingEngine, _RosterFacts] = WeakKeyDictionary()


def programs_for_pairs(db_session: Session, pairs: list[tuple[Document, Document]], limit: int = 3, *,
                       engine: MatchingEngine | None = None) -> list[list[dict[str, Any]]]:
    """Top support programs for each (need, seed) pair: the need's member applies, the seed's member partners.

    With the engine that ranked the pairs, the members and budgets are read once per generation of its documents.
    """
    facts = _roster_facts(db_session, pairs, engine)
    catalog = current_catalog(db_session=db_session,
                              recheck_seconds=engine.settings.index_poll_seconds if engine is not None else None)
    # A need's pairs share its text and its member, so they are judged together.
    positions: dict[str, list[int]] = {}
    for position, (need, _) in enumerate(pairs):
        positions.setdefault(need.id, []).append(position)
    found: list[list[dict[str, Any]]] = [[] for _ in pairs]
    members = facts.applicants
    for at in positions.values():
        need = pairs[at[0]][0]
        # The need's budget is what its member plans to spend, so it prices the estimated support.
        tops = top_for_pairs(db_session=db_session, need_org=members[need.org.id],
                             seed_orgs=[members[pairs[i][1].org.id] for i in at], need_text=need.text, limit=limit,
                             investment_jpy=facts.budgets.get(need.id), catalog=catalog)
        for i, top in zip(at, tops, strict=True):
            found[i] = top
    return found


def _roster_facts(db_session: Session, pairs: list[tuple[Document, Document]],
                  engine: MatchingEngine | None) -> _RosterFacts:
    """The pairs' members as applicants and their needs' budgets: those not known at the engine's generation
    are read from the database (all of them without an engine)."""
    if engine is None:
        facts = _RosterFacts(-1)  # nothing to keep them with: all are read
    else:
        kept = _FACTS.get(engine)
        facts = kept if kept is not None and kept.generation == engine.generation else _RosterFacts(engine.generation)
        _FACTS[engine] = facts
    # Membership tests only: another request may be adding to the same dicts.
    org_ids = {doc.org.id for pair in pairs for doc in pair if doc.org.id not in facts.applicants}
    if org_ids:
        # populate_existing: a member this session loaded earlier is read again, as it is now, since what is
        # read here is kept for every later request at this generation.
        orgs = db_session.scalars(select(Organization).where(Organization.external_id.in_(org_ids))
                                  .execution_options(populate_existing=True))
        facts.applicants.update({o.external_id: applicant_of(o) for o in orgs})
    need_ids = {need.id for need, _ in pairs if need.id not in facts.budgets}
    if need_ids:
        budgets = db_session.execute(select(Need.external_id, Need.budget_jpy).where(Need.external_id.in_(need_ids)))
        facts.budgets.update({external_id: budget for external_id, budget in budgets})
    return facts


def warm_up(db_session: Session, engine: MatchingEngine) -> None:
    """Answer one match with its support programs and one search, so that what the first requests would load
    (the programs catalog and what is derived from it, the tokenizer's dictionary, cached query paths) is
    loaded before the server says it is ready: at 100k seeds the first request of a worker took over a second."""
    need_id = next(iter(engine.corpora["need"].docs), None)
    if need_id is None:
        return
    need = engine.document("need", need_id)
    matches = engine.match_need(need_id)
    programs_for_pairs(db_session, [(need, m.doc) for m in matches], engine=engine)
    engine.search(need.title, limit=1)


def organization_exists(db_session: Session, org_id: str) -> bool:
    """Whether the roster has a member with this id (with or without needs and seeds)."""
    return db_session.scalar(select(Organization.id).where(Organization.external_id == org_id)) is not None


def partners_for(engine: MatchingEngine, org_id: str, *, limit: int, filters: Filters,
                 exclude_member: Callable[[Document], bool] | None = None,
                 seen: Container[tuple[str, str]] = ()) -> list[dict[str, Any]]:
    """Members whose seeds answer this member's needs or whose needs its seeds serve, best first.

    A partner's score is its best pair plus a smaller share of its other pairs, so a member that fits
    several ways ranks above one single strong pair. exclude_member and seen (need id, seed id) pairs
    are left out before ranking, so `limit` partners come back whenever that many qualify. A member
    with no needs or seeds has no partners.
    """
    needs = [d for d in engine.corpora["need"].docs.values() if d.org.id == org_id]
    seeds = [d for d in engine.corpora["seed"].docs.values() if d.org.id == org_id]
    pairs: dict[str, list[tuple[float, dict[str, Any]]]] = {}
    orgs = {}
    for need in needs:
        skip = _skipper(exclude_member, seen, need_id=need.id)
        for m in engine.match_need(need.id, limit=PAIRS_PER_POSTING, filters=filters, exclude=skip):
            orgs[m.doc.org.id] = m.doc.org
            pairs.setdefault(m.doc.org.id, []).append((m.score, {"need": need.id, "seed": m.doc.id,
                                                                 "score": round(m.score, 4)}))
    for seed in seeds:
        skip = _skipper(exclude_member, seen, seed_id=seed.id)
        for m in engine.match_seed(seed.id, limit=PAIRS_PER_POSTING, filters=filters, exclude=skip):
            orgs[m.doc.org.id] = m.doc.org
            pairs.setdefault(m.doc.org.id, []).append((m.score, {"seed": seed.id, "need": m.doc.id,
                                                                 "score": round(m.score, 4)}))
    ranked: list[dict[str, Any]] = []
    for partner, found in pairs.items():
        scores = sorted((s for s, _ in found), reverse=True)
        org = orgs[partner]
        ranked.append({
            "organization": {"id": org.id, "name": org.name, "prefecture": org.prefecture, "roles": list(org.roles)},
            "score": round(scores[0] + OTHER_PAIRS_SHARE * sum(scores[1:]), 4),
            "pairs": [p for _, p in sorted(found, key=lambda x: -x[0])][:5],
        })
    ranked.sort(key=lambda p: (-float(p["score"]), str(p["organization"]["id"])))
    return ranked[:limit]


def _skipper(exclude_member: Callable[[Document], bool] | None, seen: Container[tuple[str, str]], *,
             need_id: str | None = None, seed_id: str | None = None) -> Callable[[Document], bool]:
    """Excludes documents of excluded members and documents that would form a seen pair with the posting."""
    def skip(doc: Document) -> bool:
        pair = (need_id or doc.id, seed_id or doc.id)
        return pair in seen or (exclude_member is not None and exclude_member(doc))
    return skip
