"""The pages in a real browser: a member's search-to-feedback story, the lab embed, access rules, and screenshots."""

import os
from pathlib import Path
from typing import Any

import pytest

from tests.web.conftest import Community, schedule_event

pytestmark = pytest.mark.browser

# The screenshots in docs/ are refreshed on purpose (`make screenshots`), not by every test run: a run
# writes them to an ignored folder, so the work tree stays clean.
SCREENSHOTS = Path(os.environ.get("IOTMATCH_SCREENSHOTS")
                   or Path(__file__).resolve().parents[2] / "var" / "screenshots")
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 375, "height": 740}
MAX_SHOT_HEIGHT = 1200  # px: enough to show a page's shape, small enough to commit
QUERY = "設備の故障を事前に知りたい"
LAB = "lab-kagoshima-pref"
LAB_ORIGIN = "https://iot-lab.kagoshima-pref.example.jp"  # registered in seed/labs.json
SERVICE = "https://match.example"


def shoot(page: Any, name: str, start: Any = None) -> None:
    """Save the top of the page (or the part from the `start` element down) as SCREENSHOTS/<name>-<width>.png."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    width = page.viewport_size["width"]
    top = start.bounding_box()["y"] + page.evaluate("window.scrollY") if start is not None else 0
    height = min(page.evaluate("document.documentElement.scrollHeight") - top, MAX_SHOT_HEIGHT)
    page.screenshot(path=str(SCREENSHOTS / f"{name}-{width}.png"), full_page=True,
                    clip={"x": 0, "y": top, "width": width, "height": height})


def sign_in(page: Any, base: str, token: str) -> None:
    page.goto(f"{base}/signin")
    page.get_by_label("APIキー").fill(token)
    page.get_by_role("button", name="ログイン").click()
    page.wait_for_load_state()


def sign_out(page: Any) -> None:
    page.get_by_role("button", name="ログアウト").click()
    page.wait_for_load_state()


def unlabelled_controls(page: Any) -> list[str]:
    """Form controls a screen reader could not name."""
    return page.evaluate("""() => [...document.querySelectorAll('input:not([type=hidden]), select, textarea, button')]
        .filter(el => !(el.labels && el.labels.length) && !el.getAttribute('aria-label')
                      && !el.getAttribute('aria-labelledby') && !(el.tagName === 'BUTTON' && el.textContent.trim()))
        .map(el => el.outerHTML.slice(0, 80))""")


def overflows(page: Any) -> bool:
    """Whether the page scrolls sideways (a broken narrow layout); wide charts scroll inside their own box."""
    return bool(page.evaluate("document.documentElement.scrollWidth > window.innerWidth + 1"))


def test_member_searches_records_interest_and_the_secretariat_sees_it(browser: Any, live_server: str,
                                                                      sqlite_community: Community) -> None:
    context = browser.new_context(viewport=DESKTOP, locale="ja-JP")
    page = context.new_page()
    sign_in(page, live_server, sqlite_community.keys["member"])
    assert page.url.endswith("/me")
    cookie = next(c for c in context.cookies() if c["name"] == "iotm_session")
    assert cookie["httpOnly"]
    assert cookie["sameSite"] == "Lax"

    page.get_by_role("link", name="さがす").click()
    page.get_by_label("検索する文章").fill(QUERY)
    page.get_by_label("検索する文章").press("Enter")
    page.wait_for_load_state()
    results = page.locator("article.result")
    assert results.count() > 0
    assert page.locator("article.result .reason").first.inner_text().startswith("理由")
    assert page.locator("article.result mark").count() > 0  # matched terms are highlighted
    shoot(page, "search")

    first = results.first.locator("h3 a")
    title = first.inner_text()
    first.click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", level=1).inner_text() == title
    why = page.locator("section.why")
    assert QUERY in why.get_by_role("heading").inner_text()
    assert why.locator("p.reason").inner_text().endswith("。")
    page.get_by_role("button", name="興味あり").click()
    page.wait_for_load_state()
    assert "「興味あり」を記録しました。" in page.get_by_role("status").inner_text()
    assert page.get_by_role("button", name="興味あり").get_attribute("aria-pressed") == "true"
    shoot(page, "result")

    sign_out(page)
    sign_in(page, live_server, sqlite_community.keys["secretariat"])
    assert page.url.endswith("/dashboard")
    recent = page.locator("table.recent tbody tr").first
    assert title in recent.inner_text()
    assert "興味あり" in recent.inner_text()
    assert int(page.locator("#status-interested .n").inner_text()) >= 1
    assert page.locator("svg.chart[aria-labelledby]").count() == 1  # the unmet-needs heat map
    shoot(page, "dashboard")
    context.close()


def test_lab_embed_defaults_to_the_lab_region_and_frames_only_on_its_origins(browser: Any, live_server: str) -> None:
    context = browser.new_context(viewport={"width": 480, "height": 900}, locale="ja-JP")
    page = context.new_page()
    page.goto(f"{live_server}/embed/search?lab={LAB}")
    prefectures = page.locator(".org-prefecture").all_inner_texts()
    assert prefectures
    assert set(prefectures) == {"鹿児島県"}
    page.get_by_label("検索する文章").fill(QUERY)
    page.get_by_role("button", name="検索").click()
    page.wait_for_load_state()
    prefectures = page.locator(".org-prefecture").all_inner_texts()
    assert prefectures
    assert set(prefectures) == {"鹿児島県"}
    assert page.get_by_label("地域").input_value() == "鹿児島県"
    shoot(page, "embed")

    page.get_by_label("地域").select_option("all")
    page.get_by_label("分野").select_option("all")
    page.get_by_role("button", name="検索").click()
    page.wait_for_load_state()
    assert len(set(page.locator(".org-prefecture").all_inner_texts())) > 1  # widened on request

    # Both sites are public HTTPS origins to the browser; the service's answers come from the live server.
    host = ('<!doctype html><title>lab</title><iframe title="search" width="480" height="600" '
            f'src="{SERVICE}/embed/search?lab={LAB}"></iframe>')
    page.route(f"{SERVICE}/**", lambda route: route.fulfill(
        response=route.fetch(url=route.request.url.replace(SERVICE, live_server))))
    for origin in (LAB_ORIGIN, "https://elsewhere.example"):
        page.route(f"{origin}/**", lambda route: route.fulfill(status=200, content_type="text/html", body=host))
    page.goto(f"{LAB_ORIGIN}/members.html")
    assert page.frame_locator("iframe").get_by_role("heading", level=1).inner_text().startswith("鹿児島県")
    page.goto("https://elsewhere.example/members.html")
    page.wait_for_timeout(500)
    assert page.frame_locator("iframe").get_by_role("heading", level=1).count() == 0  # refused by frame-ancestors
    context.close()


def test_member_cannot_open_another_members_edit_form(browser: Any, live_server: str,
                                                      sqlite_community: Community) -> None:
    context = browser.new_context(viewport=DESKTOP, locale="ja-JP")
    page = context.new_page()
    sign_in(page, live_server, sqlite_community.keys["other"])
    response = page.goto(f"{live_server}/me/needs/N-0042/edit")  # ORG-0064's need
    assert response.status == 403
    assert page.get_by_role("heading", level=1).inner_text() == "エラー 403"
    assert page.get_by_label("タイトル").count() == 0
    shoot(page, "forbidden")
    response = page.goto(f"{live_server}/me")
    edit = page.locator("article.mine h3 a").first
    edit.click()
    page.wait_for_load_state()
    assert page.get_by_label("タイトル").input_value()  # its own form opens
    context.close()


@pytest.fixture(scope="module")
def event_code(live_server: str, sqlite_community: Community) -> str:
    """A scheduled matching event (the engine is live once the server has started)."""
    return schedule_event(sqlite_community)


PAGES = [
    ("search", "/?q=" + QUERY, None),
    ("signin", "/signin", None),
    ("organization", "/organizations/ORG-0064", None),
    ("embed", f"/embed/search?lab={LAB}&q=" + QUERY, None),
    ("result", "/postings/seed/S-0101?q=" + QUERY, "member"),
    ("my-page", "/me", "member"),
    ("need-form", "/me/needs/N-0042/edit", "member"),
    ("seed-form", "/me/seeds/new", "member"),
    ("dashboard", "/dashboard", "secretariat"),
    ("event", "/dashboard/events/{event}", "secretariat"),
    ("agendas", "/dashboard/events/{event}/print", "secretariat"),
]


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_every_page_is_labelled_fits_the_screen_and_is_photographed(browser: Any, live_server: str,
                                                                    sqlite_community: Community, event_code: str,
                                                                    viewport: dict[str, int]) -> None:
    context = browser.new_context(viewport=viewport, locale="ja-JP")
    page = context.new_page()
    signed_in_as = None
    for name, path, who in PAGES:
        if who != signed_in_as:
            if signed_in_as:
                sign_out(page)
            if who:
                sign_in(page, live_server, sqlite_community.keys[who])
            signed_in_as = who
        response = page.goto(live_server + path.format(event=event_code))
        assert response.status == 200, name
        assert page.get_by_role("heading", level=1).count() == 1, name
        assert unlabelled_controls(page) == [], name
        assert not overflows(page), name
        if viewport == PHONE or name not in {"search", "result", "dashboard", "embed"}:  # the story shoots those
            shoot(page, name)
        if name == "my-page":  # a need whose matches come with support programs
            programs = page.locator("article.mine").filter(has=page.locator("details.programs")).first
            assert programs.locator(".status-badge").count() > 0
            shoot(page, "my-page-programs", start=programs)
    context.close()


def test_keyboard_alone_runs_a_search_in_english(browser: Any, live_server: str) -> None:
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    page.goto(f"{live_server}/?lang=en")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to content"
    page.keyboard.press("Enter")
    for _ in range(6):  # into the form: the first control after the page's links
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "q":
            break
    assert page.evaluate("document.activeElement.id") == "q"
    page.keyboard.type("温室の温度管理")
    page.keyboard.press("Enter")
    page.wait_for_load_state()
    assert page.get_by_role("heading", level=2).first.inner_text().startswith("Results")
    assert page.locator("html").get_attribute("lang") == "en"
    reason = page.locator("article.result .reason span[lang=en]").first.inner_text()  # the reason in English
    assert reason[0].isascii()
    assert reason.endswith(".")
    context.close()
