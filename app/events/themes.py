"""Themes of the current needs and seeds for the secretariat's study groups, and the needs nobody answers well."""

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from app.errors import InvalidInput
from app.matches.engine import MatchingEngine
from app.matches.vectors import embed_documents
from app.messages import error
from app.roster.models import Need, Seed
from app.roster.vocab import INDUSTRIES
from matching import themes as theme_core

DEFAULT_THEMES = 8
# Fused match scores are z-score sums without a fixed scale, so "weak" is judged against the typical need:
# a best match below this share of the median need's best match.
WEAK_SHARE_OF_MEDIAN = 0.6


def theme_report(*, db_session: Session, engine: MatchingEngine, k: int = DEFAULT_THEMES,
                 weak_below: float | None = None, prefecture: str | None = None) -> dict[str, Any]:
    """Themes (k-means over the stored embeddings) with their members, and unmet needs by prefecture × field.

    weak_below: the best-match score under which a need counts as unmet; by default 0.6 × the median.
    """
    if not 1 <= k <= 50:
        raise error(InvalidInput, "invalid.theme_count", field="themes")
    needs: list[Need] = _rows(db_session, Need, prefecture)
    rows: list[tuple[str, Need | Seed]] = [("need", r) for r in needs]
    rows += [("seed", r) for r in _rows(db_session, Seed, prefecture)]
    items = [theme_core.Item(r.external_id, kind, r.organization.external_id, r.title, r.text) for kind, r in rows]
    vectors = embed_documents(db_session, engine.text_encoder, [r.text for _, r in rows])
    found = theme_core.themes(items, vectors, engine.vocabulary, k)
    titles = {i.id: i.title for i in items}
    best = _best_matches(engine, needs)
    if weak_below is None:
        weak_below = round(theme_core.weak_threshold(best, WEAK_SHARE_OF_MEDIAN), 4)
    unmet = theme_core.unmet_needs(best, weak_below)
    return {
        "themes": [{"id": t.id, "name": t.name, "terms": list(t.terms), "labels": list(t.labels),
                    "members": list(t.members),
                    "needs": [{"id": n, "title": titles[n]} for n in t.needs],
                    "seeds": [{"id": s, "title": titles[s]} for s in t.seeds]} for t in found],
        "weak_below": weak_below,
        "unmet_needs": [{"prefecture": g.prefecture, "field": g.field, "count": len(g.needs),
                         "needs": [{"id": n.need, "title": titles[n.need], "member": n.member,
                                    "best_score": round(n.best_score, 4) if n.best_seed else None,
                                    "best_seed": n.best_seed}
                                   for n in g.needs]} for g in unmet],
    }


def _rows(db_session: Session, model: Any, prefecture: str | None) -> list[Any]:
    rows = db_session.scalars(select(model).options(selectinload(model.organization)).order_by(model.external_id))
    return [r for r in rows if prefecture is None or r.organization.prefecture == prefecture]


def _best_matches(engine: MatchingEngine, needs: list[Need]) -> list[theme_core.UnmetNeed]:
    engine_needs = engine.corpora["need"].docs
    out = []
    for need in needs:
        if need.external_id not in engine_needs:
            continue  # added since the engine last synced: judged on the next call
        best = engine.match_need(need.external_id, limit=1)
        fallback = INDUSTRIES.get(need.organization.industry, need.organization.industry)
        out.append(theme_core.UnmetNeed(
            need.external_id, need.organization.external_id, need.organization.prefecture,
            theme_core.field_of(need.text, engine.vocabulary, fallback),
            best[0].score if best else float("-inf"), best[0].doc.id if best else None))
    return out
