"""An introduction end to end in a real browser: a member asks from a match on its page, the other member accepts
on its page, both see the other's contact, and the secretariat's queue lists it. Screenshots at 1280 and 375 px
wide go where tests/web/test_browser.py puts them."""

from typing import Any

import pytest

from app.auth import service as auth_service
from app.db import make_engine, make_session_factory, session_scope
from app.roster.models import Seed
from tests.web.conftest import Community
from tests.web.test_browser import DESKTOP, PHONE, overflows, shoot, sign_out, unlabelled_controls

pytestmark = pytest.mark.browser
NEED = "N-0041"
ASKER_EMAIL = "maeda@osumi-broiler.example.jp"  # ORG-0064's contact in the demo roster
MESSAGE = "鶏舎の温湿度を見守る仕組みを探しています。一度お話を伺えますか。"


def sign_in(page: Any, base: str, token: str) -> None:
    """Sign in with an API key (the form below the e-mail sign-in)."""
    page.goto(f"{base}/signin")
    page.get_by_role("textbox", name="APIキー").fill(token)
    page.locator(".key-signin").get_by_role("button", name="ログイン").click()
    page.wait_for_load_state()


def partner_of(community: Community, seed_id: str) -> tuple[str, str, str]:
    """A member key for the seed's member, its name and its contact e-mail."""
    engine = make_engine(community.url)
    try:
        with session_scope(make_session_factory(engine)) as session:
            org = session.query(Seed).filter_by(external_id=seed_id).one().organization
            token = auth_service.create_key(db_session=session, role="member", organization=org.external_id)[1]
            assert org.contact_email
            return token, org.name, org.contact_email
    finally:
        engine.dispose()


def test_asked_from_a_match_accepted_by_the_other_member_listed_for_the_secretariat(
        browser: Any, live_server: str, sqlite_community: Community) -> None:
    asker = browser.new_context(viewport=DESKTOP, locale="ja-JP").new_page()
    sign_in(asker, live_server, sqlite_community.keys["member"])
    match = asker.locator(f"[id^='pair-{NEED}-']").first
    seed = match.get_attribute("id").removeprefix(f"pair-{NEED}-")
    match.get_by_role("link", name="紹介を依頼する").click()
    asker.wait_for_load_state()
    assert asker.get_by_role("heading", level=1).inner_text() == "紹介を依頼する"
    asker.get_by_label("メッセージ").fill(MESSAGE)
    shoot(asker, "introduction-ask")
    asker.get_by_role("button", name="依頼を送る").click()
    asker.wait_for_load_state()
    assert "依頼を送りました" in asker.get_by_role("status").inner_text()
    assert asker.locator("#intro-state").inner_text() == "回答待ち"
    intro_url = asker.url.split("?")[0]
    token, partner, partner_email = partner_of(sqlite_community, seed)
    assert partner_email not in asker.content()

    # The other member finds the request on its page and accepts it.
    other_context = browser.new_context(viewport=DESKTOP, locale="ja-JP")
    other = other_context.new_page()
    sign_in(other, live_server, token)
    assert other.url.endswith("/me")
    waiting = other.locator("section.waiting")
    assert "株式会社大隅ブロイラー" in waiting.inner_text()
    waiting.get_by_role("link").first.click()
    other.wait_for_load_state()
    assert other.url.split("?")[0] == intro_url
    assert MESSAGE in other.locator("dd.message").first.inner_text()
    assert ASKER_EMAIL not in other.content()  # not before the answer
    assert unlabelled_controls(other) == []
    shoot(other, "introduction-request")
    other.get_by_label("ひとこと返信（任意）").fill("ぜひお話ししましょう。")
    other.get_by_role("button", name="承諾して連絡先を交換する").click()
    other.wait_for_load_state()
    assert "互いの連絡先が表示され" in other.get_by_role("status").inner_text()
    contacts = other.locator("section.contacts")
    assert ASKER_EMAIL in contacts.inner_text()
    assert "前田 和彦" in contacts.inner_text()
    shoot(other, "introduction-accepted")
    other.set_viewport_size(PHONE)
    assert not overflows(other)
    shoot(other, "introduction-accepted")
    other_context.close()

    # The asker now sees the other member's contact, and its reply.
    asker.goto(intro_url)
    assert asker.locator("#intro-state").inner_text() == "承諾"
    assert partner_email in asker.locator("section.contacts").inner_text()
    assert "ぜひお話ししましょう。" in asker.content()
    asker.get_by_role("button", name="連絡した").click()
    asker.wait_for_load_state()
    assert "連絡した — 株式会社大隅ブロイラー" in asker.locator("ol.history").inner_text()

    # The secretariat's queue lists it; its page shows the history.
    sign_out(asker)
    sign_in(asker, live_server, sqlite_community.keys["secretariat"])
    asker.get_by_role("link", name="紹介依頼の一覧").click()
    asker.wait_for_load_state()
    row = asker.locator("table.queue tbody tr").first
    assert "株式会社大隅ブロイラー" in row.inner_text()
    assert partner in row.inner_text()
    assert "承諾" in row.inner_text()
    asker.get_by_label("状況").select_option("accepted")
    asker.get_by_role("button", name="絞り込む").click()
    asker.wait_for_load_state()
    assert "state=accepted" in asker.url
    assert asker.locator("table.queue tbody tr").count() == 1
    assert unlabelled_controls(asker) == []
    shoot(asker, "introduction-queue")
    asker.set_viewport_size(PHONE)
    assert not overflows(asker)
    shoot(asker, "introduction-queue")
    asker.context.close()
