"""Pages of a signed-in member: my page with matches and programs, need and seed forms, feedback."""

from typing import Annotated, Literal

from fastapi import APIRouter, Form, Query
from starlette.responses import Response

from app.alerts import service as alert_service
from app.auth.dependencies import Principal, ensure_owner
from app.dependencies import SessionDep
from app.feedback import service as feedback_service
from app.feedback.models import STATUSES
from app.introductions import service as introduction_service
from app.matches.dependencies import EngineDep
from app.organizations import service as organization_service
from app.postings import service as posting_service
from app.roster.models import Need, Organization, Seed
from app.roster.vocab import INDUSTRIES, KYUSHU, PREFECTURES
from app.web import session as web_session
from app.web import views
from app.web.forms import PostingForm
from app.web.pages import PageError, PageRoute, Visitor, VisitorDep, login_url, page, redirect, safe_next

router = APIRouter(route_class=PageRoute, include_in_schema=False)
Kind = Literal["need", "seed"]
MATCHES_PER_NEED = 5
MATCHES_PER_SEED = 3
Csrf = Annotated[str, Form(max_length=100)]
PREFECTURE_CHOICES = list(KYUSHU) + [p for p in PREFECTURES if p not in KYUSHU]


def load_posting(db_session: SessionDep, kind: str, posting_id: str) -> Need | Seed:
    """A need or seed by kind and id, or a 404 page."""
    if kind == "need":
        return posting_service.get_posting(db_session=db_session, model=Need, external_id=posting_id)
    return posting_service.get_posting(db_session=db_session, model=Seed, external_id=posting_id)


def _member(visitor: Visitor, db_session: SessionDep) -> tuple[Principal, Organization] | None:
    """The signed-in member and its organization; None when nobody is signed in; 403 page for other roles."""
    principal = visitor.principal
    if principal is None:
        return None
    if principal.role != "member" or principal.organization is None:
        raise PageError(403, "page.error.my_page_members_only")
    return principal, organization_service.get_organization(db_session=db_session, external_id=principal.organization)


@router.get("/me", name="me")
def my_page(visitor: VisitorDep, db_session: SessionDep, engine: EngineDep,
            saved: Annotated[str, Query(max_length=16)] = "") -> Response:
    """The member's needs and seeds, each with its matches, reasons, programs and feedback buttons."""
    found = _member(visitor, db_session)
    if found is None:
        return redirect(visitor, login_url("/me"))
    principal, org = found
    statuses = views.member_statuses(db_session, org.id)
    declined = introduction_service.declined_pairs(db_session=db_session, organization=org.external_id)
    intros = introduction_service.pair_states(db_session=db_session, organization_id=org.id)
    needs = views.need_views(engine, db_session, org, statuses, MATCHES_PER_NEED, hidden=declined)
    seeds = views.seed_views(engine, org, statuses, MATCHES_PER_SEED, hidden=declined)
    for item in needs:
        for r in item.results:
            r.intro = intros.get((item.posting.external_id, r.doc.id))
    for item in seeds:
        for r in item.results:
            r.intro = intros.get((r.doc.id, item.posting.external_id))
    waiting = [i for i in intros.values() if i.recipient_id == org.id and i.state == "requested"]
    return page(visitor, "me.html", org=org, saved=saved, statuses=STATUSES, needs=needs, seeds=seeds,
                waiting=sorted(waiting, key=lambda i: i.id),
                alerts_unread=alert_service.unread_count(db_session, org.id))


def _form_page(visitor: Visitor, form: PostingForm, action: str, posting: Need | Seed | None,
               status_code: int = 200) -> Response:
    return page(visitor, "posting_form.html", form=form, action=action, posting=posting, industries=INDUSTRIES,
                prefectures=PREFECTURE_CHOICES, kyushu=KYUSHU, status_code=status_code)


@router.get("/me/{kind}s/new", name="new_posting")
def new_posting_form(kind: Kind, visitor: VisitorDep, db_session: SessionDep) -> Response:
    """An empty need or seed form."""
    if _member(visitor, db_session) is None:
        return redirect(visitor, login_url(f"/me/{kind}s/new"))
    return _form_page(visitor, PostingForm(kind), f"/me/{kind}s/new", None)


def _read_form(visitor: Visitor, kind: str, title: str, description: str, tags: str, budget_jpy: str,
               industries_served: list[str], service_area: list[str]) -> PostingForm:
    return PostingForm(kind, title, description, tags, budget_jpy if kind == "need" else "",
                       industries_served if kind == "seed" else [], service_area if kind == "seed" else [],
                       lang=visitor.lang)


Title = Annotated[str, Form(max_length=1000)]
Body = Annotated[str, Form(max_length=20000)]
Tags = Annotated[str, Form(max_length=2000)]
Budget = Annotated[str, Form(max_length=30)]
Served = Annotated[list[str], Form(max_length=20)]
Area = Annotated[list[str], Form(max_length=47)]


@router.post("/me/{kind}s/new")
def create_posting(kind: Kind, visitor: VisitorDep, db_session: SessionDep, csrf: Csrf = "", title: Title = "",
                   description: Body = "", tags: Tags = "", budget_jpy: Budget = "",
                   industries_served: Served = [],  # noqa: B006 - FastAPI copies defaults
                   service_area: Area = []) -> Response:  # noqa: B006
    """Add a need or seed to the member's list."""
    web_session.check_csrf(visitor.session, csrf)
    found = _member(visitor, db_session)
    if found is None:
        return redirect(visitor, login_url(f"/me/{kind}s/new"))
    form = _read_form(visitor, kind, title, description, tags, budget_jpy, industries_served, service_area)
    posting_in = form.for_create()
    if posting_in is None:
        return _form_page(visitor, form, f"/me/{kind}s/new", None, status_code=422)
    if kind == "need":
        posting_service.create_posting(db_session=db_session, model=Need, organization=found[1], posting_in=posting_in)
    else:
        posting_service.create_posting(db_session=db_session, model=Seed, organization=found[1], posting_in=posting_in)
    return redirect(visitor, "/me?saved=1")


def _editable(visitor: Visitor, db_session: SessionDep, kind: str, posting_id: str) -> Need | Seed | None:
    """The posting if the visitor may change it; None when signed out; 403 page for another member's."""
    if visitor.principal is None:
        return None
    posting = load_posting(db_session, kind, posting_id)
    if visitor.principal.role not in ("member", "secretariat"):
        raise PageError(403, "page.error.lab_cannot_post")
    ensure_owner(visitor.principal, posting.organization_id, posting.external_id)
    return posting


@router.get("/me/{kind}s/{posting_id}/edit", name="edit_posting")
def edit_posting_form(kind: Kind, posting_id: str, visitor: VisitorDep, db_session: SessionDep) -> Response:
    """The form for one of the member's needs or seeds; another member's gives a 403 page."""
    action = f"/me/{kind}s/{posting_id}/edit"
    posting = _editable(visitor, db_session, kind, posting_id)
    if posting is None:
        return redirect(visitor, login_url(action))
    return _form_page(visitor, PostingForm.of(posting), action, posting)


@router.post("/me/{kind}s/{posting_id}/edit")
def update_posting(kind: Kind, posting_id: str, visitor: VisitorDep, db_session: SessionDep, csrf: Csrf = "",
                   title: Title = "", description: Body = "", tags: Tags = "", budget_jpy: Budget = "",
                   industries_served: Served = [],  # noqa: B006 - FastAPI copies defaults
                   service_area: Area = []) -> Response:  # noqa: B006
    """Save the form."""
    web_session.check_csrf(visitor.session, csrf)
    action = f"/me/{kind}s/{posting_id}/edit"
    posting = _editable(visitor, db_session, kind, posting_id)
    if posting is None:
        return redirect(visitor, login_url(action))
    form = _read_form(visitor, kind, title, description, tags, budget_jpy, industries_served, service_area)
    posting_in = form.for_update()
    if posting_in is None:
        return _form_page(visitor, form, action, posting, status_code=422)
    if isinstance(posting, Need):
        posting_service.update_posting(db_session=db_session, posting=posting, posting_in=posting_in)
    else:
        posting_service.update_posting(db_session=db_session, posting=posting, posting_in=posting_in)
    return redirect(visitor, "/me?saved=1" if visitor.principal and visitor.principal.role == "member"
                    else f"/postings/{kind}/{posting_id}")


@router.post("/feedback", name="feedback")
def record_feedback(visitor: VisitorDep, db_session: SessionDep, csrf: Csrf = "",
                    need: Annotated[str, Form(max_length=64)] = "", seed: Annotated[str, Form(max_length=64)] = "",
                    status: Annotated[str, Form(max_length=16)] = "",
                    next: Annotated[str, Form(max_length=500)] = "") -> Response:
    """Record the member's (or the secretariat's) word on a need–seed pair, then go back."""
    web_session.check_csrf(visitor.session, csrf)
    principal = visitor.require_signed_in()
    if principal.role == "lab":
        raise PageError(403, "page.error.lab_cannot_give_feedback")
    need_row = posting_service.get_posting(db_session=db_session, model=Need, external_id=need)
    seed_row = posting_service.get_posting(db_session=db_session, model=Seed, external_id=seed)
    org = None if principal.is_secretariat else organization_service.get_organization(
        db_session=db_session, external_id=principal.organization or "")
    feedback_service.give_feedback(db_session=db_session, need=need_row, seed=seed_row, status=status, note=None,
                                   organization=org, api_key_id=principal.key_id)
    back = safe_next(next, "/me")
    return redirect(visitor, f"{back}{'&' if '?' in back else '?'}saved={status}")
