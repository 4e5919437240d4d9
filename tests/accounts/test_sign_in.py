"""Sign-in by e-mail link through the pages, with the mails read from a real SMTP server: the link works once and
for 15 minutes, an unknown address gets the same answer, requests are rate-limited, sign out everywhere, staff."""

import hashlib
import html
import re
import time
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from app.accounts import service
from app.accounts.models import Person, SignInLink
from app.auth.dependencies import Principal
from app.cli import cli
from app.config import Settings
from app.db import utcnow
from app.main import create_app
from app.notifications.models import OutboxMessage
from app.ratelimit import RateLimitBucket
from app.web.models import WebSignIn
from tests.accounts.conftest import BASE, HANAKO, ICHIRO, RESPONSE_SECONDS, STRANGER
from tests.api.conftest import World
from tests.mail import Mailbox


def csrf_of(client: TestClient, path: str = "/signin") -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', client.get(path).text)
    assert found, f"no form token on {path}"
    return found.group(1)


def ask_for_link(client: TestClient, email: str, **extra: str) -> tuple[float, Any]:
    """Send the sign-in form; returns (seconds it took, response)."""
    token = csrf_of(client)
    started = time.monotonic()
    response = client.post("/signin/email", data={"email": email, "csrf": token, **extra})
    return time.monotonic() - started, response


def mailed_link(mailbox: Mailbox, email: str, path: str = "/signin/link", count: int = 1) -> str:
    """The link in the newest of `count` mails to the address, as the SMTP server received it."""
    mail = mailbox.wait_for_mail_to(email, count)[count - 1]
    link = mailbox.link(mail, path)
    assert link.startswith(f"{BASE}{path}?token=")
    return link


def token_of(link: str) -> str:
    return parse_qs(urlsplit(link).query)["token"][0]


def use_link(client: TestClient, link: str) -> Any:
    """Open the link (a page with a button) and press the button, as a person does."""
    opened = client.get(link)
    assert opened.status_code == 200, opened.text
    token = re.search(r'name="csrf" value="([^"]+)"', opened.text)
    assert token is not None
    next_path = re.search(r'name="next" value="([^"]*)"', opened.text)
    return client.post(link.split("?")[0], follow_redirects=False,
                       data={"token": token_of(link), "csrf": token.group(1)}
                       | ({"next": html.unescape(next_path.group(1))} if next_path else {}))


def sign_in_by_mail(client: TestClient, mailbox: Mailbox, email: str) -> None:
    before = len(mailbox.to(email))
    ask_for_link(client, email)
    response = use_link(client, mailed_link(mailbox, email, count=before + 1))
    assert response.status_code == 303, response.text


def account_of(client: TestClient) -> str:
    """The account page's text, or "" when the client is not signed in (it is sent to the sign-in page)."""
    response = client.get("/account", follow_redirects=False)
    return response.text if response.status_code == 200 else ""


def test_the_roster_contact_signs_in_once_with_the_mailed_link(app_client: TestClient, smtp_server: Mailbox,
                                                                session: Session) -> None:
    _, sent = ask_for_link(app_client, HANAKO.upper())  # however the address is typed
    assert sent.status_code == 200
    assert "メールを確認してください" in sent.text
    [mail] = smtp_server.wait_for_mail_to(HANAKO)
    assert mail["Subject"] == "ログイン用リンクのお知らせ"
    assert "15 分間、1回だけ有効" in smtp_server.text(mail)
    link = mailed_link(smtp_server, HANAKO)
    assert link in smtp_server.html(mail)
    # Only the hash of the secret is kept.
    stored = session.scalars(select(SignInLink.token_hash)).all()
    assert token_of(link) not in stored
    assert service.hash_token(token_of(link)) in stored

    # Opening the link (as a mail scanner would, twice) signs nobody in and does not spend it.
    for _ in range(2):
        opened = app_client.get(link)
        assert opened.status_code == 200
        assert "ログインを完了する" in opened.text
    assert account_of(app_client) == ""

    response = use_link(app_client, link)
    assert response.status_code == 303
    assert response.headers["location"] == "/me"
    account = account_of(app_client)
    assert HANAKO in account
    assert "博多センサー工業株式会社" in account
    # The person is created on the first sign-in, for the member whose contact the address is.
    person = session.scalar(select(Person).where(Person.email == HANAKO))
    assert person is not None
    assert person.organization is not None
    assert person.organization.external_id == "ORG-A"
    assert person.role == "member"

    # A second use fails, in any browser.
    with TestClient(app_client.app, base_url=BASE) as other:
        refused = other.get(link)
        assert refused.status_code == 400
        assert "すでに使われています" in refused.text
        posted = other.post("/signin/link", data={"token": token_of(link), "csrf": csrf_of(other)},
                            follow_redirects=False)
        assert posted.status_code == 400
        assert account_of(other) == ""


def test_a_person_of_a_member_acts_as_that_member(app_client: TestClient, smtp_server: Mailbox,
                                                  session: Session) -> None:
    sign_in_by_mail(app_client, smtp_server, HANAKO)
    person = session.scalar(select(Person).where(Person.email == HANAKO))
    assert person is not None
    principal = Principal.of_person(person)
    assert (principal.role, principal.organization, principal.key_id) == ("member", "ORG-A", None)
    assert principal.actor == f"person-{person.id}"  # how changes on the pages are recorded
    own = app_client.get("/organizations/ORG-A").text
    other = app_client.get("/organizations/ORG-B").text
    assert "092-111-2222" in own  # the member's own contact
    assert "0952-33-4444" not in other  # never another member's
    assert "博多センサー工業株式会社 としてログイン中" in app_client.get("/account").text


def test_the_link_comes_back_to_the_page_that_asked_for_sign_in(app_client: TestClient,
                                                                 smtp_server: Mailbox) -> None:
    sent_to_sign_in = app_client.get("/me/alerts", follow_redirects=False)
    assert sent_to_sign_in.headers["location"] == "/signin?next=/me/alerts"
    form = app_client.get(sent_to_sign_in.headers["location"]).text
    assert 'name="next" value="/me/alerts"' in form
    ask_for_link(app_client, HANAKO, next="/me/alerts")
    link = mailed_link(smtp_server, HANAKO)
    assert parse_qs(urlsplit(link).query)["next"] == ["/me/alerts"]
    response = use_link(app_client, link)
    assert response.status_code == 303
    assert response.headers["location"] == "/me/alerts"

    # Only a local path: another site is dropped, and the sign-in ends on my page.
    with TestClient(app_client.app, base_url=BASE) as other:
        ask_for_link(other, HANAKO, next="//evil.example/me")
        link = mailed_link(smtp_server, HANAKO, count=2)
        assert "evil" not in link
        forged = other.get(link)
        csrf = re.search(r'name="csrf" value="([^"]+)"', forged.text)
        assert csrf is not None
        response = other.post("/signin/link", data={"token": token_of(link), "csrf": csrf.group(1),
                                                    "next": "https://evil.example/"}, follow_redirects=False)
        assert response.headers["location"] == "/me"


def test_the_link_fails_after_15_minutes(app_client: TestClient, smtp_server: Mailbox, session: Session) -> None:
    # Links issued through the service as of 16 and of 14 minutes ago, then mailed by the worker.
    service.request_sign_in(session, email=ICHIRO, lang="ja", base_url=BASE, now=utcnow() - timedelta(minutes=16))
    session.commit()
    expired = mailed_link(smtp_server, ICHIRO)
    service.request_sign_in(session, email=ICHIRO, lang="ja", base_url=BASE, now=utcnow() - timedelta(minutes=14))
    session.commit()
    fresh = mailed_link(smtp_server, ICHIRO, count=2)

    opened = app_client.get(expired)
    assert opened.status_code == 400
    assert "有効期限が切れています" in opened.text
    assert 'action="/signin/email"' in opened.text  # with the form to ask for a new one
    posted = app_client.post("/signin/link", data={"token": token_of(expired), "csrf": csrf_of(app_client)},
                             follow_redirects=False)
    assert posted.status_code == 400
    assert account_of(app_client) == ""

    assert use_link(app_client, fresh).status_code == 303
    assert ICHIRO in account_of(app_client)


def test_the_service_refuses_a_link_at_its_15th_minute_and_after_a_use(session: Session, world: World) -> None:
    issued = utcnow()
    assert service.request_sign_in(session, email=HANAKO, lang="en", base_url=BASE, now=issued)
    queued = session.scalars(select(OutboxMessage)).one()  # the mail, queued in the same transaction
    assert queued.recipient == HANAKO
    token = token_of(re.findall(r"https?://\S+", queued.body_text)[0])
    with pytest.raises(service.LinkRefused) as refused:
        service.sign_in_with_link(session, token=token, now=issued + timedelta(minutes=15))
    assert refused.value.code == "auth.link_expired"
    person = service.sign_in_with_link(session, token=token, now=issued + timedelta(minutes=14, seconds=59))
    assert person.email == HANAKO
    with pytest.raises(service.LinkRefused) as again:
        service.sign_in_with_link(session, token=token, now=issued + timedelta(minutes=1))
    assert again.value.code == "auth.link_used"
    with pytest.raises(service.LinkRefused) as unknown:
        service.sign_in_with_link(session, token=token + "x")
    assert unknown.value.code == "auth.link_unknown"


def test_an_unknown_address_gets_the_same_answer_in_similar_time(app_client: TestClient,
                                                                  smtp_server: Mailbox) -> None:
    known_seconds, known = ask_for_link(app_client, HANAKO)
    unknown_seconds, unknown = ask_for_link(app_client, STRANGER)
    assert known.status_code == unknown.status_code == 200
    assert known.text.replace(HANAKO, "ADDRESS") == unknown.text.replace(STRANGER, "ADDRESS")
    assert {k: v for k, v in known.headers.items() if k not in ("content-length", "x-request-id")} == \
        {k: v for k, v in unknown.headers.items() if k not in ("content-length", "x-request-id")}
    # Both wait for the floor, which hides the registered address's extra write.
    assert known_seconds >= RESPONSE_SECONDS
    assert unknown_seconds >= RESPONSE_SECONDS
    assert abs(known_seconds - unknown_seconds) < RESPONSE_SECONDS
    smtp_server.wait_for_mail_to(HANAKO)
    smtp_server.settle()
    assert smtp_server.to(STRANGER) == []
    assert len(smtp_server) == 1


def test_a_malformed_address_is_a_form_error_to_fix(app_client: TestClient) -> None:
    _, response = ask_for_link(app_client, "hanako@")
    assert response.status_code == 422
    assert "メールアドレスの形になっていません" in response.text
    assert 'aria-invalid="true"' in response.text


@pytest.fixture
def limited_client(accounts_settings: Settings, world: World) -> TestClient:
    """2 links at once and 1 a minute per e-mail address; 4 a minute per client address."""
    settings = accounts_settings.model_copy(update={"sign_in_links_per_minute": 1, "sign_in_link_burst": 2,
                                                    "sign_in_requests_per_minute": 4,
                                                    "sign_in_response_seconds": 0.0})
    return TestClient(create_app(settings, load_matching=False), base_url=BASE, client=("203.0.113.7", 5000))


def test_sign_in_requests_are_limited_per_address_and_per_client(limited_client: TestClient, smtp_server: Mailbox,
                                                                  accounts_settings: Settings) -> None:
    with limited_client as client:
        statuses = [ask_for_link(client, HANAKO)[1].status_code for _ in range(3)]
        assert statuses == [200, 200, 429]
        _, refused = ask_for_link(client, HANAKO)
        assert 1 <= int(refused.headers["Retry-After"]) <= 60
        assert "秒後にもう一度お試しください" in refused.text
        # An unknown address is counted the same way, so a 429 tells nothing about registration.
        assert [ask_for_link(client, STRANGER)[1].status_code
                for _ in range(3)] == [429, 429, 429]  # the client's 4 a minute are spent (4 asked, 3 refused)
        with TestClient(limited_client.app, base_url=BASE, client=("198.51.100.8", 5000)) as neighbour:
            assert ask_for_link(neighbour, ICHIRO)[1].status_code == 200
            assert ask_for_link(neighbour, HANAKO)[1].status_code == 429  # per address
        smtp_server.wait_for_mail_to(ICHIRO)
        smtp_server.settle()
    assert len(smtp_server.to(HANAKO)) == 2


def test_addresses_are_counted_under_their_hash_only(accounts_settings: Settings, world: World,
                                                    session: Session) -> None:
    settings = accounts_settings.model_copy(update={"sign_in_links_per_minute": 1, "rate_limit_store": "database",
                                                    "sign_in_response_seconds": 0.0})
    with TestClient(create_app(settings, load_matching=False), base_url=BASE) as client:
        assert ask_for_link(client, HANAKO)[1].status_code == 200
    keys = session.scalars(select(RateLimitBucket.key).where(RateLimitBucket.key.like("sign_in_address:%"))).all()
    assert keys == [f"sign_in_address:{hashlib.sha256(HANAKO.encode()).hexdigest()}"]


def test_sign_out_and_sign_out_everywhere(app_client: TestClient, smtp_server: Mailbox, session: Session) -> None:
    app = app_client.app
    with TestClient(app, base_url=BASE) as laptop, TestClient(app, base_url=BASE) as phone, \
            TestClient(app, base_url=BASE) as colleague:
        for client in (laptop, phone, app_client):
            sign_in_by_mail(client, smtp_server, HANAKO)
        sign_in_by_mail(colleague, smtp_server, ICHIRO)
        assert all(HANAKO in account_of(c) for c in (laptop, phone, app_client))

        # Signing out ends this session only.
        out = app_client.post("/signout", data={"csrf": csrf_of(app_client, "/account")}, follow_redirects=False)
        assert out.status_code == 303
        assert account_of(app_client) == ""
        assert HANAKO in account_of(laptop)
        assert HANAKO in account_of(phone)

        # A copy of the phone's cookie, taken before, stops working with it.
        copied = TestClient(app, base_url=BASE, cookies=dict(phone.cookies))
        assert HANAKO in account_of(copied)
        everywhere = laptop.post("/account/signout-everywhere", data={"csrf": csrf_of(laptop, "/account")},
                                 follow_redirects=False)
        assert everywhere.status_code == 303
        assert everywhere.headers["location"] == "/signin?signed_out=all"
        assert "すべての端末でログアウトしました" in laptop.get(everywhere.headers["location"]).text
        assert account_of(laptop) == ""
        assert account_of(phone) == ""
        assert account_of(copied) == ""
        # Another person's sessions are not touched.
        assert ICHIRO in account_of(colleague)
    hanako = session.scalar(select(Person.id).where(Person.email == HANAKO))
    assert session.scalar(select(func.count()).select_from(WebSignIn).where(WebSignIn.person_id == hanako)) == 0


def test_staff_added_by_the_secretariat_sign_in_as_the_secretariat(cli_env: dict[str, str], world: World,
                                                                    app_client: TestClient,
                                                                    smtp_server: Mailbox) -> None:
    runner = CliRunner()
    added = runner.invoke(cli, ["accounts", "add-staff", "Jimukyoku@Kyushu-IoT.example.jp"])
    assert added.exit_code == 0, added.output
    staff = "jimukyoku@kyushu-iot.example.jp"
    _, response = ask_for_link(app_client, staff)
    response = use_link(app_client, mailed_link(smtp_server, staff))
    assert response.headers["location"] == "/dashboard"
    assert "事務局 としてログイン中" in app_client.get("/account").text
    # A member's address cannot be made staff; removing staff ends their sessions.
    refused = runner.invoke(cli, ["accounts", "add-staff", HANAKO])
    assert refused.exit_code == 1
    assert "staff need an address of their own" in refused.output
    assert runner.invoke(cli, ["accounts", "remove-staff", staff]).exit_code == 0
    assert account_of(app_client) == ""
    listed = runner.invoke(cli, ["accounts", "list"])
    assert staff in listed.output
    assert "removed" in listed.output


def test_the_api_key_sign_in_stays_for_the_secretariat(app_client: TestClient, world: World, tmp_path: Path) -> None:
    response = app_client.post("/signin", data={"api_key": world.tokens["secretariat"], "csrf": csrf_of(app_client)},
                               follow_redirects=False)
    assert response.headers["location"] == "/dashboard"
    account = account_of(app_client)
    assert "APIキー" in account
    assert "同僚" not in account  # colleagues are people's, not keys'


def test_in_english_the_page_and_the_mail_are_english(app_client: TestClient, smtp_server: Mailbox) -> None:
    form = app_client.get("/signin", params={"lang": "en"})
    assert "E-mail me a link" in form.text
    _, sent = ask_for_link(app_client, ICHIRO)  # the lang cookie keeps English
    assert "Check your e-mail" in sent.text
    [mail] = smtp_server.wait_for_mail_to(ICHIRO)
    assert mail["Subject"] == "Your sign-in link"
    assert "It works once, for 15 minutes" in smtp_server.text(mail)
    response = use_link(app_client, mailed_link(smtp_server, ICHIRO))
    assert response.status_code == 303
    account = app_client.get("/account").text
    assert "Sign out everywhere" in account
    assert "Invite a colleague" in account
