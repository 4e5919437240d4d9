"""A member's person invites a colleague by e-mail (read from a real SMTP server), lists and removes colleagues;
member_addresses gives the other domains where to write to a member."""

import re
import time
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts import service
from app.accounts.models import Person
from app.config import Settings
from app.db import utcnow
from app.main import create_app
from app.notifications.models import OutboxMessage
from app.roster.models import Organization
from tests.accounts.conftest import BASE, HANAKO, ICHIRO
from tests.accounts.test_sign_in import account_of, ask_for_link, csrf_of, mailed_link, sign_in_by_mail, use_link
from tests.mail import Mailbox

TARO = "taro@hakata-sensor.example.jp"


def org_id(session: Session, external_id: str) -> int:
    found = session.scalar(select(Organization.id).where(Organization.external_id == external_id))
    assert found is not None
    return found


def invite(client: TestClient, email: str) -> Any:
    return client.post("/account/colleagues", data={"email": email, "csrf": csrf_of(client, "/account")},
                       follow_redirects=False)


def remove_button_id(account_page: str, email: str) -> int:
    found = re.search(rf'action="/account/colleagues/(\d+)/remove"[^<]*<input[^>]*>\s*<button[^>]*aria-label="[^"]*'
                      rf'{re.escape(email)}', account_page)
    assert found, f"no remove button for {email}"
    return int(found.group(1))


def test_a_member_invites_a_colleague_who_then_signs_in_for_the_member(app_client: TestClient,
                                                                       smtp_server: Mailbox,
                                                                       session: Session) -> None:
    sign_in_by_mail(app_client, smtp_server, HANAKO)
    assert service.member_addresses(session, org_id(session, "ORG-A")) == [HANAKO]

    sent = invite(app_client, TARO)
    assert sent.status_code == 303
    page = app_client.get(sent.headers["location"]).text
    assert "招待のメールを送りました。" in page
    assert TARO in page  # among the invitations not yet accepted

    [mail] = smtp_server.wait_for_mail_to(TARO)
    assert mail["Subject"] == "博多センサー工業株式会社 のアカウントへの招待"
    assert HANAKO in smtp_server.text(mail)
    link = mailed_link(smtp_server, TARO, "/invitations/accept")

    with TestClient(app_client.app, base_url=BASE) as taro:
        opened = taro.get(link)  # opening shows a button; it accepts nothing by itself
        assert "参加してログインする" in opened.text
        assert account_of(taro) == ""
        accepted = use_link(taro, link)
        assert accepted.status_code == 303
        assert accepted.headers["location"] == "/me"
        account = account_of(taro)
        assert TARO in account
        assert HANAKO in account
        assert "博多センサー工業株式会社" in account
        assert service.member_addresses(session, org_id(session, "ORG-A")) == [HANAKO, TARO]

        # The invitation works once.
        with TestClient(app_client.app, base_url=BASE) as someone:
            assert someone.get(link).status_code == 400

        # From now on the colleague signs in by e-mail like the contact.
        with TestClient(app_client.app, base_url=BASE) as taro_later:
            sign_in_by_mail(taro_later, smtp_server, TARO)
            assert TARO in account_of(taro_later)

            # The contact removes the colleague: every session of theirs ends, and no link is sent any more.
            hanako_page = app_client.get("/account").text
            removed = app_client.post(f"/account/colleagues/{remove_button_id(hanako_page, TARO)}/remove",
                                      data={"csrf": csrf_of(app_client, "/account")}, follow_redirects=False)
            assert removed.status_code == 303
            assert "同僚を外しました" in app_client.get(removed.headers["location"]).text
            assert account_of(taro) == ""
            assert account_of(taro_later) == ""
    assert service.member_addresses(session, org_id(session, "ORG-A")) == [HANAKO]
    mails_before = len(smtp_server.to(TARO))
    _, answer = ask_for_link(app_client, TARO)
    assert answer.status_code == 200
    smtp_server.settle()
    assert len(smtp_server.to(TARO)) == mails_before


def test_colleagues_are_refused_where_they_do_not_belong(app_client: TestClient, smtp_server: Mailbox,
                                                         session: Session) -> None:
    sign_in_by_mail(app_client, smtp_server, HANAKO)
    # The roster's contact cannot be removed here, nor invited twice; a malformed address is a form error.
    hanako_id = remove_button_id_or_none(app_client.get("/account").text, HANAKO)
    assert hanako_id is None  # no button for the contact
    person = service.person_for(session, HANAKO)
    assert person is not None
    refused = app_client.post(f"/account/colleagues/{person.id}/remove",
                              data={"csrf": csrf_of(app_client, "/account")})
    assert refused.status_code == 409
    assert "名簿に登録された会員の連絡先" in refused.text
    again = invite(app_client, HANAKO)
    assert again.status_code == 409
    assert "すでにこの会員のアカウント" in again.text
    malformed = invite(app_client, "taro@@example")
    assert malformed.status_code == 422
    assert 'aria-invalid="true"' in malformed.text

    # Another member's contact, invited, cannot join: the address stays that member's.
    assert invite(app_client, ICHIRO).status_code == 303
    link = mailed_link(smtp_server, ICHIRO, "/invitations/accept")
    with TestClient(app_client.app, base_url=BASE) as ichiro:
        joined = use_link(ichiro, link)
        assert joined.status_code == 400
        assert "別の会員" in joined.text
        # ...and another member's person cannot remove ORG-A's people.
        sign_in_by_mail(ichiro, smtp_server, ICHIRO)
        other = ichiro.post(f"/account/colleagues/{person.id}/remove", data={"csrf": csrf_of(ichiro, "/account")})
        assert other.status_code == 404
    assert service.member_addresses(session, org_id(session, "ORG-B")) == [ICHIRO]


def remove_button_id_or_none(account_page: str, email: str) -> int | None:
    try:
        return remove_button_id(account_page, email)
    except AssertionError:
        return None


def test_member_addresses_are_the_contact_and_the_people_once_each(session: Session, world: object) -> None:
    org_a, org_c = org_id(session, "ORG-A"), org_id(session, "ORG-C")
    assert service.member_addresses(session, org_c) == []  # no roster contact, nobody invited
    assert not service.may_sign_in(session, "farmer@itoshima.example.jp")
    # The contact's person (created on first sign-in) is the contact's address: listed once.
    hanako = service.person_for(session, HANAKO)
    assert hanako is not None
    session.add(Person(email="farmer@itoshima.example.jp", role="member", organization_id=org_c,
                       invited_by_id=hanako.id))
    session.add(Person(email="gone@hakata-sensor.example.jp", role="member", organization_id=org_a,
                       removed_at=utcnow()))
    session.flush()
    assert service.member_addresses(session, org_a) == [HANAKO]
    assert service.member_addresses(session, org_c) == ["farmer@itoshima.example.jp"]
    assert service.member_addresses(session, 10**6) == []


def test_sent_sign_in_and_invitation_mails_keep_no_usable_link_in_the_outbox(app_client: TestClient,
                                                                            smtp_server: Mailbox,
                                                                            session: Session) -> None:
    sign_in_by_mail(app_client, smtp_server, HANAKO)
    assert invite(app_client, TARO).status_code == 303
    links = [mailed_link(smtp_server, HANAKO), mailed_link(smtp_server, TARO, "/invitations/accept")]
    tokens = [link.split("token=", 1)[1] for link in links]
    deadline = time.monotonic() + 10
    while True:
        session.expire_all()
        rows = list(session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))
        if len(rows) == 2 and all(row.status == "sent" and row.body_text == "" for row in rows):
            break
        assert time.monotonic() < deadline, [(row.status, row.body_text[:40]) for row in rows]
        time.sleep(0.05)
    assert [row.recipient for row in rows] == [HANAKO, TARO]  # the record stays: who got what, when
    assert all(row.subject and row.sent_at and row.body_html is None for row in rows)
    for row in rows:
        assert not any(token in str(value) for token in tokens
                       for value in (row.body_text, row.body_html, row.subject, row.headers))


def test_the_roster_wins_when_the_secretariat_changes_a_contact(app_client: TestClient, smtp_server: Mailbox,
                                                                session: Session) -> None:
    sign_in_by_mail(app_client, smtp_server, HANAKO)  # ORG-A's contact, a person only because of the roster
    assert invite(app_client, TARO).status_code == 303
    with TestClient(app_client.app, base_url=BASE) as taro:
        assert use_link(taro, mailed_link(smtp_server, TARO, "/invitations/accept")).status_code == 303

    # The secretariat gives ORG-A a new contact (typed with spaces and capitals) and ORG-B's roster Hanako's old
    # colleague Taro.
    new_contact = "jiro@hakata-sensor.example.jp"
    org_a = session.get(Organization, org_id(session, "ORG-A"))
    org_b = session.get(Organization, org_id(session, "ORG-B"))
    assert org_a is not None
    assert org_b is not None
    org_a.contact_email, org_b.contact_email = f"  {new_contact.upper()} ", TARO
    session.commit()

    # Hanako's session ends, she can no longer sign in, and she no longer gets the member's mail.
    assert account_of(app_client) == ""
    assert not service.may_sign_in(session, HANAKO)
    assert service.person_for(session, HANAKO) is None
    assert service.member_addresses(session, org_a.id) == [new_contact]
    # The new contact signs in as ORG-A; Taro, now ORG-B's contact, signs in as ORG-B, no longer as ORG-A.
    with TestClient(app_client.app, base_url=BASE) as jiro:
        sign_in_by_mail(jiro, smtp_server, new_contact)
        assert "博多センサー工業株式会社 としてログイン中" in jiro.get("/account").text
    with TestClient(app_client.app, base_url=BASE) as taro:
        sign_in_by_mail(taro, smtp_server, TARO)
        page = taro.get("/account").text
        assert "博多センサー工業株式会社 としてログイン中" not in page
    taro_person = service.person_for(session, TARO)
    assert taro_person is not None
    assert taro_person.organization_id == org_b.id
    assert service.member_addresses(session, org_b.id) == [TARO]
    assert TARO not in service.member_addresses(session, org_a.id)

    # Back on ORG-A's roster, Hanako signs in again.
    org_a.contact_email = HANAKO
    session.commit()
    sign_in_by_mail(app_client, smtp_server, HANAKO)
    assert "博多センサー工業株式会社 としてログイン中" in app_client.get("/account").text


def test_invitations_are_limited_per_person(accounts_settings: Settings, world: object, smtp_server: Mailbox) -> None:
    settings = accounts_settings.model_copy(update={"invitations_per_hour": 1, "invitation_burst": 2})
    with TestClient(create_app(settings, load_matching=False), base_url=BASE) as client:
        sign_in_by_mail(client, smtp_server, HANAKO)
        addresses = [f"colleague{n}@hakata-sensor.example.jp" for n in range(3)]
        sent = [invite(client, address) for address in addresses]
        assert [r.status_code for r in sent] == [303, 303, 429]
        assert 1 <= int(sent[2].headers["Retry-After"]) <= 3600
        assert "招待の送信が多すぎます" in sent[2].text
        smtp_server.wait_for_mail_to(addresses[1])
        smtp_server.settle()
    assert smtp_server.to(addresses[2]) == []
