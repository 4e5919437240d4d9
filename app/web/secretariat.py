"""The secretariat's dashboard: the community at a glance, matching and feedback, unmet needs by region."""

from fastapi import APIRouter
from starlette.responses import Response

from app.dependencies import SessionDep
from app.events import service as event_service
from app.matches.dependencies import EngineDep
from app.roster.vocab import INDUSTRIES, KYUSHU, PREFECTURES
from app.web import charts, stats
from app.web.pages import PageError, PageRoute, VisitorDep, industry_label, login_url, page, redirect

router = APIRouter(route_class=PageRoute, include_in_schema=False)


def _unmet_chart(unmet: dict[tuple[str, str], int], lang: str, title: str) -> object:
    present = {p for p, _ in unmet}
    rows = [p for p in PREFECTURES if p in present or p in KYUSHU]
    columns = [c for c in INDUSTRIES if any(i == c for _, i in unmet)]
    labels = {c: f"{c} {industry_label(c, lang)}" for c in columns}
    return charts.heatmap(rows, columns, unmet, row_labels={p: p for p in rows}, column_labels=labels, title=title)


@router.get("/dashboard", name="dashboard")
def dashboard(visitor: VisitorDep, db_session: SessionDep, engine: EngineDep) -> Response:
    """Counts by role and prefecture, matches suggested, feedback received, and the unmet-needs chart."""
    if visitor.principal is None:
        return redirect(visitor, login_url("/dashboard"))
    if not visitor.principal.is_secretariat:
        raise PageError(403, "page.error.dashboard_secretariat_only")
    t = visitor.t
    figures = stats.overview(db_session, engine)
    return page(visitor, "dashboard.html", figures=figures,
                role_chart=charts.bars([(t.role(r), n) for r, n in figures.by_role], title=t("members_by_role")),
                prefecture_chart=charts.bars(figures.by_prefecture, title=t("members_by_prefecture")),
                unmet_chart=_unmet_chart(figures.unmet, visitor.lang, t("unmet_chart")),
                events=event_service.list_events(db_session=db_session))
