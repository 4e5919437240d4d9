"""A matching event end to end in a real browser: the secretariat creates it, registers participants from the
application sheet, opens registration and edits requests; a member registers and asks for a meeting; the
secretariat schedules, locks a meeting and schedules again (the lock holds), publishes and records outcomes;
the member sees the agenda. Screenshots at 1280 and 375 px wide go where tests/web/test_browser.py puts them."""

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from app.db import utcnow
from tests.web.conftest import EVENT_MEMBERS, MEMBER, Community
from tests.web.test_browser import DESKTOP, PHONE, overflows, shoot, sign_in, sign_out, unlabelled_controls

pytestmark = pytest.mark.browser
OTHERS = [m for m in EVENT_MEMBERS if m != MEMBER]


def _sheet(folder: Path) -> Path:
    from openpyxl import Workbook

    workbook = Workbook()
    workbook.active.append(["会員ID", "参加できる時間枠", "最大商談数"])
    for org in OTHERS:
        workbook.active.append([org, "", 3])
    path = folder / "申込書.xlsx"
    workbook.save(path)
    return path


def _check(page: Any, name: str) -> None:
    """Every page of the story: one h1, every control named, nothing wider than the screen."""
    assert page.get_by_role("heading", level=1).count() == 1, name
    assert unlabelled_controls(page) == [], name
    assert not overflows(page), name
    shoot(page, name)


def _place(cell: Any) -> list[Any]:
    """The time slot (row heading) and the table (column) of a meeting cell in the grid."""
    return list(cell.evaluate("el => [el.closest('tr').querySelector('th').textContent.trim(), "
                              "[...el.parentNode.children].indexOf(el)]"))


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_an_event_runs_end_to_end_in_the_browser(browser: Any, live_server: str, sqlite_community: Community,
                                                  tmp_path: Path, viewport: dict[str, int]) -> None:
    context = browser.new_context(viewport=viewport, locale="ja-JP")
    page = context.new_page()
    keys = sqlite_community.keys
    name = f"鹿児島IoT商談会 {viewport['width']}"

    # The secretariat creates the event from the dashboard.
    sign_in(page, live_server, keys["secretariat"])
    page.get_by_role("link", name="マッチングイベントを作成").click()
    page.get_by_label("イベント名").fill(name)
    page.get_by_label("日付", exact=True).fill("2027-03-10")
    page.get_by_label("会場").fill("鹿児島市")
    page.get_by_label("卓の数").fill("2")
    page.get_by_label("最低評価値").fill("0")
    page.get_by_label("開始時刻").fill("13:00")
    page.get_by_label("商談枠の数").fill("3")
    page.get_by_label("1枠の長さ（分）").select_option("20")
    page.get_by_label("休憩", exact=True).fill("2:10")
    _check(page, "event-new")
    page.get_by_role("button", name="保存").click()
    page.wait_for_load_state()
    assert "イベントを作成しました。" in page.get_by_role("status").inner_text()
    event_url = page.url.split("?")[0]

    # Participants from the application sheet.
    page.get_by_role("link", name="参加者と希望").click()
    page.get_by_label("申込書ファイル（xlsx または CSV）").set_input_files(str(_sheet(tmp_path)))
    page.get_by_role("button", name="申込書を取り込む").click()
    page.wait_for_load_state()
    assert "申込書を取り込みました。" in page.get_by_role("status").inner_text()
    assert page.locator("section[aria-labelledby=list-h] tbody tr").count() == len(OTHERS)

    # Requests: one recorded, then withdrawn.
    page.get_by_label("希望する会員").select_option(OTHERS[0])
    page.get_by_label("相手", exact=True).select_option(OTHERS[1])
    page.get_by_label("希望", exact=True).select_option("would_like")
    page.get_by_role("button", name="希望を登録").click()
    page.wait_for_load_state()
    requests = page.locator("section[aria-labelledby=requests] tbody tr")
    assert requests.count() == 1
    assert "できれば会いたい" in requests.first.inner_text()
    _check(page, "event-participants")
    requests.first.get_by_role("button").click()
    page.wait_for_load_state()
    assert page.locator("section[aria-labelledby=requests] tbody tr").count() == 0

    # Registration opens: a deadline a week ahead (Japan time).
    page.goto(event_url + "/edit")
    deadline = (utcnow() + timedelta(days=7, hours=9)).strftime("%Y-%m-%dT%H:%M")
    page.get_by_label("参加申込の締切（日本時間）").fill(deadline)
    page.get_by_role("button", name="保存").click()
    page.wait_for_load_state()
    assert page.locator("#registration").inner_text().startswith("受付中")
    sign_out(page)

    # A member registers and asks to meet one participant.
    sign_in(page, live_server, keys["member"])
    page.get_by_role("link", name="マッチングイベント").click()
    page.get_by_role("link", name=name).click()
    page.get_by_role("button", name="参加を申し込む").click()
    page.wait_for_load_state()
    assert "申込を受け付けました。" in page.get_by_role("status").inner_text()
    partner = page.locator(f"#p-{OTHERS[0]}")
    partner.get_by_label("必ず会いたい").check()
    _check(page, "event-member-requests")
    page.get_by_role("button", name="希望を保存").click()
    page.wait_for_load_state()
    assert page.locator(f"#p-{OTHERS[0]}").get_by_label("必ず会いたい").is_checked()
    sign_out(page)

    # The secretariat schedules, locks a meeting, schedules again: the locked meeting stays put.
    sign_in(page, live_server, keys["secretariat"])
    page.goto(event_url)
    page.get_by_role("button", name="スケジュールを作成").click()
    page.wait_for_load_state()
    cells = page.locator("td.meeting")
    assert cells.count() > 0
    cell = cells.last
    meeting = cell.get_attribute("id")
    place = _place(cell)
    cell.locator("summary").click()
    cell.get_by_role("button", name="固定する").click()
    page.wait_for_load_state()
    assert "locked" in (page.locator(f"#{meeting}").get_attribute("class") or "")
    page.get_by_role("button", name="もう一度スケジュールを作成").click()
    page.wait_for_load_state()
    kept = page.locator(f"#{meeting}")
    assert "locked" in (kept.get_attribute("class") or "")
    assert _place(kept) == place
    _check(page, "event-grid")
    page.get_by_role("button", name="公開する").click()
    page.wait_for_load_state()
    assert "スケジュールを公開しました。" in page.get_by_role("status").inner_text()

    # Outcomes for the whole event on one page, then the report.
    page.get_by_role("link", name="商談結果の記録").click()
    selects = page.locator("select[id^=f-outcome-]")
    held = selects.count()
    for i in range(held):
        selects.nth(i).select_option("cooperation_possible")
    _check(page, "event-outcomes")
    page.get_by_role("button", name="保存").click()
    page.wait_for_load_state()
    assert "結果を保存しました。" in page.get_by_role("status").inner_text()
    page.goto(event_url + "/report")
    assert page.locator("#r-took-place").inner_text() == str(held)
    _check(page, "event-report")
    sign_out(page)

    # The member sees the published agenda, with the participant it had to meet.
    sign_in(page, live_server, keys["member"])
    page.goto(event_url.replace("/dashboard/events/", "/me/events/"))
    agenda = page.locator("#agenda")
    assert agenda.locator("tbody tr").count() > 0
    assert agenda.locator(f'a[href="/organizations/{OTHERS[0]}"]').count() == 1
    _check(page, "event-member-agenda")
    context.close()
