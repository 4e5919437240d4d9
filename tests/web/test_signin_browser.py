"""Sign-in by e-mail in Chromium: the link is read from a real SMTP server that the served app's worker sends to,
opened in the browser, and lands on my page. Screenshots of the sign-in pages and the account page."""

from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.conftest import new_database
from tests.mail import Mailbox
from tests.web.conftest import Community, _community, _free_port, serve
from tests.web.test_browser import DESKTOP, PHONE, shoot, unlabelled_controls

pytestmark = pytest.mark.browser
CONTACT = "maeda@osumi-broiler.example.jp"  # the roster contact of ORG-0064, 株式会社大隅ブロイラー


@pytest.fixture(scope="module")
def mailbox() -> Iterator[Mailbox]:
    """A real SMTP server on 127.0.0.1 for the module's server to send to."""
    box = Mailbox().start()
    yield box
    box.stop()


@pytest.fixture(scope="module")
def sqlite_community(tmp_path_factory: pytest.TempPathFactory, encoder: Any, mailbox: Mailbox) -> \
        Iterator[Community]:
    """The seeded community whose mail goes to the test SMTP server, with links to the port it will be served on."""
    folder = tmp_path_factory.mktemp("web-mail")
    url, drop = new_database("sqlite", folder)
    yield _community(url, folder / "var", encoder, public_url=f"http://127.0.0.1:{_free_port()}",
                     smtp_host=mailbox.host, smtp_port=mailbox.port, worker="inline", worker_poll_seconds=0.2)
    drop()


@pytest.fixture(scope="module")
def live_server(sqlite_community: Community) -> Iterator[str]:
    """The community served on the port its links name."""
    yield from serve(sqlite_community.app, urlsplit(sqlite_community.settings.public_url).port or 0)


def test_a_member_signs_in_with_the_link_from_the_mail_and_lands_on_my_page(browser: Any, live_server: str,
                                                                            mailbox: Mailbox) -> None:
    context = browser.new_context(viewport=DESKTOP, locale="ja-JP")
    page = context.new_page()
    page.goto(f"{live_server}/signin")
    assert unlabelled_controls(page) == []
    shoot(page, "signin")
    page.get_by_label("メールアドレス").fill(CONTACT)
    page.get_by_role("button", name="メールでリンクを受け取る").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", level=1).inner_text() == "メールを確認してください"
    shoot(page, "signin-sent")

    [mail] = mailbox.wait_for_mail_to(CONTACT)
    link = mailbox.link(mail, "/signin/link")
    assert link.startswith(f"{live_server}/signin/link?token=")
    page.goto(link)
    assert page.url.startswith(f"{live_server}/signin/link")  # a page with a button, not signed in yet
    page.get_by_role("button", name="ログインを完了する").click()
    page.wait_for_load_state()
    assert page.url == f"{live_server}/me"
    assert "株式会社大隅ブロイラー としてログイン中" in page.locator("p.who").inner_text()
    assert page.locator("article.mine").count() > 0  # the member's own needs and seeds

    page.get_by_role("link", name="アカウント").click()
    page.wait_for_load_state()
    row = page.locator("table.colleagues tbody tr").filter(has_text=CONTACT)
    assert "名簿の連絡先" in row.inner_text()
    assert unlabelled_controls(page) == []
    shoot(page, "account")

    # The same link a second time, in another browser: refused, with the form to ask for a new one.
    other = browser.new_context(viewport=DESKTOP, locale="ja-JP").new_page()
    other.goto(link)
    assert "すでに使われています" in other.get_by_role("alert").inner_text()
    assert other.get_by_label("メールアドレス").count() == 1
    other.context.close()

    page.get_by_role("button", name="すべてのセッションを終了する").click()
    page.wait_for_load_state()
    assert "すべての端末でログアウトしました。" in page.get_by_role("status").inner_text()
    page.goto(f"{live_server}/me")
    assert "/signin" in page.url
    context.close()


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_the_sign_in_page_fits_the_screen(browser: Any, live_server: str, viewport: dict[str, int]) -> None:
    context = browser.new_context(viewport=viewport, locale="ja-JP")
    page = context.new_page()
    page.goto(f"{live_server}/signin")
    assert not page.evaluate("document.documentElement.scrollWidth > window.innerWidth + 1")
    if viewport == PHONE:
        shoot(page, "signin")
    context.close()
