"""The search box labs put on their own sites in an iframe: their region and fields by default, their colour."""

import re
from typing import Annotated

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from app.dependencies import SessionDep
from app.errors import InvalidInput
from app.labs import service as lab_service
from app.labs.models import Lab
from app.matches.dependencies import EngineDep
from app.matches.engine import Filters
from app.organizations.service import DirectoryFilters
from app.postings import service as posting_service
from app.roster.models import Seed
from app.roster.vocab import INDUSTRIES, KYUSHU, PREFECTURES
from app.web import i18n, views
from app.web import session as web_session
from app.web.pages import PAGE_CSP, PageRoute, Visitor, limit_anonymous_search, page
from matching.documents import Document

router = APIRouter(route_class=PageRoute, include_in_schema=False)
ALL = "all"
LAB_FIELDS = "lab"
RESULTS = 10
CANDIDATES = 60  # searched before the field filter, so ten survive it in most regions
COLOUR = re.compile(r"^#[0-9A-Fa-f]{3,8}$")
ORIGIN = re.compile(r"^https?://[A-Za-z0-9.\-]+(:\d+)?$")


def frame_policy(lab: Lab) -> str:
    """The page's CSP: only this site and the lab's registered origins may frame it."""
    origins = " ".join(o.rstrip("/") for o in lab.allowed_origins or () if ORIGIN.match(o.rstrip("/")))
    return PAGE_CSP.replace("frame-ancestors 'none'", f"frame-ancestors 'self' {origins}".rstrip())


def _in_fields(doc: Document, industries: set[str] | None) -> bool:
    """Whether the member works in, or the seed serves, one of the industries (None: any)."""
    return industries is None or doc.org.industry in industries or bool(set(doc.industries_served) & industries)


@router.get("/embed/search", name="embed")
def embed_search(request: Request, db_session: SessionDep, engine: EngineDep,
                 lab: Annotated[str, Query(max_length=64)], q: Annotated[str, Query(max_length=1000)] = "",
                 region: Annotated[str, Query(max_length=8)] = "",
                 field: Annotated[str, Query(max_length=8)] = LAB_FIELDS) -> Response:
    """Seeds in the lab's prefecture and focus industries unless the visitor widens them."""
    # No session here: the page lives in other sites' frames, so it sets no cookie of its own.
    visitor = Visitor(request, i18n.pick(request), web_session.WebSession(), None)
    request.state.visitor = visitor
    lab_row = lab_service.get_lab(db_session=db_session, lab_id=lab)
    if region and region != ALL and region not in PREFECTURES:
        raise InvalidInput(f"region must be a prefecture (kanji, e.g. 福岡県) or {ALL!r}", field="region")
    if field not in (LAB_FIELDS, ALL) and field not in INDUSTRIES:
        raise InvalidInput(f"field must be {LAB_FIELDS!r}, {ALL!r} or a JSIC division letter A..T", field="field")
    prefecture = region or lab_row.prefecture
    prefecture_filter = None if prefecture == ALL else prefecture
    lab_industries = set(lab_row.industries or ())
    industries = (lab_industries or None) if field == LAB_FIELDS else None if field == ALL else {field}
    if q.strip():
        limit_anonymous_search(visitor)
        matches = views.search(engine, q.strip(), target="seed", filters=Filters(prefecture=prefecture_filter),
                               limit=CANDIDATES)
        results = [r for r in matches if _in_fields(r.doc, industries)][:RESULTS]
        listing = []
    else:
        results = []
        seeds, _ = posting_service.list_postings(db_session=db_session, model=Seed,
                                                 filters=DirectoryFilters(prefecture=prefecture_filter), q=None,
                                                 limit=200, offset=0)
        listing = [s for s in seeds if industries is None or s.organization.industry in industries
                   or set(s.industries_served or ()) & industries][:RESULTS]
    colour = lab_row.brand_color if COLOUR.match(lab_row.brand_color or "") else "#1f6feb"
    regions = [lab_row.prefecture] + [p for p in KYUSHU if p != lab_row.prefecture]
    return page(visitor, "embed.html", headers={"Content-Security-Policy": frame_policy(lab_row)}, lab=lab_row,
                q=q, region=prefecture, regions=regions, field=field, results=results, listing=listing,
                colour=colour)
