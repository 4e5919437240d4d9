"""axe-core on every page a visitor reaches, signed in as the role that reaches it: no violation of impact
"serious" or "critical", in Japanese, and on the main pages in English too. The axe-core script ships inside the
axe-playwright-python wheel; the browser fetches nothing but the test server."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, time, timedelta
from typing import Any

import pytest

from app.db import make_engine, make_session_factory, session_scope, utcnow
from app.web import i18n
from tests.web.conftest import EVENT_MEMBERS, MEMBER, Community, schedule_event
from tests.web.test_browser import DESKTOP, LAB, PHONE, QUERY, sign_in

pytestmark = pytest.mark.browser
BLOCKING = {"serious", "critical"}
OTHERS = [m for m in EVENT_MEMBERS if m != MEMBER]


@dataclass(frozen=True)
class Events:
    """A published event (the grid, outcomes, report, agendas) and two open for registration."""

    published: str
    open_unregistered: str  # the member has not registered: the registration form
    open_registered: str  # the member has registered: slots, suggested partners, requests


def _open_event(session: Any, name: str, members: list[str]) -> str:
    from app.events import service as event_service

    event = event_service.create_event(
        db_session=session, name=name, date=date(2027, 3, 10), venue="福岡市", tables=2,
        slots=event_service.plan_slots(start=time(13, 0), count=3, minutes=20),
        registration_closes_at=utcnow() + timedelta(days=7))
    for org in members:
        event_service.add_participant(db_session=session, event=event, organization=org)
    return event.code


@pytest.fixture(scope="module")
def events(live_server: str, sqlite_community: Community) -> Events:
    """The events, made once the live server has started the engine."""
    from app.events import planning
    from app.events import service as event_service

    published = schedule_event(sqlite_community)
    engine = make_engine(sqlite_community.url)
    try:
        with session_scope(make_session_factory(engine)) as session:
            planning.publish(db_session=session, event=event_service.get_event(db_session=session, code=published))
            return Events(published, _open_event(session, "福岡IoT商談会", OTHERS),
                          _open_event(session, "北九州IoT商談会", EVENT_MEMBERS))
    finally:
        engine.dispose()


def _submit_empty(page: Any) -> None:
    """Send the posting form with no title and no description, so its errors show."""
    page.locator("#f-title").fill("")
    page.locator("#f-description").fill("")
    page.locator("form.posting-form button[type=submit]").click()
    page.wait_for_load_state()
    assert page.locator("#e-title").count() == 1


def _submit_event_form_empty(page: Any) -> None:
    page.locator("#f-name").fill("")
    page.locator("form.posting-form button[type=submit]").click()
    page.wait_for_load_state()
    assert page.locator("#e-name").count() == 1


def _wrong_key(page: Any) -> None:
    page.locator("#api_key").fill("not-a-key")
    page.locator("form.signin button[type=submit]").click()
    page.wait_for_load_state()
    assert page.get_by_role("alert").count() == 1


def _record_interest(page: Any) -> None:
    page.locator("form.feedback button[value=interested]").first.click()
    page.wait_for_load_state()
    assert page.get_by_role("status").count() == 1


def _open_first_meeting(page: Any) -> None:
    """The grid with one meeting's menu open (its lock and move controls show)."""
    page.locator("td.meeting summary").first.click()


@dataclass(frozen=True)
class Visit:
    name: str
    path: str
    role: str | None
    then: Callable[[Any], None] | None = None
    english: bool = False  # also checked in English


PAGES = [
    Visit("search", "/?q=" + QUERY, None, english=True),
    Visit("search-empty", "/", None),
    Visit("organization", "/organizations/ORG-0064", None, english=True),
    Visit("signin", "/signin", None, english=True),
    Visit("signin-error", "/signin", None, then=_wrong_key),
    Visit("embed", f"/embed/search?lab={LAB}&q=" + QUERY, None, english=True),
    Visit("posting", "/postings/seed/S-0101?q=" + QUERY, "member", english=True),
    Visit("feedback", "/postings/seed/S-0101?q=" + QUERY, "member", then=_record_interest),
    Visit("my-page", "/me", "member", english=True),
    Visit("need-form", "/me/needs/new", "member", then=_submit_empty, english=True),
    Visit("need-edit", "/me/needs/N-0042/edit", "member"),
    Visit("seed-form", "/me/seeds/new", "member", then=_submit_empty),
    Visit("my-events", "/me/events", "member", english=True),
    Visit("event-registration", "/me/events/{open_unregistered}", "member"),
    Visit("event-partners", "/me/events/{open_registered}", "member", english=True),
    Visit("event-agenda", "/me/events/{published}", "member"),
    Visit("dashboard", "/dashboard", "secretariat", english=True),
    Visit("event-new", "/dashboard/events/new", "secretariat", then=_submit_event_form_empty),
    Visit("event-edit", "/dashboard/events/{published}/edit", "secretariat"),
    Visit("event-delete", "/dashboard/events/{open_unregistered}/delete", "secretariat"),
    Visit("event-participants", "/dashboard/events/{open_unregistered}/participants", "secretariat"),
    Visit("event-grid", "/dashboard/events/{published}", "secretariat", then=_open_first_meeting, english=True),
    Visit("event-unscheduled", "/dashboard/events/{open_registered}", "secretariat"),
    Visit("event-outcomes", "/dashboard/events/{published}/outcomes", "secretariat"),
    Visit("event-report", "/dashboard/events/{published}/report", "secretariat", english=True),
    Visit("event-agendas", "/dashboard/events/{published}/print", "secretariat"),
    Visit("forbidden", "/me/needs/N-0042/edit", "other"),
]
# Every page in Japanese at both widths (a narrow screen makes tables scroll); the main pages in English.
RUNS = ([(v, "ja", "desktop") for v in PAGES] + [(v, "ja", "phone") for v in PAGES]
        + [(v, "en", "desktop") for v in PAGES if v.english])
VIEWPORTS = {"desktop": DESKTOP, "phone": PHONE}


def blocking_violations(page: Any) -> list[str]:
    """axe-core's serious and critical violations on the page, one line per element: rule, target, help."""
    from axe_playwright_python.sync_playwright import Axe

    found = Axe().run(page).response["violations"]
    return [f"{v['id']} ({v['impact']}) {' '.join(str(t) for t in node['target'])}: {v['help']}"
            for v in found if v["impact"] in BLOCKING for node in v["nodes"]]


@pytest.mark.parametrize(("visit", "lang", "width"), RUNS, ids=[f"{v.name}-{lang}-{w}" for v, lang, w in RUNS])
def test_page_has_no_serious_accessibility_violations(browser: Any, live_server: str, sqlite_community: Community,
                                                      events: Events, visit: Visit, lang: str, width: str) -> None:
    context = browser.new_context(viewport=VIEWPORTS[width], locale="ja-JP")
    outside: list[str] = []

    def local_only(route: Any) -> None:  # axe runs from the wheel; nothing else may be fetched
        if route.request.url.startswith(live_server):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    context.route("**/*", local_only)
    page = context.new_page()
    if visit.role:
        sign_in(page, live_server, sqlite_community.keys[visit.role])
    context.add_cookies([{"name": i18n.COOKIE, "value": lang, "url": live_server}])
    response = page.goto(live_server + visit.path.format(**vars(events)))
    assert response.status == (403 if visit.name == "forbidden" else 200), visit.name
    if visit.then:
        visit.then(page)
    assert page.locator("html").get_attribute("lang") == lang
    problems = blocking_violations(page)
    assert problems == [], f"{visit.name} ({lang}, {width}):\n" + "\n".join(problems)
    assert outside == []
    context.close()


def test_the_check_reports_a_serious_violation(browser: Any, live_server: str) -> None:
    """The check itself: a button with no name on a clean page is reported."""
    context = browser.new_context(viewport=DESKTOP, locale="ja-JP")
    page = context.new_page()
    page.goto(f"{live_server}/signin")
    assert blocking_violations(page) == []
    page.evaluate("document.querySelector('main').append(document.createElement('button'))")
    assert [p.split(" ")[0] for p in blocking_violations(page)] == ["button-name"]
    context.close()
